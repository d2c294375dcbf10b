package io.ctrstream.cli.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstream.cli.bench.BenchCluster;
import io.ctrstream.cli.bench.ScoringBenchmark.Progress;
import io.ctrstream.cli.chaos.HostileCorpus.Entry;
import io.ctrstream.cli.chaos.HostileCorpus.Input;
import io.ctrstream.cli.chaos.HostileCorpus.Outcome;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.DeadLetter;
import io.ctrstream.schemas.FailureKind;
import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.Rating;
import io.ctrstream.schemas.Score;
import io.ctrstream.schemas.TopicSpec;
import io.ctrstream.schemas.Topics;
import io.ctrstream.schemas.UserProfile;
import io.ctrstream.streams.ScorerApp;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.SwappableModelProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ./ctr chaos input}: proves that nothing in the input stops scoring. On a broker started
 * in this process, or a running cluster (topics with a prefix unique to the run, deleted at the
 * end, as {@link BenchCluster} does for the benchmark), it starts a scorer ({@link ScorerApp}
 * with its exception handlers and dead-letter producer, exactly_once_v2, the {@link ChaosScorer}
 * model), publishes valid users and movies, then the {@link HostileCorpus} interleaved with valid
 * impressions and ratings, and waits until every valid impression has a score and every hostile
 * record a dead letter (or the timeout). It then checks, reading scores and dead letters
 * read_committed:
 *
 * <ul>
 *   <li>each hostile record has exactly one dead letter, found by its topic, partition and offset,
 *       of the expected kind, with a non-empty reason holding the expected fragment;
 *   <li>no other record (valid or accepted) was dead-lettered;
 *   <li>each valid impression has exactly one score, and nothing else was scored;
 *   <li>no stream thread died, and Kafka Streams is still RUNNING and live.
 * </ul>
 */
public final class InputChaos {
  private static final Logger LOG = LoggerFactory.getLogger(InputChaos.class);
  private static final int MAX_PROBLEMS_LISTED = 50;
  private static final List<String> GENRES = List.of("Action", "Comedy", "Drama", "Horror",
      "Romance", "Sci-Fi", "Thriller", "Documentary");

  /**
   * What to run.
   *
   * @param validImpressions valid impressions interleaved with the corpus
   * @param validRatings valid ratings interleaved with the corpus
   * @param users valid users published first ("u0".."u{users-1}"; the corpus uses u1 to u3)
   * @param movies valid movies published first ("1".."movies"; the corpus uses 1 to 3)
   * @param timeout longest wait for the scores and dead letters
   * @param settle how long to go on reading once everything expected arrived (late duplicates
   *     and unexpected dead letters)
   * @param bootstrapServers a running cluster, or null for a broker in this process
   * @param kafkaProperties client properties file for the running cluster, or null
   * @param replicationFactor replicas of each topic on the running cluster; empty: min(3, brokers)
   */
  public record Options(HostileCorpus corpus, int validImpressions, int validRatings, int users,
      int movies, Duration timeout, Duration settle, long seed, String bootstrapServers,
      Path kafkaProperties, Optional<Short> replicationFactor, Progress progress) {

    /** Problems with these options; empty when they can run. */
    public List<String> problems() {
      List<String> p = new ArrayList<>();
      if (validImpressions < 1) {
        p.add("valid impressions must be > 0, got " + validImpressions);
      }
      if (validRatings < 0) {
        p.add("valid ratings must be >= 0, got " + validRatings);
      }
      if (users < 4) {
        p.add("users must be >= 4 (the corpus uses u1 to u3), got " + users);
      }
      if (movies < 3) {
        p.add("movies must be >= 3 (the corpus uses 1 to 3), got " + movies);
      }
      if (timeout.isNegative() || timeout.isZero()) {
        p.add("timeout must be > 0, got " + timeout);
      }
      if (settle.isNegative()) {
        p.add("settle must be >= 0, got " + settle);
      }
      if (bootstrapServers != null && bootstrapServers.isBlank()) {
        p.add("bootstrap servers must not be blank (leave them out for an in-process broker)");
      }
      if (bootstrapServers == null && (kafkaProperties != null || replicationFactor.isPresent())) {
        p.add("Kafka properties and a replication factor are for a running cluster: give its"
            + " bootstrap servers too");
      }
      if (kafkaProperties != null && !Files.isReadable(kafkaProperties)) {
        p.add("Kafka properties file " + kafkaProperties + " cannot be read");
      }
      if (replicationFactor.isPresent() && replicationFactor.get() < 1) {
        p.add("replication factor must be >= 1, got " + replicationFactor.get());
      }
      return p;
    }
  }

