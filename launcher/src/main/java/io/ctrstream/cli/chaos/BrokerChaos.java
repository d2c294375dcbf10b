package io.ctrstream.cli.chaos;

import io.ctrstream.cli.chaos.ProcessChaosFlow.Committed;
import io.ctrstream.cli.chaos.ProcessChaosFlow.SeenScore;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.Rating;
import io.ctrstream.schemas.Topics;
import io.ctrstream.streams.ScorerApp;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.streams.metrics.ScorerMetrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * {@code ./ctr chaos broker}: restarts the Kafka broker while impressions flow. On a broker
 * started in this process it runs a scorer ({@link ScorerApp}, exactly_once_v2, also in this
 * process) and publishes {@code impressions} impressions (and a rating for every
 * {@code ratingsEvery}-th) at a steady rate; once the scorer has committed scores of the stream,
 * the broker is shut down (controlled, data kept), left down for {@code downtime}, and started
 * again on its log directories ({@link EmbeddedKafka#restartBroker(Duration)}) while the
 * publishing goes on. Then scores and feedback are read read_committed and counted as in {@code
 * chaos crash}: lost, duplicated (more than one score of an impression id), unexpected, feedback
 * lost, duplicated or mismatched.
 *
 * <p>The workload's producer retries (not idempotent, one request in flight): a produce request
 * whose answer was lost with the broker may be written twice, so the impressions and ratings
 * topics are read back and their duplicates counted apart ({@code input_duplicated}); they are
 * the producer's, not the scorer's, and the scorer is judged on scores per distinct impression
 * id. The scorer must ride through the restart on its own: Kafka Streams RUNNING and ready at the
 * end, every stream thread alive (a thread that died and was replaced is counted, not failed).
 */
public final class BrokerChaos {
  private static final String ID_PREFIX = "b";

  /**
   * @param impressions impressions to publish
   * @param ratingsEvery a rating follows every n-th impression (0: none)
   * @param ratePerSecond impressions published per second
   * @param downtime how long the broker stays down
   * @param sessionTimeoutMs the scorer's consumer session timeout
   * @param timeout longest wait for the scorer to be RUNNING, for the restart point, and for the
   *     last scores
   * @param settle how long to read on once everything expected arrived
   * @param log progress lines
   */
  public record Options(int impressions, int ratingsEvery, int users, int movies,
      double ratePerSecond, int partitions, Duration downtime, long sessionTimeoutMs,
      Duration timeout, Duration settle, Consumer<String> log) {
    public Options {
      Objects.requireNonNull(downtime, "downtime");
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(settle, "settle");
      Objects.requireNonNull(log, "log");
      if (impressions < 10) {
        throw new IllegalArgumentException("--impressions must be >= 10, got " + impressions);
      }
      if (ratingsEvery < 0) {
        throw new IllegalArgumentException("--ratings-every must be >= 0, got " + ratingsEvery);
      }
      if (users < 1 || movies < 1) {
        throw new IllegalArgumentException("--users and --movies must be >= 1");
      }
      if ((long) users * movies < impressions) {
        throw new IllegalArgumentException("--users x --movies must be at least --impressions"
            + " (no user is shown a movie twice), got " + users + " x " + movies);
      }
      if (!(ratePerSecond > 0)) {
        throw new IllegalArgumentException("--rate must be > 0, got " + ratePerSecond);
      }
      if (partitions < 1) {
        throw new IllegalArgumentException("--partitions must be >= 1, got " + partitions);
      }
      if (downtime.isNegative() || downtime.compareTo(Duration.ofMinutes(5)) > 0) {
        throw new IllegalArgumentException("--downtime-s must be in [0, 300], got "
            + downtime.toSeconds());
      }
      if (sessionTimeoutMs < 1000) {
        throw new IllegalArgumentException("--session-timeout-ms must be >= 1000, got "
            + sessionTimeoutMs);
      }
    }
  }

  /**
   * What a run found; it passed when {@code problems} is empty.
   *
   * @param sentBeforeRestart impressions handed to the producer before the broker began to stop
   * @param sentWhileDown impressions handed to the producer while the broker was down
   * @param inputDuplicated impression ids written more than once to the impressions topic (the
   *     producer's retries across the restart), plus ratings written more than once
   * @param downtimeSeconds from the broker beginning to stop until it served again
   * @param stopSeconds of the downtime, the broker's controlled shutdown
   * @param startSeconds of the downtime, from starting the broker again until it was unfenced
   * @param firstScoreAfterSeconds from the broker serving again to the first score committed after
   *     it (-1: none)
   * @param threadsReplaced stream threads that died and were replaced
   * @param streamThreads stream threads alive at the end
   */
  public record Figures(boolean passed, int impressions, int ratings, int resent,
      int sentBeforeRestart, int sentWhileDown, long inputDuplicated, long scores, long scored,
      long lost, long duplicated, long unexpected, long feedback, long feedbackLost,
      long feedbackDuplicated, long mismatched, double downtimeSeconds, double stopSeconds,
      double startSeconds, double firstScoreAfterSeconds, int threadsReplaced, int streamThreads, String state,
      boolean ready, List<String> statesSeen, double seconds, List<String> problems) {}

  private final Options o;

  public BrokerChaos(Options options) {
    this.o = Objects.requireNonNull(options);
  }

  public Figures run() throws IOException, InterruptedException {
    long began = System.currentTimeMillis();
    Path work = Files.createTempDirectory("ctr-chaos-broker-");
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().start()) {
      o.log().accept("in-process broker at " + kafka.bootstrapServers() + ", data in "
          + kafka.dataDir());
      Topics topics = Topics.builder().optPrefix("chaos-broker-")
          .optUserPartitions(o.partitions()).build();
      kafka.createTopics(topics.newTopics((short) 1));
      return runOn(kafka, topics, work, began);
    } finally {
      CrashChaos.deleteTree(work);
    }
  }

  /** The workload's producer: acks=all, one request in flight, retries through the restart. */
  private static KafkaProducer<byte[], byte[]> producer(EmbeddedKafka kafka) {
    Map<String, Object> c = new HashMap<>(kafka.clientConfig());
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    c.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    c.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    c.put(ProducerConfig.RETRIES_CONFIG, Integer.MAX_VALUE);
    c.put(ProducerConfig.RETRY_BACKOFF_MS_CONFIG, 200);
    c.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, 5_000);
    c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, 300_000);
    c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, 300_000);
    return new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer());
  }

  private Figures runOn(EmbeddedKafka kafka, Topics topics, Path work, long began)
      throws InterruptedException {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("bootstrap.servers", kafka.bootstrapServers());
    settings.put("application.id", "chaos-broker-scorer");
    settings.put("topic.prefix", topics.prefix());
    settings.put("state.dir", work.resolve("state").toString());
    settings.put("http.port", "0");
    settings.put("processing.guarantee", "exactly_once_v2");
    ProcessChaosFlow.sessionTimeout(settings, o.sessionTimeoutMs());
    ScorerConfig config = ScorerConfig.fromMap(settings);
    List<String> problems = new ArrayList<>();
    Map<String, Impression> sent = new LinkedHashMap<>();
    Map<String, Rating> rated = new LinkedHashMap<>();
    ScorerMetrics metrics = ScorerMetrics.inMemory();
    Set<String> statesSeen = new LinkedHashSet<>();
    AtomicLong stopAt = new AtomicLong();
    AtomicLong backAt = new AtomicLong();
    AtomicLong stoppedAt = new AtomicLong();
    AtomicLong startAt = new AtomicLong();
    AtomicReference<Throwable> restartFailure = new AtomicReference<>();
    int resent = 0;
    int sentBefore = -1;
    int sentWhileDown = 0;
    try (KafkaProducer<byte[], byte[]> producer = producer(kafka);
        Committed reader = new Committed(kafka.clientConfig(), topics);
        ScorerApp app = ScorerApp.builder().setConfig(config).optMetrics(metrics)
            .optFollowReleases(false).optHttp(false).build()) {
      ProcessChaosFlow.publishCatalog(producer, topics, o.users(), o.movies());
      o.log().accept("published " + o.users() + " users and " + o.movies() + " movies");
      app.start();
      ChaosCluster.awaitRunning(app.streams(), o.timeout());
      o.log().accept("the scorer is RUNNING; publishing " + o.impressions() + " impressions at "
          + o.ratePerSecond() + "/s");
      Thread watcher = watchStates(app.streams(), statesSeen);

      int restartPoint = Math.max(1, o.impressions() / 3);
      int atWork = Math.max(1, Math.min(50, restartPoint / 3));
      Thread restarter = null;
      List<Future<RecordMetadata>> futures = new ArrayList<>();
      List<Supplier<Future<RecordMetadata>>> resends = new ArrayList<>();
      long sendStart = System.nanoTime();
      double nanosPer = 1e9 / o.ratePerSecond();
      int progressEvery = Math.max(1, o.impressions() / 10);
      for (int k = 0; k < o.impressions(); k++) {
        long due = sendStart + (long) (k * nanosPer);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        if (restarter == null && k >= restartPoint) {
          // Restart a broker under a scorer at work: committed scores of the stream first.
          long deadline = System.nanoTime() + o.timeout().toNanos();
          while (reader.scoreCount() < atWork && System.nanoTime() < deadline) {
            Thread.sleep(50);
          }
          sentBefore = k;
          restarter = new Thread(() -> {
            try {
              stopAt.set(System.currentTimeMillis());
              kafka.stopBroker();
              stoppedAt.set(System.currentTimeMillis());
              Thread.sleep(o.downtime().toMillis());
              startAt.set(System.currentTimeMillis());
              kafka.startBroker();
              backAt.set(System.currentTimeMillis());
            } catch (Throwable t) {
              restartFailure.set(t);
            }
          }, "chaos-broker-restart");
          restarter.start();
          o.log().accept("restarting the broker after " + k + " impressions (" + reader.scoreCount()
              + " scores committed), down for " + o.downtime().toSeconds() + " s");
        }
        boolean down = stopAt.get() > 0 && backAt.get() == 0;
        if (down) {
          sentWhileDown++;
        }
        Impression i = ProcessChaosFlow.impression(ID_PREFIX, k, o.users(), o.movies(),
            System.currentTimeMillis());
        futures.add(ProcessChaosFlow.send(producer, topics.impressions(), i.userId(), i,
            i.timestamp()));
        resends.add(() -> ProcessChaosFlow.send(producer, topics.impressions(), i.userId(), i,
            i.timestamp()));
        sent.put(i.impressionId(), i);
        if (o.ratingsEvery() > 0 && k % o.ratingsEvery() == 0) {
          Rating r = ProcessChaosFlow.rating(i, k);
          futures.add(ProcessChaosFlow.send(producer, topics.ratings(), r.userId(), r,
              r.timestamp()));
          resends.add(() -> ProcessChaosFlow.send(producer, topics.ratings(), r.userId(), r,
              r.timestamp()));
          rated.put(i.impressionId(), r);
        }
        if ((k + 1) % progressEvery == 0) {
          o.log().accept(String.format(Locale.ROOT, "sent %d of %d impressions%s; %d scores"
              + " committed", k + 1, o.impressions(), down ? " (broker down)" : "",
              reader.scoreCount()));
        }
      }
      if (restarter != null) {
        restarter.join(o.timeout().toMillis() + o.downtime().toMillis());
      }
      if (restartFailure.get() != null) {
        problems.add("the broker restart failed: " + restartFailure.get());
      } else if (backAt.get() == 0) {
        problems.add("the broker was not restarted (or not back within the timeout)");
      }
      producer.flush();
      // A send the producer gave up on is sent again (a copy may then be on the topic: counted).
      for (int n = 0; n < futures.size(); n++) {
        Future<RecordMetadata> f = futures.get(n);
        for (int attempt = 1; ; attempt++) {
          try {
            f.get();
            break;
          } catch (ExecutionException e) {
            if (attempt > 5) {
              problems.add("a record could not be sent after 5 tries: " + e.getCause());
              break;
            }
            o.log().accept("sending again after " + e.getCause());
            resent++;
            f = resends.get(n).get();
            producer.flush();
          }
        }
      }
      o.log().accept("sent " + sent.size() + " impressions and " + rated.size()
          + " ratings; waiting for their scores and feedback");
      long deadline = System.nanoTime() + o.timeout().toNanos();
      while (System.nanoTime() < deadline
          && (ProcessChaosFlow.scored(reader, sent.keySet()) < sent.size()
              || reader.feedbackCount() < rated.size())) {
        Thread.sleep(200);
      }
      Thread.sleep(o.settle().toMillis());
      watcher.interrupt();

      long back = backAt.get();
      long firstAfter = back == 0 ? -1 : reader.scores().stream().mapToLong(SeenScore::seenAt)
          .filter(t -> t >= back).min().orElse(-1);
      ProcessChaosFlow.Tally t = ProcessChaosFlow.tally(reader, sent, rated, problems);
      long inputDup = inputDuplicates(kafka, topics);
      if (inputDup > 0) {
        o.log().accept(inputDup + " records are on the input topics more than once (the"
            + " producer's retries); the scorer is judged per distinct impression id");
      }
      KafkaStreams streams = app.streams();
      long stateDeadline = System.nanoTime() + o.timeout().toNanos();
      while (streams.state() != KafkaStreams.State.RUNNING && System.nanoTime() < stateDeadline
          && streams.state() != KafkaStreams.State.ERROR) {
        Thread.sleep(100);
      }
      int threads = streams.metadataForLocalThreads().size();
      int replaced = (int) Math.round(metrics.streamThreadFailures());
      boolean ready = app.health().ready().ok();
      if (streams.state() != KafkaStreams.State.RUNNING || !ready) {
        problems.add("Kafka Streams is " + streams.state() + " after the restart, ready: "
            + app.health().ready().checks());
      }
      if (threads < config.streamThreads()) {
        problems.add("only " + threads + " of " + config.streamThreads()
            + " stream threads are alive after the restart");
      }
      if (back != 0 && firstAfter < 0) {
        problems.add("no score was committed after the broker came back");
      }
      double downtime = back == 0 ? -1 : (back - stopAt.get()) / 1000.0;
      return new Figures(problems.isEmpty(), sent.size(), rated.size(), resent, sentBefore,
          sentWhileDown, inputDup, t.scores(), t.scored(), t.lost(), t.duplicated(),
          t.unexpected(), t.feedback(), t.feedbackLost(), t.feedbackDuplicated(), t.mismatched(),
          downtime, back == 0 ? -1 : (stoppedAt.get() - stopAt.get()) / 1000.0,
          back == 0 ? -1 : (back - startAt.get()) / 1000.0, firstAfter < 0 ? -1 : (firstAfter - back) / 1000.0, replaced, threads,
          streams.state().name(), ready, List.copyOf(statesSeen),
          (System.currentTimeMillis() - began) / 1000.0, List.copyOf(problems));
    } catch (ExecutionException e) {
      problems.add("could not publish users and movies: " + e.getCause());
      return new Figures(false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1, -1, -1, -1, 0, 0,
          "-", false, List.copyOf(statesSeen), (System.currentTimeMillis() - began) / 1000.0,
          List.copyOf(problems));
    }
  }

  /** Notes every state Kafka Streams passes through (polled every 20 ms) until interrupted. */
  private static Thread watchStates(KafkaStreams streams, Set<String> seen) {
    Thread t = new Thread(() -> {
      try {
        while (!Thread.currentThread().isInterrupted()) {
          String state = streams.state().name();
          synchronized (seen) {
            seen.add(state);
          }
          Thread.sleep(20);
        }
      } catch (InterruptedException e) {
        // done
      }
    }, "chaos-broker-states");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * Records on the impressions topic beyond the first of their impression id, plus records on
   * the ratings topic beyond the first of their (user, movie), read read_uncommitted.
   */
  private static long inputDuplicates(EmbeddedKafka kafka, Topics topics) {
    Map<String, Object> c = new HashMap<>(kafka.clientConfig());
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    Map<String, Integer> copies = new HashMap<>();
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c,
        new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> all = new ArrayList<>();
      for (var topic : List.of(topics.impressions(), topics.ratings())) {
        for (int p = 0; p < topic.partitions(); p++) {
          all.add(new TopicPartition(topic.name(), p));
        }
      }
      consumer.assign(all);
      consumer.seekToBeginning(all);
      Map<TopicPartition, Long> end = consumer.endOffsets(all);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline
          && all.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          String id;
          if (r.topic().equals(topics.impressions().name())) {
            try {
              id = "i:" + topics.impressions().valueSerde().deserialize(r.value()).impressionId();
            } catch (RuntimeException e) {
              continue;
            }
          } else {
            id = "r:" + new String(r.key(), StandardCharsets.UTF_8) + ":"
                + new String(r.value(), StandardCharsets.UTF_8);
          }
          copies.merge(id, 1, Integer::sum);
        }
      }
    }
    return copies.values().stream().mapToLong(n -> n - 1).sum();
  }
}
