package io.ctrstream.cli.chaos;

import io.ctrstream.cli.bench.BenchCluster;
import io.ctrstream.schemas.Feedback;
import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.Rating;
import io.ctrstream.schemas.Score;
import io.ctrstream.schemas.TopicSpec;
import io.ctrstream.schemas.Topics;
import io.ctrstream.schemas.UserProfile;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;

/**
 * What {@code ctr chaos crash} and {@code ctr chaos scale} share: the client properties file their
 * scorer processes get, the producer of the valid workload, and a read_committed reader of scores
 * and feedback that keeps every record it sees.
 */
final class ProcessChaosFlow {
  static final List<String> GENRES = List.of("Action", "Comedy", "Drama", "Horror", "Romance",
      "Sci-Fi", "Thriller", "Documentary");

  private ProcessChaosFlow() {}

  /**
   * The scorers' settings for a session timeout of {@code sessionTimeoutMs}, after which the
   * group gives a killed member's partitions to the others (Kafka's default is 45 s).
   */
  static void sessionTimeout(Map<String, String> settings, long sessionTimeoutMs) {
    settings.put("session.timeout.ms", Long.toString(sessionTimeoutMs));
  }

  /** Writes the scorers' client properties: the user's file (security settings), if any. */
  static Path clientProperties(Path dir, Path userFile) throws IOException {
    Properties p = new Properties();
    if (userFile != null) {
      try (Reader r = Files.newBufferedReader(userFile, StandardCharsets.UTF_8)) {
        p.load(r);
      }
    }
    Path file = dir.resolve("client.properties");
    try (Writer w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      p.store(w, "ctr chaos: client properties of the scorers");
    }
    return file;
  }