  /**
   * What a run found. The run passed when {@link #passed()}: no hostile record missing, wrongly
   * kinded or dead-lettered twice, no empty reason, no unexpected dead letter, no valid impression
   * lost or scored twice, nothing unexpected scored, no thread died, Streams RUNNING and live.
   *
   * @param hostileSent hostile records the broker took
   * @param deadLettered hostile records with at least one dead letter
   * @param missing hostile records with none
   * @param wrongKind hostile records dead-lettered with another kind or reason than expected
   * @param duplicateDeadLetters hostile records with more than one dead letter
   * @param emptyReasons dead letters without a reason
   * @param unexpectedDeadLetters dead letters of records that are valid, or of no record sent
   * @param acceptedSent valid corpus records with no output to check (users, movies, ratings)
   * @param refused records the broker refused, as the corpus expects (null keys, compacted topics)
   * @param notSent records the broker refused that the corpus expects it to take (e.g. a record
   *     over the cluster's message.max.bytes): not checked, a warning
   * @param validImpressions impressions that must be scored: the valid ones and the corpus's
   * @param scored of those, scored at least once
   * @param duplicates of those, scored more than once
   * @param lost of those, never scored
   * @param unexpectedScores scores of no impression expected to be scored
   * @param threadsDied stream threads that died (and were replaced)
   * @param state Kafka Streams' state at the end
   * @param leftRunning the states other than RUNNING Kafka Streams was seen in during the run
   *     (REBALANCING is tolerated; a state on the way to stopping fails the run)
   * @param live whether liveness held at the end
   * @param problems what failed, one line each (the first {@value #MAX_PROBLEMS_LISTED})
   */
  public record Figures(String broker, int hostileSent, int deadLettered, int missing,
      int wrongKind, int duplicateDeadLetters, int emptyReasons, int unexpectedDeadLetters,
      int acceptedSent, int refused, int notSent, int validImpressions, int scored,
      int duplicates, int lost, int unexpectedScores, int threadsDied, String state,
      List<String> leftRunning, boolean live, double seconds, List<String> problems) {

    public boolean passed() {
      return missing == 0 && wrongKind == 0 && duplicateDeadLetters == 0 && emptyReasons == 0
          && unexpectedDeadLetters == 0 && duplicates == 0 && lost == 0 && unexpectedScores == 0
          && threadsDied == 0 && "RUNNING".equals(state) && live
          && leftRunning.stream().allMatch("REBALANCING"::equals);
    }
  }

  /** A record sent: its corpus entry (null for a valid one) and where it went. */
  private record Sent(Entry entry, String label, Future<RecordMetadata> ack) {}

  private final Options o;
  private final ObjectMapper json = new ObjectMapper();

  public InputChaos(Options options) {
    this.o = Objects.requireNonNull(options);
    List<String> problems = options.problems();
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
  }

  public Figures run() throws IOException, InterruptedException {
    long began = System.nanoTime();
    Path stateDir = Files.createTempDirectory("ctr-chaos-state-");
    o.progress().begin(o.bootstrapServers() == null ? "starting the in-process broker"
        : "connecting to " + o.bootstrapServers(), 1);
    try (BenchCluster kafka = o.bootstrapServers() == null
        ? BenchCluster.inProcess(EmbeddedKafka.builder(), "chaos-")
        : BenchCluster.external("chaos", o.bootstrapServers(), o.kafkaProperties(),
            o.replicationFactor())) {
      o.progress().end();
      LOG.info("chaos input against the {}", kafka.describe());
      Topics topics = Topics.builder().optPrefix(kafka.namePrefix()).build();
      kafka.createTopics(topics);
      return runOn(kafka, topics, stateDir, began);
    } finally {
      deleteTree(stateDir);
    }
  }

