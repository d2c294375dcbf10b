package io.ctrstream.trainer.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.Level;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Decoded;
import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.Rating;
import io.ctrstream.schemas.TopicSpec;
import io.ctrstream.schemas.Topics;
import io.ctrstream.schemas.UserProfile;
import io.ctrstream.trainer.movielens.MovieLensData;
import io.ctrstream.trainer.movielens.MovieLensReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.ProducerInterceptor;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.slf4j.LoggerFactory;

/**
 * Proves, against a real in-process KRaft broker, that a replay of the hand-written fixture
 * {@code replay/ml-100k-tiny} publishes exactly what the contract says: every user and movie once,
 * keyed by id, before any event; one impression immediately before each rating (in the
 * producer's send order), both keyed by userId, in time order per user, with epoch-ms event
 * timestamps equal to the record timestamps; every value decodes and validates with the
 * schemas' serdes; the invalid row is skipped. Also that checkpoint hooks run only when
 * everything counted is in Kafka, that stop() ends a run with exactly what was acknowledged,
 * that the limit keeps the earliest ratings, that missing topics are an error and not
 * auto-created, and that TopicSetup creates the registry's topics with their cleanup policies.
 */
class ReplayerKafkaTest {

  private static final Path FIXTURE = Path.of("src/test/resources/replay/ml-100k-tiny");
  private static final Duration READ_TIMEOUT = Duration.ofSeconds(30);

  /** The fixture's ratings in replay order (time, then user, then movie): user, movie, stars, s. */
  private static final List<Object[]> EXPECTED = List.of(
      new Object[] {"3", "30", 1.0, 880000050L},
      new Object[] {"1", "20", 3.0, 880000100L},
      new Object[] {"3", "10", 4.0, 880000100L},
      new Object[] {"1", "10", 4.0, 880000200L},
      new Object[] {"2", "10", 5.0, 880000300L},
      new Object[] {"2", "20", 2.0, 880000300L},
      new Object[] {"1", "30", 5.0, 880000400L},
      new Object[] {"1", "40", 2.0, 880000500L});

  private static EmbeddedKafka kafka;
  private static MovieLensData fixture;