  /** A producer as the chaos input check's: acks=all, one request in flight, keeps the order. */
  static KafkaProducer<byte[], byte[]> producer(BenchCluster kafka) {
    Map<String, Object> c = new HashMap<>(kafka.clientConfig());
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    c.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    c.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    // No retries: a record sent twice would be two impressions, and the checks count exactly. A
    // send that fails is counted as not sent and not expected.
    c.put(ProducerConfig.RETRIES_CONFIG, 0);
    return new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer());
  }

  static <V> Future<RecordMetadata> send(KafkaProducer<byte[], byte[]> producer,
      TopicSpec<String, V> topic, String key, V value) {
    return send(producer, topic, key, value, null);
  }

  /**
   * Sends with the record timestamp set to the event's, as the README asks of producers: a rating
   * sent right after its impression would otherwise often carry the same millisecond, and Kafka
   * Streams may then take the rating first (it orders a task's input by record timestamp, ties
   * in no set order), which makes the feedback organic.
   */
  static <V> Future<RecordMetadata> send(KafkaProducer<byte[], byte[]> producer,
      TopicSpec<String, V> topic, String key, V value, Long timestamp) {
    return producer.send(new ProducerRecord<>(topic.name(), null, timestamp,
        key.getBytes(StandardCharsets.UTF_8), topic.valueSerde().serialize(value)));
  }

  /**
   * Fetches every topic's metadata (a first send to a fresh topic may meet a leader not known yet,
   * and the workload's producer does not retry), then publishes users {@code u0..u<users-1>} and
   * movies {@code 1..movies} and waits for them; a refused one is sent again (up to five times;
   * they are compacted, so a copy does no harm).
   */
  static void publishCatalog(KafkaProducer<byte[], byte[]> producer, Topics topics, int users,
      int movies) throws InterruptedException, ExecutionException {
    topics.all().forEach(t -> producer.partitionsFor(t.name()));
    List<Supplier<Future<RecordMetadata>>> pending = new ArrayList<>();
    for (int m = 1; m <= movies; m++) {
      List<String> genres = List.of(GENRES.get(m % GENRES.size()),
          GENRES.get((m * 7 + 3) % GENRES.size())).stream().distinct().toList();
      Movie movie = new Movie(Integer.toString(m), "movie " + m, genres);
      pending.add(() -> send(producer, topics.movies(), movie.movieId(), movie));
    }
    for (int u = 0; u < users; u++) {
      UserProfile profile = new UserProfile(user(u), u % 2 == 0 ? "F" : "M", 18 + u % 40,
          Integer.toString(u % 21), "z" + u);
      pending.add(() -> send(producer, topics.users(), profile.userId(), profile));
    }
    for (int attempt = 1; !pending.isEmpty(); attempt++) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      List<Supplier<Future<RecordMetadata>>> again = new ArrayList<>();
      for (Supplier<Future<RecordMetadata>> r : pending) {
        sent.add(r.get());
      }
      producer.flush();
      for (int n = 0; n < sent.size(); n++) {
        try {
          sent.get(n).get();
        } catch (ExecutionException e) {
          if (attempt >= 5) {
            throw e;
          }
          again.add(pending.get(n));
        }
      }
      pending = again;
      if (!pending.isEmpty()) {
        Thread.sleep(500);
      }
    }
  }

  static String user(int u) {
    return "u" + u;
  }

  /**
   * Impression {@code k} of a run: user {@code k % users}, movie {@code 1 + (k / users) % movies},
   * so that no user sees a movie twice while {@code k < users * movies} and a rating names its
   * impression alone.
   */
  static Impression impression(String prefix, int k, int users, int movies, long timestamp) {
    return new Impression(prefix + k, user(k % users), Integer.toString(1 + (k / users) % movies),
        timestamp);
  }

  /** The rating of impression {@code i}: 5 or 2 stars, one millisecond after it. */
  static Rating rating(Impression i, int k) {
    return new Rating(i.userId(), i.movieId(), k % 2 == 0 ? 5.0 : 2.0, i.timestamp() + 1);
  }

  /** The partition of a user-keyed record, as the Java producer's default partitioner puts it. */
  static int partitionOf(String userId, int partitions) {
    return Utils.toPositive(Utils.murmur2(userId.getBytes(StandardCharsets.UTF_8))) % partitions;
  }

  /** The counts of a run's committed output against what it sent. */
  record Tally(long scores, long scored, long lost, long duplicated, long unexpected, long feedback,
      long feedbackLost, long feedbackDuplicated, long mismatched) {}

  /**
   * Counts lost, duplicated and unexpected scores, and feedback lost, duplicated or mismatched
   * (not of source impression, of an impression not rated, or not carrying the score and model
   * version published for its impression); adds a line to {@code problems} for each non-zero count.
   */
  static Tally tally(Committed reader, Map<String, Impression> sent, Map<String, Rating> rated,
      List<String> problems) {
    List<SeenScore> scores = reader.scores();
    Map<String, List<Score>> byImpression = new HashMap<>();
    scores.forEach(s -> byImpression.computeIfAbsent(s.score().impressionId(), x -> new ArrayList<>())
        .add(s.score()));
    List<String> lostIds = sent.keySet().stream().filter(id -> !byImpression.containsKey(id)).toList();
    List<String> dupIds = byImpression.entrySet().stream().filter(e -> e.getValue().size() > 1)
        .map(Map.Entry::getKey).sorted().toList();
    List<String> unexpectedIds = byImpression.keySet().stream().filter(id -> !sent.containsKey(id))
        .sorted().toList();
    long scored = byImpression.keySet().stream().filter(sent::containsKey).count();

    List<Feedback> feedback = reader.feedback();
    Map<String, Integer> feedbackPer = new HashMap<>();
    long mismatched = 0;
    List<String> mismatchSamples = new ArrayList<>();
    for (Feedback fb : feedback) {
      String id = fb.impressionId();
      if (id != null) {
        feedbackPer.merge(id, 1, Integer::sum);
      }
      List<Score> published = id == null ? null : byImpression.get(id);
      String why = null;
      if (fb.source() != Feedback.Source.IMPRESSION || id == null) {
        why = "user " + fb.userId() + " movie " + fb.movieId() + ": source " + fb.source()
            + ", impression " + id;
      } else if (!rated.containsKey(id)) {
        why = "feedback for impression " + id + ", which was not rated";
      } else if (published == null) {
        why = "impression " + id + " has feedback but no published score";
      } else if (!Objects.equals(published.get(0).score(), fb.servedScore())
          || !Objects.equals(published.get(0).modelVersion(), fb.modelVersion())) {
        why = "impression " + id + ": served " + fb.servedScore() + " (" + fb.modelVersion()
            + "), published " + published.get(0).score() + " (" + published.get(0).modelVersion() + ")";
      }
      if (why != null) {
        mismatched++;
        if (mismatchSamples.size() < 5) {
          mismatchSamples.add(why);
        }
      }
    }
    long feedbackLost = rated.keySet().stream().filter(id -> !feedbackPer.containsKey(id)).count();
    long feedbackDup = feedbackPer.values().stream().filter(n -> n > 1).count();
    if (!lostIds.isEmpty()) {
      problems.add(lostIds.size() + " impressions were never scored, e.g. " + sample(lostIds));
    }
    if (!dupIds.isEmpty()) {
      problems.add(dupIds.size() + " impressions were scored more than once, e.g. " + sample(dupIds));
    }
    if (!unexpectedIds.isEmpty()) {
      problems.add(unexpectedIds.size() + " scores of impressions never sent, e.g. "
          + sample(unexpectedIds));
    }
    if (feedback.size() != rated.size()) {
      problems.add(feedback.size() + " feedback records for " + rated.size() + " ratings");
    }
    if (feedbackLost > 0) {
      problems.add(feedbackLost + " ratings have no feedback of their impression");
    }
    if (feedbackDup > 0) {
      problems.add(feedbackDup + " ratings have more than one feedback record");
    }
    if (mismatched > 0) {
      problems.add(mismatched + " feedback records do not match their impression's score, e.g. "
          + mismatchSamples);
    }
    return new Tally(scores.size(), scored, lostIds.size(), dupIds.size(), unexpectedIds.size(),
        feedback.size(), feedbackLost, feedbackDup, mismatched);
  }

  private static String sample(List<String> ids) {
    return ids.stream().limit(5).toList().toString();
  }

  /** Distinct impressions of {@code ids} with a committed score. */
  static long scored(Committed reader, Set<String> ids) {
    return reader.scores().stream().map(s -> s.score().impressionId()).filter(ids::contains)
        .distinct().count();
  }

  /** A score as this reader saw it: the record, and when it became visible (read_committed). */
  record SeenScore(Score score, long seenAt) {}

  /**
   * Reads {@code scores} and {@code feedback} read_committed from the beginning on a thread of its
   * own and keeps every record.
   */
  static final class Committed implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final JsonSerde<Score> scoreSerde;
    private final JsonSerde<Feedback> feedbackSerde;
    private final String scoresTopic;
    private final List<SeenScore> scores = new ArrayList<>();
    private final List<Feedback> feedback = new ArrayList<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile Throwable failure;

    Committed(Map<String, Object> clientConfig, Topics topics) {
      Map<String, Object> c = new HashMap<>(clientConfig);
      c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
      consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
      scoreSerde = topics.scores().valueSerde();
      feedbackSerde = topics.feedback().valueSerde();
      scoresTopic = topics.scores().name();
      List<TopicPartition> all = new ArrayList<>();
      for (TopicSpec<String, ?> t : List.of(topics.scores(), topics.feedback())) {
        for (int p = 0; p < t.partitions(); p++) {
          all.add(new TopicPartition(t.name(), p));
        }
      }
      consumer.assign(all);
      consumer.seekToBeginning(all);
      thread = new Thread(this::loop, "chaos-committed-reader");
      thread.setDaemon(true);
      thread.start();
    }

    private void loop() {
      try {
        while (running) {
          var records = consumer.poll(Duration.ofMillis(100));
          long seenAt = System.currentTimeMillis();
          synchronized (this) {
            for (ConsumerRecord<byte[], byte[]> r : records) {
              if (r.topic().equals(scoresTopic)) {
                scores.add(new SeenScore(scoreSerde.deserialize(r.value()), seenAt));
              } else {
                feedback.add(feedbackSerde.deserialize(r.value()));
              }
            }
          }
        }
      } catch (WakeupException e) {
        // closing
      } catch (RuntimeException e) {
        failure = e;
      }
    }

    private void check() {
      if (failure != null) {
        throw new IllegalStateException("the reader of scores and feedback failed: "
            + failure.getMessage(), failure);
      }
    }

    synchronized List<SeenScore> scores() {
      check();
      return List.copyOf(scores);
    }

    synchronized int scoreCount() {
      check();
      return scores.size();
    }

    synchronized List<Feedback> feedback() {
      check();
      return List.copyOf(feedback);
    }

    synchronized int feedbackCount() {
      check();
      return feedback.size();
    }

    @Override
    public void close() {
      running = false;
      consumer.wakeup();
      try {
        thread.join(10_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  /** Records on a topic read read_uncommitted: committed and aborted ones alike. */
  static long uncommittedCount(Map<String, Object> clientConfig, TopicSpec<String, ?> topic) {
    Map<String, Object> c = new HashMap<>(clientConfig);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(),
        new ByteArrayDeserializer())) {
      List<TopicPartition> all = new ArrayList<>();
      for (int p = 0; p < topic.partitions(); p++) {
        all.add(new TopicPartition(topic.name(), p));
      }
      consumer.assign(all);
      consumer.seekToBeginning(all);
      Map<TopicPartition, Long> end = consumer.endOffsets(all);
      long count = 0;
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (System.nanoTime() < deadline
          && all.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        count += consumer.poll(Duration.ofMillis(200)).count();
      }
      return count;
    }
  }
}