  private Figures runOn(BenchCluster kafka, Topics topics, Path stateDir, long began)
      throws InterruptedException {
    Map<String, String> settings = new HashMap<>(Map.of(
        "bootstrap.servers", kafka.bootstrapServers(),
        "application.id", kafka.namePrefix() + "scorer",
        "topic.prefix", topics.prefix(),
        "state.dir", stateDir.toString(),
        "http.port", "0"));
    if (o.kafkaProperties() != null) {
      settings.put("kafka.properties", o.kafkaProperties().toString());
    }
    ScorerConfig config = ScorerConfig.fromMap(settings);
    ScorerMetrics metrics = ScorerMetrics.inMemory();
    SwappableModelProvider models = new SwappableModelProvider(0.5, metrics);
    models.release(ChaosScorer.VERSION, ChaosScorer::new);
    Map<String, Object> producerConfig = new HashMap<>(kafka.clientConfig());
    producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
    producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    // As the benchmark: not idempotent (seen stuck on fresh topics), one request in flight keeps
    // the order, which the corpus's duplicates depend on. No retries: a record sent twice would
    // be two records, and the checks count exactly.
    producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    producerConfig.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    producerConfig.put(ProducerConfig.RETRIES_CONFIG, 0);
    Random random = new Random(o.seed());
    long now = System.currentTimeMillis();

    try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(producerConfig,
            new ByteArraySerializer(), new ByteArraySerializer());
        Reader reader = new Reader(kafka.clientConfig(), topics)) {
      topics.all().forEach(t -> producer.partitionsFor(t.name()));
      o.progress().begin("publishing " + o.users() + " users and " + o.movies() + " movies", 1);
      for (int m = 1; m <= o.movies(); m++) {
        List<String> genres = List.of(GENRES.get(m % GENRES.size()), GENRES.get((m * 7 + 3) % GENRES.size()))
            .stream().distinct().toList();
        send(producer, topics.movies(), Integer.toString(m), new Movie(Integer.toString(m), "movie " + m, genres));
      }
      for (int u = 0; u < o.users(); u++) {
        send(producer, topics.users(), "u" + u, new UserProfile("u" + u, u % 2 == 0 ? "F" : "M",
            18 + u % 40, Integer.toString(u % 21), "z" + u));
      }
      producer.flush();
      o.progress().end();

      o.progress().begin("starting the scorer", 1);
      try (ScorerApp app = new ScorerApp(config, models, metrics)) {
        app.start();
        awaitRunning(app.streams());
        o.progress().end();

        // The corpus in its order, interleaved at random with the valid impressions and ratings.
        Map<String, Integer> expectedScores = new LinkedHashMap<>();
        List<Sent> sent = new ArrayList<>();
        List<Entry> corpus = o.corpus().entries();
        int validTotal = o.validImpressions() + o.validRatings();
        int c = 0;
        int v = 0;
        int impressionsLeft = o.validImpressions();
        o.progress().begin("sending " + corpus.size() + " corpus and " + validTotal + " valid records",
            corpus.size() + validTotal);
        while (c < corpus.size() || v < validTotal) {
          boolean fromCorpus = v >= validTotal
              || c < corpus.size() && random.nextInt(corpus.size() - c + validTotal - v) < corpus.size() - c;
          if (fromCorpus) {
            Entry e = corpus.get(c++);
            boolean refusedAlone = e.expect().outcome() == Outcome.REFUSED;
            if (refusedAlone) {
              // The broker refuses the whole batch that holds a record it refuses: send it alone.
              producer.flush();
            }
            sent.add(new Sent(e, e.name(), sendEntry(producer, topics, e, now)));
            if (refusedAlone) {
              producer.flush();
            }
            if (e.expect().outcome() == Outcome.SCORED) {
              expectedScores.merge(scoreKey(e.value(now)), 1, Integer::sum);
            }
          } else {
            String user = "u" + random.nextInt(o.users());
            String movie = Integer.toString(1 + random.nextInt(o.movies()));
            long ts = System.currentTimeMillis();
            boolean impression = impressionsLeft > 0
                && random.nextInt(validTotal - v) < impressionsLeft;
            if (impression) {
              String id = "v" + (o.validImpressions() - impressionsLeft);
              impressionsLeft--;
              Impression i = new Impression(id, user, movie, ts);
              sent.add(new Sent(null, "valid impression " + id, send(producer, topics.impressions(), user, i)));
              expectedScores.merge(scoreKey(id, user, movie), 1, Integer::sum);
            } else {
              Rating r = new Rating(user, movie, (double) (1 + random.nextInt(5)), ts);
              sent.add(new Sent(null, "valid rating of " + user, send(producer, topics.ratings(), user, r)));
            }
            v++;
          }
          o.progress().update(c + v);
        }
        producer.flush();
        o.progress().end();

        // Where each record went; refused ones are set apart.
        Map<String, Sent> byCoordinates = new HashMap<>();
        List<String> problems = new ArrayList<>();
        int hostileSent = 0;
        int acceptedSent = 0;
        int refused = 0;
        int notSent = 0;
        List<Entry> hostile = new ArrayList<>();
        Map<Entry, String> coordinatesOf = new HashMap<>();
        for (Sent s : sent) {
          RecordMetadata md;
          try {
            md = s.ack().get(60, TimeUnit.SECONDS);
          } catch (ExecutionException | TimeoutException e) {
            String why = e instanceof ExecutionException ? e.getCause().toString() : e.toString();
            if (s.entry() != null && s.entry().expect().outcome() == Outcome.REFUSED) {
              refused++;
            } else if (s.entry() != null) {
              notSent++;
              LOG.warn("the broker refused corpus record {} (not checked): {}", s.label(), why);
              if (s.entry().expect().outcome() == Outcome.SCORED) {
                expectedScores.remove(scoreKey(s.entry().value(now)));
              }
            } else {
              throw new IllegalStateException("the broker refused " + s.label() + ": " + why, e);
            }
            continue;
          }
          String at = coordinates(md.topic(), md.partition(), md.offset());
          byCoordinates.put(at, s);
          if (s.entry() == null) {
            continue;
          }
          coordinatesOf.put(s.entry(), at);
          switch (s.entry().expect().outcome()) {
            case DEAD_LETTERED -> {
              hostileSent++;
              hostile.add(s.entry());
            }
            case ACCEPTED -> acceptedSent++;
            case SCORED -> { }
            case REFUSED -> problems.add(s.entry().name() + ": expected the broker to refuse it, it took it at " + at);
          }
        }

        // Wait for every score and dead letter expected, then a little longer for strays.
        int expectedLetters = hostile.size();
        o.progress().begin("waiting for " + expectedScores.size() + " scores and " + expectedLetters
            + " dead letters", expectedScores.size() + expectedLetters);
        long deadline = System.nanoTime() + o.timeout().toNanos();
        long settleUntil = Long.MAX_VALUE;
        List<String> states = new ArrayList<>();
        while (System.nanoTime() < Math.min(deadline, settleUntil)) {
          reader.poll();
          KafkaStreams.State state = app.streams().state();
          if (state != KafkaStreams.State.RUNNING && !states.contains(state.name())) {
            states.add(state.name());
          }
          long scoredNow = expectedScores.keySet().stream().filter(k -> reader.scores.containsKey(k)).count();
          long letteredNow = hostile.stream().filter(e -> reader.letters.containsKey(coordinatesOf.get(e))).count();
          o.progress().update(scoredNow + letteredNow);
          if (settleUntil == Long.MAX_VALUE && scoredNow == expectedScores.size() && letteredNow == expectedLetters) {
            settleUntil = System.nanoTime() + o.settle().toNanos();
          }
        }
        reader.poll();
        o.progress().end();
        if (!states.isEmpty()) {
          LOG.info("Kafka Streams left RUNNING during the run: {}", states);
        }

        // Dead letters: one each for the hostile, none for anything else.
        int deadLettered = 0;
        int missing = 0;
        int wrongKind = 0;
        int duplicateLetters = 0;
        int emptyReasons = 0;
        int unexpectedLetters = 0;
        for (Entry e : hostile) {
          List<DeadLetter> letters = reader.letters.getOrDefault(coordinatesOf.get(e), List.of());
          if (letters.isEmpty()) {
            missing++;
            problems.add(e.name() + ": no dead letter (expected " + e.expect().kind().wireName() + ")");
            continue;
          }
          deadLettered++;
          if (letters.size() > 1) {
            duplicateLetters++;
            problems.add(e.name() + ": " + letters.size() + " dead letters");
          }
          DeadLetter d = letters.get(0);
          if (d.reason() == null || d.reason().isBlank()) {
            emptyReasons++;
            problems.add(e.name() + ": a dead letter without a reason");
          } else if (d.kind() != e.expect().kind() || !d.reason().contains(e.expect().reason())) {
            wrongKind++;
            problems.add(e.name() + ": dead-lettered " + d.kind().wireName() + " \"" + cut(d.reason())
                + "\", expected " + e.expect().kind().wireName() + " \"" + e.expect().reason() + "\"");
          }
        }
        for (Map.Entry<String, List<DeadLetter>> at : reader.letters.entrySet()) {
          Sent s = byCoordinates.get(at.getKey());
          if (s != null && s.entry() != null && s.entry().hostile()) {
            continue;
          }
          unexpectedLetters += at.getValue().size();
          for (DeadLetter d : at.getValue()) {
            problems.add("unexpected dead letter of " + (s == null ? "no record sent at " + at.getKey() : s.label())
                + ": " + d.kind().wireName() + " \"" + cut(d.reason()) + "\"");
          }
        }
        // Scores: exactly one per expected impression, none else.
        int scored = 0;
        int duplicates = 0;
        int lost = 0;
        int unexpectedScores = 0;
        for (Map.Entry<String, Integer> want : expectedScores.entrySet()) {
          int got = reader.scores.getOrDefault(want.getKey(), 0);
          if (got == 0) {
            lost++;
            problems.add("no score for impression " + describeKey(want.getKey()));
          } else {
            scored++;
            if (got > want.getValue()) {
              duplicates++;
              problems.add(got + " scores for impression " + describeKey(want.getKey()));
            }
          }
        }
        for (Map.Entry<String, Integer> got : reader.scores.entrySet()) {
          if (!expectedScores.containsKey(got.getKey())) {
            unexpectedScores += got.getValue();
            problems.add("unexpected score of impression " + describeKey(got.getKey()));
          }
        }
        int threadsDied = (int) Math.round(metrics.streamThreadFailures());
        KafkaStreams.State state = app.streams().state();
        boolean live = app.health().live().ok();
        if (threadsDied > 0) {
          problems.add(threadsDied + " stream threads died");
        }
        if (state != KafkaStreams.State.RUNNING || !live) {
          problems.add("Kafka Streams is " + state + (live ? "" : ", not live"));
        }
        if (!states.stream().allMatch("REBALANCING"::equals)) {
          problems.add("Kafka Streams left RUNNING for " + states);
        }
        double seconds = Math.round((System.nanoTime() - began) / 1e8) / 10.0;
        List<String> listed = problems.size() <= MAX_PROBLEMS_LISTED ? problems
            : problems.subList(0, MAX_PROBLEMS_LISTED);
        return new Figures(kafka.inProcess() ? "in-process" : "external", hostileSent, deadLettered,
            missing, wrongKind, duplicateLetters, emptyReasons, unexpectedLetters, acceptedSent,
            refused, notSent, expectedScores.size(), scored, duplicates, lost, unexpectedScores,
            threadsDied, state.name(), List.copyOf(states), live, seconds, List.copyOf(listed));
      }
    }
  }

  private void awaitRunning(KafkaStreams streams) throws InterruptedException {
    long deadline = System.nanoTime() + o.timeout().toNanos();
    while (streams.state() != KafkaStreams.State.RUNNING) {
      if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
        throw new IllegalStateException("the scorer is " + streams.state() + " after "
            + o.timeout().toSeconds() + " s");
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }

  private Future<RecordMetadata> sendEntry(KafkaProducer<byte[], byte[]> producer, Topics topics,
      Entry e, long now) {
    TopicSpec<String, ?> topic = switch (e.topic()) {
      case USERS -> topics.users();
      case MOVIES -> topics.movies();
      case IMPRESSIONS -> topics.impressions();
      case RATINGS -> topics.ratings();
    };
    byte[] key = e.key(now);
    Integer partition = e.partition();
    if (partition == null && key == null) {
      partition = 0;
    } else if (partition != null && partition == Entry.WRONG_PARTITION) {
      int n = topic.partitions();
      int right = key == null ? 0 : Utils.toPositive(Utils.murmur2(key)) % n;
      partition = (right + 1) % n;
    }
    try {
      return producer.send(new ProducerRecord<>(topic.name(), partition, e.timestamp(), key, e.value(now)));
    } catch (RuntimeException ex) {
      return CompletableFuture.failedFuture(ex);
    }
  }

  private static <V> Future<RecordMetadata> send(KafkaProducer<byte[], byte[]> producer,
      TopicSpec<String, V> topic, String key, V value) {
    return producer.send(new ProducerRecord<>(topic.name(), key.getBytes(StandardCharsets.UTF_8),
        topic.valueSerde().serialize(value)));
  }

  /** The (impressionId, userId, movieId) of a corpus impression's value. */
  private String scoreKey(byte[] impression) {
    try {
      JsonNode n = json.readTree(impression);
      return scoreKey(n.get("impressionId").asText(), n.get("userId").asText(), n.get("movieId").asText());
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("a corpus record expected to be scored is not an impression: "
          + new String(impression, StandardCharsets.UTF_8), e);
    }
  }

  static String scoreKey(String impressionId, String userId, String movieId) {
    return impressionId + '\u0000' + userId + '\u0000' + movieId;
  }

  private static String describeKey(String key) {
    String[] p = key.split("\u0000", -1);
    return cut(p[0]) + " (user " + cut(p[1]) + ", movie " + cut(p.length > 2 ? p[2] : "?") + ")";
  }

  static String coordinates(String topic, int partition, long offset) {
    return topic + "-" + partition + "@" + offset;
  }

  private static String cut(String s) {
    String t = s.length() > 160 ? s.substring(0, 160) + "..." : s;
    StringBuilder sb = new StringBuilder();
    t.codePoints().forEach(cp -> {
      if (Character.isISOControl(cp)) {
        sb.append(String.format(java.util.Locale.ROOT, "\\u%04x", cp));
      } else {
        sb.appendCodePoint(cp);
      }
    });
    return sb.toString();
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("could not delete the chaos run's state in {}: {}", root, e.getMessage());
    }
  }

  /** Reads scores and dead letters read_committed, from the beginning, in the caller's thread. */
  private static final class Reader implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> scoresConsumer;
    private final KafkaConsumer<byte[], byte[]> lettersConsumer;
    private final JsonSerde<Score> scoreSerde;
    private final JsonSerde<DeadLetter> letterSerde;
    final Map<String, Integer> scores = new HashMap<>();
    final Map<String, List<DeadLetter>> letters = new HashMap<>();

    Reader(Map<String, Object> clientConfig, Topics topics) {
      Map<String, Object> c = new HashMap<>(clientConfig);
      c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
      this.scoresConsumer = consumer(c, topics.scores());
      this.lettersConsumer = consumer(c, topics.deadLetters());
      this.scoreSerde = topics.scores().valueSerde();
      this.letterSerde = topics.deadLetters().valueSerde();
    }

    private static KafkaConsumer<byte[], byte[]> consumer(Map<String, Object> config, TopicSpec<String, ?> topic) {
      KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(),
          new ByteArrayDeserializer());
      List<TopicPartition> partitions = new ArrayList<>();
      for (int p = 0; p < topic.partitions(); p++) {
        partitions.add(new TopicPartition(topic.name(), p));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      return consumer;
    }

    void poll() {
      for (ConsumerRecord<byte[], byte[]> r : scoresConsumer.poll(Duration.ofMillis(50))) {
        String key;
        try {
          Score s = scoreSerde.deserialize(r.value());
          key = scoreKey(s.impressionId(), s.userId(), s.movieId());
        } catch (RuntimeException e) {
          // An unreadable score is a score of nothing expected: counted as unexpected.
          key = scoreKey("unreadable score at " + coordinates(r.topic(), r.partition(), r.offset())
              + ": " + e.getMessage(), "?", "?");
        }
        scores.merge(key, 1, Integer::sum);
      }
      for (ConsumerRecord<byte[], byte[]> r : lettersConsumer.poll(Duration.ofMillis(50))) {
        DeadLetter d;
        try {
          d = letterSerde.deserialize(r.value());
        } catch (RuntimeException e) {
          d = new DeadLetter("unreadable dead letter", r.partition(), r.offset(),
              FailureKind.PROCESSING_ERROR, "unreadable: " + e.getMessage(),
              null, null, DeadLetter.PayloadEncoding.UTF8, false, 0L, null, null, null, null, null, null);
        }
        letters.computeIfAbsent(coordinates(d.sourceTopic(), d.partition(), d.offset()),
            k -> new ArrayList<>()).add(d);
      }
    }

    @Override
    public void close() {
      scoresConsumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
      lettersConsumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }
}