  @BeforeAll
  static void startBroker() throws Exception {
    // No logback-test.xml in this module: keep the broker's INFO chatter out of the test log.
    for (String name : List.of("org.apache.kafka", "kafka", "state.change.logger")) {
      ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(name)).setLevel(Level.WARN);
    }
    // Retention is checked every second, not every 5 minutes, so the retention test is quick.
    // The other tests' topics keep their records for ever (see createInputs).
    kafka = EmbeddedKafka.builder()
        .optBrokerProperty("log.retention.check.interval.ms", "1000")
        .start();
    fixture = MovieLensReader.read(FIXTURE);
  }

  @AfterAll
  static void stopBroker() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void publishesCatalogThenOneImpressionBeforeEachRatingExactlyOnce(TestInfo info) {
    Topics topics = createInputs(info);
    String recorderId = info.getDisplayName();

    ReplaySummary summary = replayer(topics)
        .optProducerProperties(Map.of(
            "interceptor.classes", SendOrderRecorder.class.getName(),
            SendOrderRecorder.ID_CONFIG, recorderId))
        .build()
        .run();

    assertThat(summary.completed()).isTrue();
    assertThat(summary.counts()).isEqualTo(new ReplayCounts(3, 4, 8, 8, 1));

    // users and movies: each once, keyed by id, values as in u.user / u.item.
    Map<String, UserProfile> users = latestByKey(readAll(topics.users()));
    assertThat(users).containsExactlyInAnyOrderEntriesOf(Map.of(
        "1", new UserProfile("1", "M", 24, "technician", "85711"),
        "2", new UserProfile("2", "F", 53, "other", "94043"),
        "3", new UserProfile("3", "F", null, null, null)));
    Map<String, Movie> movies = latestByKey(readAll(topics.movies()));
    assertThat(movies).containsExactlyInAnyOrderEntriesOf(Map.of(
        "10", new Movie("10", "Alpha (1995)", List.of("Action")),
        "20", new Movie("20", "Beta (1996)", List.of("Comedy", "Drama")),
        "30", new Movie("30", "Gamma (1997)", List.of()),
        "40", new Movie("40", "Delta (1998)", List.of("Sci-Fi"))));
    assertThat(readAll(topics.users())).hasSize(3);
    assertThat(readAll(topics.movies())).hasSize(4);

    // ratings: keyed by userId, per user in time order, ms timestamps on value and record.
    List<ConsumerRecord<String, Rating>> ratings = readAll(topics.ratings());
    assertThat(ratings).hasSize(8);
    Map<String, List<Rating>> ratingsByUser = byKeyInOffsetOrder(ratings);
    for (ConsumerRecord<String, Rating> r : ratings) {
      assertThat(r.key()).isEqualTo(r.value().userId());
      assertThat(r.timestamp()).isEqualTo(r.value().timestamp());
    }
    for (String user : List.of("1", "2", "3")) {
      List<Rating> expected = EXPECTED.stream().filter(e -> e[0].equals(user))
          .map(e -> new Rating(user, (String) e[1], (Double) e[2], (Long) e[3] * 1000))
          .toList();
      assertThat(ratingsByUser.get(user)).as("ratings of user %s", user).isEqualTo(expected);
    }

    // impressions: one per rating, 1 ms before it, deterministic id, same key and partition order.
    List<ConsumerRecord<String, Impression>> impressions = readAll(topics.impressions());
    assertThat(impressions).hasSize(8);
    for (ConsumerRecord<String, Impression> i : impressions) {
      assertThat(i.key()).isEqualTo(i.value().userId());
      assertThat(i.timestamp()).isEqualTo(i.value().timestamp());
    }
    Map<String, List<Impression>> impressionsByUser = byKeyInOffsetOrder(impressions);
    for (Map.Entry<String, List<Rating>> e : ratingsByUser.entrySet()) {
      List<Impression> expected = e.getValue().stream().map(r -> new Impression(
          "imp-" + r.userId() + "-" + r.movieId() + "-" + r.timestamp(),
          r.userId(), r.movieId(), r.timestamp() - 1)).toList();
      assertThat(impressionsByUser.get(e.getKey())).isEqualTo(expected);
    }

    // Send order, as the producer saw it: the whole catalog first, then impression/rating pairs.
    List<ProducerRecord<String, byte[]>> sent = SendOrderRecorder.sent(recorderId);
    assertThat(sent).hasSize(3 + 4 + 8 + 8);
    assertThat(sent.subList(0, 7)).extracting(ProducerRecord::topic)
        .containsOnly(topics.users().name(), topics.movies().name());
    List<ProducerRecord<String, byte[]>> events = sent.subList(7, sent.size());
    for (int k = 0; k < events.size(); k += 2) {
      assertThat(events.get(k).topic()).isEqualTo(topics.impressions().name());
      assertThat(events.get(k + 1).topic()).isEqualTo(topics.ratings().name());
      Impression shown = topics.impressions().valueSerde().deserialize(events.get(k).value());
      Rating rated = topics.ratings().valueSerde().deserialize(events.get(k + 1).value());
      Object[] expected = EXPECTED.get(k / 2);
      assertThat(List.of(rated.userId(), rated.movieId(), rated.timestamp()))
          .as("event %d in replay order", k / 2)
          .isEqualTo(List.of(expected[0], expected[1], (Long) expected[3] * 1000));
      assertThat(List.of(shown.userId(), shown.movieId(), shown.timestamp() + 1))
          .isEqualTo(List.of(rated.userId(), rated.movieId(), rated.timestamp()));
    }
    // The catalog is stamped before the first event, so a Streams task reads it first.
    long firstEvent = impressions.stream().mapToLong(ConsumerRecord::timestamp).min().orElseThrow();
    assertThat(readAll(topics.users())).allMatch(r -> r.timestamp() < firstEvent);
    assertThat(readAll(topics.movies())).allMatch(r -> r.timestamp() < firstEvent);
  }

  @Test
  void checkpointHooksRunWhenEverythingCountedIsInKafka(TestInfo info) {
    Topics topics = createInputs(info);
    List<String> seen = new ArrayList<>();
    List<String> phases = new ArrayList<>();

    ReplaySummary summary = replayer(topics)
        .optProgress(new ReplayListener() {
          @Override
          public void onPhaseStart(ReplayPhase phase, long records) {
            phases.add("start " + phase + " " + records);
          }

          @Override
          public void onPhaseEnd(ReplayPhase phase, ReplayCounts published) {
            phases.add("end " + phase + " " + published.records());
          }
        })
        .optCheckpoints(Checkpoints.of(0.25, 0.5, 1.0), (fraction, published) -> seen.add(
            fraction + ": counted " + published.impressions() + "/" + published.ratings()
                + ", in Kafka " + endOffsets(topics.impressions()) + "/"
                + endOffsets(topics.ratings())))
        .build()
        .run();

    // 9 rows: 25 % is reached at row 3, 50 % at row 5, 100 % at row 9 (the skipped one).
    assertThat(seen).containsExactly(
        "0.25: counted 3/3, in Kafka 3/3",
        "0.5: counted 5/5, in Kafka 5/5",
        "1.0: counted 8/8, in Kafka 8/8");
    assertThat(phases).containsExactly(
        "start CATALOG 7", "end CATALOG 7", "start EVENTS 18", "end EVENTS 23");
    assertThat(summary.completed()).isTrue();
  }

  @Test
  void stopEndsTheRunWithExactlyWhatWasAcknowledged(TestInfo info) {
    Topics topics = createInputs(info);
    AtomicReference<Replayer> self = new AtomicReference<>();
    Replayer replayer = replayer(topics)
        .optCheckpoints(Checkpoints.of(0.5), (fraction, published) -> self.get().stop())
        .build();
    self.set(replayer);

    ReplaySummary summary = replayer.run();

    assertThat(summary.completed()).isFalse();
    assertThat(summary.counts()).isEqualTo(new ReplayCounts(3, 4, 5, 5, 0));
    assertThat(readAll(topics.ratings())).hasSize(5);
    assertThat(readAll(topics.impressions())).hasSize(5);
  }

  @Test
  void limitReplaysOnlyTheEarliestRatings(TestInfo info) {
    Topics topics = createInputs(info);

    ReplaySummary summary = replayer(topics).optLimit(3).build().run();

    assertThat(summary.counts()).isEqualTo(new ReplayCounts(3, 4, 3, 3, 0));
    assertThat(readAll(topics.ratings())).extracting(r -> r.value().timestamp())
        .containsExactlyInAnyOrder(880000050_000L, 880000100_000L, 880000100_000L);
  }

  @Test
  void liveTimeStampsEventsWithTheSendTimeInTheSameOrderAndWithTheSameIds(TestInfo info) {
    Topics topics = createInputs(info);
    long before = System.currentTimeMillis();

    ReplaySummary summary = replayer(topics).optEventTime(EventTime.LIVE).build().run();

    long after = System.currentTimeMillis();
    assertThat(summary.counts()).isEqualTo(new ReplayCounts(3, 4, 8, 8, 1));
    List<ConsumerRecord<String, Impression>> impressions = readAll(topics.impressions());
    List<ConsumerRecord<String, Rating>> ratings = readAll(topics.ratings());
    Map<String, Long> shownAt = new LinkedHashMap<>();
    for (ConsumerRecord<String, Impression> i : impressions) {
      assertThat(i.timestamp()).isEqualTo(i.value().timestamp()).isBetween(before, after);
      shownAt.put(i.value().impressionId(), i.value().timestamp());
    }
    // Ids are the data set's, exactly as in a DATASET replay.
    assertThat(shownAt.keySet()).containsExactlyInAnyOrderElementsOf(EXPECTED.stream()
        .map(e -> "imp-" + e[0] + "-" + e[1] + "-" + (Long) e[3] * 1000).toList());
    for (ConsumerRecord<String, Rating> r : ratings) {
      assertThat(r.timestamp()).isEqualTo(r.value().timestamp()).isBetween(before, after);
      Object[] source = EXPECTED.stream()
          .filter(e -> e[0].equals(r.value().userId()) && e[1].equals(r.value().movieId()))
          .findFirst().orElseThrow();
      String impressionId = "imp-" + source[0] + "-" + source[1] + "-" + (Long) source[3] * 1000;
      assertThat(r.value().timestamp()).as("rated after shown")
          .isGreaterThan(shownAt.get(impressionId));
      assertThat(r.value().rating()).isEqualTo(source[2]);
    }
    // Per user, live time follows the data set's order.
    Map<String, List<Rating>> byUser = byKeyInOffsetOrder(ratings);
    for (Map.Entry<String, List<Rating>> e : byUser.entrySet()) {
      List<String> movies = e.getValue().stream().map(Rating::movieId).toList();
      assertThat(movies).isEqualTo(EXPECTED.stream().filter(x -> x[0].equals(e.getKey()))
          .map(x -> (String) x[1]).toList());
      assertThat(e.getValue()).extracting(Rating::timestamp).isSorted();
    }
    long firstEvent = impressions.stream().mapToLong(ConsumerRecord::timestamp).min().orElseThrow();
    assertThat(readAll(topics.users())).allMatch(r -> r.timestamp() <= firstEvent);
  }

  @Test
  void timeBasedRetentionDeletesDataSetTimeEventsButNotLiveOnes(TestInfo info) {
    // The registry's own configs (7-day retention on impressions and ratings), two prefixes.
    Topics dataset = Topics.withPrefix(prefix(info) + "dataset.");
    Topics live = Topics.withPrefix(prefix(info) + "live.");
    for (Topics t : List.of(dataset, live)) {
      kafka.createTopics(TopicSetup.inputs(t).stream().map(s -> s.newTopic((short) 1)).toList());
    }
    replayer(dataset).build().run();
    replayer(live).optEventTime(EventTime.LIVE).build().run();

    // Records stamped 1997 are past the 7-day retention: the next check deletes them all.
    Awaitility.await("retention deletes the 1997 ratings").atMost(Duration.ofSeconds(60))
        .until(() -> startOffsets(dataset.ratings()) == 8);
    assertThat(startOffsets(live.ratings())).isZero();
    assertThat(endOffsets(live.ratings())).isEqualTo(8);
    assertThat(readAll(live.ratings())).hasSize(8);
  }

  @Test
  void missingTopicsAreAnErrorAndAreNotAutoCreated(TestInfo info) throws Exception {
    Topics topics = Topics.withPrefix(prefix(info));

    assertThatThrownBy(() -> replayer(topics).build().run())
        .isInstanceOf(ReplayException.class)
        .hasMessageContaining("do not exist")
        .hasMessageContaining(topics.users().name())
        .hasMessageContaining("--create-topics");

    try (Admin admin = Admin.create(kafka.clientConfig())) {
      Set<String> names = admin.listTopics().names().get(30, TimeUnit.SECONDS);
      assertThat(names).noneMatch(n -> n.startsWith(topics.prefix()));
    }
  }

  @Test
  void createMissingMakesEveryRegistryTopicWithItsPartitionsAndPolicy(TestInfo info)
      throws Exception {
    Topics topics = Topics.builder().optPrefix(prefix(info)).optUserPartitions(3).build();
    try (Admin admin = Admin.create(kafka.clientConfig())) {
      Set<String> created = TopicSetup.createMissing(admin, topics, Optional.empty(), READ_TIMEOUT);
      assertThat(created).containsExactlyInAnyOrderElementsOf(
          topics.all().stream().map(TopicSpec::name).toList());
      assertThat(TopicSetup.createMissing(admin, topics, Optional.empty(), READ_TIMEOUT)).isEmpty();

      assertThat(TopicSetup.requireInputs(admin, topics, READ_TIMEOUT)).isEqualTo(Map.of(
          topics.users().name(), 3, topics.movies().name(), 1,
          topics.impressions().name(), 3, topics.ratings().name(), 3));
      Map<ConfigResource, Config> configs = admin.describeConfigs(topics.all().stream()
              .map(t -> new ConfigResource(ConfigResource.Type.TOPIC, t.name())).toList())
          .all().get(30, TimeUnit.SECONDS);
      for (TopicSpec<String, ?> t : topics.all()) {
        Config c = configs.get(new ConfigResource(ConfigResource.Type.TOPIC, t.name()));
        for (Map.Entry<String, String> e : t.configs().entrySet()) {
          assertThat(c.get(e.getKey()).value()).as("%s of %s", e.getKey(), t.name())
              .isEqualTo(e.getValue());
        }
      }
    }
  }

  @Test
  void awaitingScoresSendsEachRatingOnlyOnceItsImpressionIsScoredAndKeepsEachUsersOrder(TestInfo info)
      throws Exception {
    Topics topics = createInputs(info);
    kafka.createTopics(List.of(topics.scores().newTopic((short) 1)));
    Map<String, Long> scoredAt = new ConcurrentHashMap<>();
    ReplaySummary summary = withFakeScorer(topics, scoredAt, () -> replayer(topics)
        .optEventTime(EventTime.LIVE).optAwaitScores(Duration.ofSeconds(20), 3).build().run());
    assertThat(summary.counts()).isEqualTo(new ReplayCounts(3, 4, 8, 8, 1));
    assertThat(summary.unscoredRatings()).isZero();
    Map<String, Long> shownAt = new LinkedHashMap<>();
    readAll(topics.impressions()).forEach(i -> shownAt.put(i.value().impressionId(), i.timestamp()));
    List<ConsumerRecord<String, Rating>> ratings = readAll(topics.ratings());
    for (ConsumerRecord<String, Rating> r : ratings) {
      Rating v = r.value();
      Object[] source = EXPECTED.stream()
          .filter(e -> e[0].equals(v.userId()) && e[1].equals(v.movieId())).findFirst().orElseThrow();
      String impressionId = "imp-" + source[0] + "-" + source[1] + "-" + (Long) source[3] * 1000;
      assertThat(scoredAt).as("scored before rated").containsKey(impressionId);
      assertThat(v.timestamp()).as("rating of %s sent after its score", impressionId)
          .isGreaterThanOrEqualTo(scoredAt.get(impressionId));
    }
    // Per user: impression, rating, next impression, ... in the data set's order.
    Map<String, List<long[]>> perUser = new LinkedHashMap<>();
    for (Object[] e : EXPECTED) {
      String id = "imp-" + e[0] + "-" + e[1] + "-" + (Long) e[3] * 1000;
      long rated = ratings.stream().filter(r -> r.value().userId().equals(e[0])
          && r.value().movieId().equals(e[1])).findFirst().orElseThrow().timestamp();
      perUser.computeIfAbsent((String) e[0], k -> new ArrayList<>())
          .add(new long[] {shownAt.get(id), rated});
    }
    perUser.forEach((user, events) -> {
      for (int k = 1; k < events.size(); k++) {
        assertThat(events.get(k)[0]).as("user %s: next impression after the previous rating", user)
            .isGreaterThan(events.get(k - 1)[1]);
      }
    });
  }

  @Test
  void aCheckpointHookThatBlocksLongerThanTheScoreWaitSendsEachRatingOnce(TestInfo info)
      throws Exception {
    // The scores that arrive while the hook blocks are drained in the same pass in which their
    // wait runs out; each rating must still go out once (this sent some twice, then failed with a
    // NullPointerException once a user's queue was gone).
    Topics topics = createInputs(info);
    kafka.createTopics(List.of(topics.scores().newTopic((short) 1)));
    Map<String, Long> scoredAt = new ConcurrentHashMap<>();
    List<Double> reached = new ArrayList<>();
    ReplaySummary summary = withFakeScorer(topics, scoredAt, () -> replayer(topics)
        .optEventTime(EventTime.LIVE)
        .optAwaitScores(Duration.ofMillis(500), 3)
        .optCheckpoints(new Checkpoints(List.of(0.25, 0.5)), (fraction, counts) -> {
          reached.add(fraction);
          // Like a training run the replay waits for: the hook returns only after the score wait
          // of the impressions in flight has run out and their scores have all arrived.
          Awaitility.await().pollDelay(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(30))
              .until(() -> scoredAt.size() >= counts.impressions());
        })
        .build().run());
    assertThat(reached).containsExactly(0.25, 0.5);
    assertThat(summary.completed()).isTrue();
    assertThat(summary.counts()).isEqualTo(new ReplayCounts(3, 4, 8, 8, 1));
    List<ConsumerRecord<String, Rating>> ratings = readAll(topics.ratings());
    assertThat(ratings).hasSize(8);
    assertThat(ratings.stream().map(r -> r.value().userId() + "/" + r.value().movieId()))
        .doesNotHaveDuplicates();
  }

  /** Runs {@code replay} while a fake scorer scores every impression; the scorer must not fail. */
  private ReplaySummary withFakeScorer(Topics topics, Map<String, Long> scoredAt,
      Supplier<ReplaySummary> replay) throws InterruptedException {
    AtomicReference<Throwable> scorerFailure = new AtomicReference<>();
    Thread scorer = new Thread(() -> fakeScorer(topics, scoredAt, scorerFailure), "fake-scorer");
    scorer.start();
    ReplaySummary summary;
    try {
      summary = replay.get();
    } finally {
      scorer.interrupt();
      scorer.join(10_000);
    }
    assertThat(scorerFailure.get()).isNull();
    return summary;
  }

  @Test
  void awaitingScoresWithNoScorerSendsEachRatingWhenItsWaitRunsOut(TestInfo info) {
    Topics topics = createInputs(info);
    kafka.createTopics(List.of(topics.scores().newTopic((short) 1)));
    ReplaySummary summary = replayer(topics)
        .optAwaitScores(Duration.ofMillis(200), Replayer.DEFAULT_WINDOW).build().run();
    assertThat(summary.completed()).isTrue();
    assertThat(summary.counts()).isEqualTo(new ReplayCounts(3, 4, 8, 8, 1));
    assertThat(summary.unscoredRatings()).isEqualTo(8);
    assertThat(readAll(topics.ratings())).hasSize(8);
  }

  @Test
  void awaitingScoresNeedsTheScoresTopic(TestInfo info) {
    Topics topics = createInputs(info);
    assertThatThrownBy(() -> replayer(topics)
        .optAwaitScores(Duration.ofSeconds(1), 10).build().run())
        .isInstanceOf(ReplayException.class).hasMessageContaining(topics.scores().name());
  }

  /** Scores every impression it reads, noting when each score was sent. */
  private static void fakeScorer(Topics topics, Map<String, Long> scoredAt, AtomicReference<Throwable> failure) {
    Map<String, Object> c = new LinkedHashMap<>(kafka.clientConfig());
    c.put("enable.auto.commit", "false");
    try (KafkaConsumer<String, byte[]> in =
            new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
        org.apache.kafka.clients.producer.KafkaProducer<String, byte[]> out =
            new org.apache.kafka.clients.producer.KafkaProducer<>(kafka.clientConfig(),
                new org.apache.kafka.common.serialization.StringSerializer(),
                new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      List<TopicPartition> partitions = in.partitionsFor(topics.impressions().name()).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      in.assign(partitions);
      in.seekToBeginning(partitions);
      while (!Thread.currentThread().isInterrupted()) {
        for (ConsumerRecord<String, byte[]> r : in.poll(Duration.ofMillis(50))) {
          Impression i = topics.impressions().valueSerde().deserialize(r.value());
          long sendingAt = System.currentTimeMillis(); // no reader can see the score before this
          io.ctrstream.schemas.Score score = new io.ctrstream.schemas.Score(i.impressionId(),
              i.userId(), i.movieId(), 0.5, "prior", true, i.timestamp(), System.currentTimeMillis());
          out.send(new ProducerRecord<>(topics.scores().name(), i.userId(),
              topics.scores().valueSerde().serialize(score))).get(10, TimeUnit.SECONDS);
          scoredAt.put(i.impressionId(), sendingAt);
        }
      }
    } catch (InterruptedException | org.apache.kafka.common.errors.InterruptException e) {
      // done
    } catch (Throwable t) {
      failure.set(t);
    }
  }

  // ---------------------------------------------------------------------------------------------

  private static Replayer.Builder replayer(Topics topics) {
    return Replayer.builder()
        .setBootstrapServers(kafka.bootstrapServers())
        .setTopics(topics)
        .setDataset(fixture)
        // the assertions below compare against the fixture's own timestamps
        .optEventTime(EventTime.DATASET);
  }

  /** A prefix of its own per test, so tests share one broker without seeing each other. */
  private static String prefix(TestInfo info) {
    return info.getTestMethod().orElseThrow().getName() + ".";
  }

  /** The input topics, kept for ever: records from 1997 would otherwise go at the next check. */
  private static Topics createInputs(TestInfo info) {
    Topics topics = Topics.builder().optPrefix(prefix(info)).optUserPartitions(3).build();
    kafka.createTopics(TopicSetup.inputs(topics).stream().map(t -> {
      NewTopic topic = t.newTopic((short) 1);
      if (!t.compacted()) {
        Map<String, String> configs = new LinkedHashMap<>(t.configs());
        configs.put("retention.ms", "-1");
        topic.configs(configs);
      }
      return topic;
    }).toList());
    return topics;
  }

  /**
   * Every record of a topic from the beginning to the end offsets, values decoded with the
   * topic's serde; fails the test if a value does not decode and validate.
   */
  private static <V> List<ConsumerRecord<String, V>> readAll(TopicSpec<String, V> topic) {
    Map<String, Object> config = new LinkedHashMap<>(kafka.clientConfig());
    config.put("enable.auto.commit", "false");
    List<ConsumerRecord<String, V>> out = new ArrayList<>();
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
      List<TopicPartition> partitions = consumer.partitionsFor(topic.name()).stream()
          .map(p -> new TopicPartition(p.topic(), p.partition())).toList();
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + READ_TIMEOUT.toNanos();
      while (partitions.stream().anyMatch(p -> consumer.position(p) < end.get(p))) {
        assertThat(System.nanoTime()).as("reading %s within %s", topic, READ_TIMEOUT)
            .isLessThan(deadline);
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(200))) {
          Decoded<V> decoded = topic.valueSerde().decode(r.value());
          assertThat(decoded).as("value at %s-%d@%d", r.topic(), r.partition(), r.offset())
              .isInstanceOf(Decoded.Ok.class);
          out.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.timestamp(),
              r.timestampType(), r.serializedKeySize(), r.serializedValueSize(), r.key(),
              ((Decoded.Ok<V>) decoded).value(), r.headers(), r.leaderEpoch()));
        }
      }
    }
    return out;
  }

  /** Values per key in offset order (a key lives on one partition, so this is its log order). */
  private static <V> Map<String, List<V>> byKeyInOffsetOrder(
      List<ConsumerRecord<String, V>> records) {
    Map<String, Set<Integer>> partitionsOfKey = new LinkedHashMap<>();
    Map<String, List<ConsumerRecord<String, V>>> byKey = new LinkedHashMap<>();
    for (ConsumerRecord<String, V> r : records) {
      partitionsOfKey.computeIfAbsent(r.key(), k -> new HashSet<>()).add(r.partition());
      byKey.computeIfAbsent(r.key(), k -> new ArrayList<>()).add(r);
    }
    assertThat(partitionsOfKey.values()).as("each key on one partition")
        .allMatch(s -> s.size() == 1);
    return byKey.entrySet().stream().collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue()
        .stream().sorted((a, b) -> Long.compare(a.offset(), b.offset()))
        .map(ConsumerRecord::value).toList()));
  }

  private static <V> Map<String, V> latestByKey(List<ConsumerRecord<String, V>> records) {
    Map<String, V> out = new LinkedHashMap<>();
    records.forEach(r -> out.put(r.key(), r.value()));
    return out;
  }

  /** Records in a topic: the sum of its partitions' end offsets. */
  private static long endOffsets(TopicSpec<String, ?> topic) {
    return sumOfOffsets(topic, OffsetSpec.latest());
  }

  /** Records deleted from a topic: the sum of its partitions' start offsets. */
  private static long startOffsets(TopicSpec<String, ?> topic) {
    return sumOfOffsets(topic, OffsetSpec.earliest());
  }

  private static long sumOfOffsets(TopicSpec<String, ?> topic, OffsetSpec spec) {
    try (Admin admin = Admin.create(kafka.clientConfig())) {
      int partitions = admin.describeTopics(List.of(topic.name())).allTopicNames()
          .get(30, TimeUnit.SECONDS).get(topic.name()).partitions().size();
      Map<TopicPartition, OffsetSpec> request = new LinkedHashMap<>();
      for (int p = 0; p < partitions; p++) {
        request.put(new TopicPartition(topic.name(), p), spec);
      }
      return admin.listOffsets(request).all().get(30, TimeUnit.SECONDS).values().stream()
          .mapToLong(o -> o.offset()).sum();
    } catch (Exception e) {
      throw new AssertionError("cannot read end offsets of " + topic, e);
    }
  }

  /**
   * Records every record in the order the producer's send() was called, which is the order the
   * replayer meant; a test reads it back by the id it put in the producer properties.
   */
  public static final class SendOrderRecorder implements ProducerInterceptor<String, byte[]> {
    static final String ID_CONFIG = "test.send.order.id";
    private static final Map<String, List<ProducerRecord<String, byte[]>>> SENT =
        new ConcurrentHashMap<>();
    private List<ProducerRecord<String, byte[]>> sink;

    static List<ProducerRecord<String, byte[]>> sent(String id) {
      return List.copyOf(SENT.getOrDefault(id, List.of()));
    }

    @Override
    public void configure(Map<String, ?> configs) {
      sink = SENT.computeIfAbsent(String.valueOf(configs.get(ID_CONFIG)),
          k -> Collections.synchronizedList(new ArrayList<>()));
    }

    @Override
    public ProducerRecord<String, byte[]> onSend(ProducerRecord<String, byte[]> record) {
      sink.add(record);
      return record;
    }

    @Override
    public void onAcknowledgement(RecordMetadata metadata, Exception exception) {}

    @Override
    public void close() {}
  }
}
