package io.ctrstream.trainer.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.release.ReleaseSignature;
import io.ctrstream.dien.serving.DienBatchScorer;
import io.ctrstream.dien.train.TrainOptions;
import io.ctrstream.dien.train.TrainingListener;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Feedback;
import io.ctrstream.schemas.ModelRelease;
import io.ctrstream.schemas.Topics;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * Proves the retraining service end to end against a real in-process KRaft broker:
 *
 * <ul>
 *   <li>a first run on learnable feedback releases one committed record on model-releases (topic
 *       created compacted with the release limit as max.message.bytes) whose bundle loads, matches
 *       its sha256, carries lineage, window and metrics in its manifest and scores finite
 *       probabilities; the run leaves metrics.json (with the online AUC of the served versions),
 *       curves.png and online-auc.png;
 *   <li>a second run with a crippled candidate and a zero tolerance is gated against the live model
 *       and publishes nothing; a run failing mid-training and a run whose record is over the size
 *       limit publish nothing either (the topic's end offset does not move);
 *   <li>too few examples or a single-class window are refused without training; a window of the
 *       last K records or the last D of event time holds exactly those examples;
 *   <li>periodic cycles are skipped until enough new feedback arrives;
 *   <li>with a signing key releases carry an Ed25519 signature that verifies with the public key;
 *       an unsigned newer release written beside them is not taken as live: the next candidate
 *       is gated against the newest signed one.
 * </ul>
 */
class RetrainServiceKafkaTest {

  private static final AtomicInteger PREFIXES = new AtomicInteger();
  private static EmbeddedKafka kafka;

  @TempDir Path reports;

  @BeforeAll
  static void startBroker() {
    for (String name : List.of("org.apache.kafka", "kafka", "state.change.logger")) {
      ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(name)).setLevel(Level.WARN);
    }
    kafka = EmbeddedKafka.builder().start();
  }

  @AfterAll
  static void stopBroker() {
    if (kafka != null) {
      kafka.close();
    }
  }

  private static Topics newTopics() {
    Topics topics = Topics.withPrefix("retrain" + PREFIXES.incrementAndGet() + ".");
    kafka.createTopics(List.of(topics.feedback().newTopic((short) 1)));
    return topics;
  }

  private static void produce(Topics topics, List<Feedback> feedback) throws Exception {
    Map<String, Object> c = new HashMap<>(kafka.clientConfig());
    // a loaded CI broker may answer NOT_LEADER right after creating a topic; an idempotent
    // producer can then loop on OUT_OF_ORDER_SEQUENCE, a plain one with one request in flight
    // just retries in order
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    c.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    try (KafkaProducer<String, Feedback> producer =
        new KafkaProducer<>(
            c, new StringSerializer(), topics.feedback().valueSerde().serializer())) {
      List<Future<RecordMetadata>> sent = new ArrayList<>();
      for (Feedback f : feedback) {
        sent.add(
            producer.send(
                new ProducerRecord<>(topics.feedback().name(), null,
                    // written now at the latest, whatever event time the example claims
                    Math.min(f.timestamp(), System.currentTimeMillis()), f.userId(), f)));
      }
      for (Future<RecordMetadata> f : sent) {
        f.get(60, TimeUnit.SECONDS);
      }
    }
  }

  private RetrainConfig.Builder config(Topics topics) {
    return RetrainConfig.builder()
        .setBootstrapServers(kafka.bootstrapServers())
        .optTopics(topics)
        .optMinExamples(100)
        .optReportsDir(reports)
        .optTrainOptions(
            TrainOptions.builder().optBatchSize(64).optLearningRate(0.01).optSeed(3).build())
        .optMaxEpochs(4)
        .optPatience(4)
        .optTimeout(Duration.ofSeconds(20));
  }

  /** Committed records of model-releases, in offset order. */
  private static List<ConsumerRecord<String, byte[]>> releases(Topics topics) {
    Map<String, Object> c = new HashMap<>(kafka.clientConfig());
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topics.modelReleases().name(), 0);
      consumer.assign(List.of(tp));
      consumer.seekToBeginning(List.of(tp));
      long end = consumer.endOffsets(List.of(tp)).get(tp);
      List<ConsumerRecord<String, byte[]>> out = new ArrayList<>();
      while (consumer.position(tp) < end) {
        consumer.poll(Duration.ofMillis(200)).records(tp).forEach(out::add);
      }
      return out;
    }
  }

  private static long releaseEndOffset(Topics topics) {
    try (KafkaConsumer<String, byte[]> consumer =
        new KafkaConsumer<>(
            kafka.clientConfig(), new StringDeserializer(), new ByteArrayDeserializer())) {
      TopicPartition tp = new TopicPartition(topics.modelReleases().name(), 0);
      return consumer.endOffsets(List.of(tp)).get(tp);
    }
  }

  @Test
  void releasesThenGatesAWorseCandidateAndReleasesNothingOnFailure() throws Exception {
    Topics topics = newTopics();
    List<Feedback> feedback = FeedbackFixtures.learnable(400, 11);
    produce(topics, feedback);

    // 1. nothing live: the candidate is released
    RunResult first = RetrainService.builder().setConfig(config(topics).build()).build().runOnce();

    assertThat(first.decision()).as(first.reason()).isEqualTo(RunResult.Decision.RELEASED);
    assertThat(first.samples()).isEqualTo(400);
    assertThat(first.trainRows() + first.validationRows()).isEqualTo(400);
    assertThat(first.validationRows()).isEqualTo(80);
    assertThat(first.liveVersion()).isNull();
    assertThat(first.version()).startsWith("v1-");
    assertThat(first.candidateAuc()).isGreaterThan(0.75);
    assertThat(first.toJson()).contains("\"decision\":\"released\"").contains("\"live_auc\":null");

    List<ConsumerRecord<String, byte[]>> released = releases(topics);
    assertThat(released).hasSize(1);
    assertThat(released.get(0).key()).isEqualTo("dien");
    ModelRelease release = topics.modelReleases().valueSerde().deserialize(released.get(0).value());
    assertThat(release.version()).isEqualTo(first.version());
    assertThat(release.parentVersion()).isNull();
    assertThat(release.metrics().get("candidate_auc")).isEqualTo(first.candidateAuc());
    ModelBundle bundle = ModelBundle.fromBytes(release.bundleBytes(), release.sha256());
    assertThat(bundle.sha256()).isEqualTo(release.sha256());
    assertThat(bundle.featureSpec().hash()).isEqualTo(release.featureSpecHash());
    assertThat(bundle.featureSpec().numeric()).contains("historyGenreAffinity");
    assertThat(bundle.version()).isEqualTo(first.version());
    assertThat(bundle.manifest().parentVersion()).isNull();
    assertThat(bundle.manifest().sampleCount()).isEqualTo(first.trainRows());
    assertThat(bundle.manifest().trainingWindow().from()).isEqualTo(FeedbackFixtures.T0);
    assertThat(bundle.manifest().trainingWindow().to())
        .isLessThan(FeedbackFixtures.T0 + 320 * 60_000L);
    assertThat(bundle.manifest().metrics())
        .containsKeys("candidate_auc", "auc", "logloss")
        .doesNotContainKey("live_auc");
    List<FeatureRow> probe =
        feedback.subList(390, 400).stream().map(f -> FeedbackDataset.toRow(f).features()).toList();
    try (DienBatchScorer scorer = bundle.newScorer()) {
      float[] scores = scorer.score(probe);
      assertThat(scores).hasSize(10);
      for (float s : scores) {
        assertThat(s).isBetween(0f, 1f);
      }
    }
    try (Admin admin = Admin.create(kafka.clientConfig())) {
      ConfigResource r =
          new ConfigResource(ConfigResource.Type.TOPIC, topics.modelReleases().name());
      Config config = admin.describeConfigs(List.of(r)).all().get().get(r);
      assertThat(config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value()).isEqualTo("compact");
      assertThat(config.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG).value())
          .isEqualTo(Integer.toString(RetrainConfig.DEFAULT_MAX_RELEASE_BYTES));
    }
    JsonNode metrics =
        new ObjectMapper().readTree(first.reportDir().resolve("metrics.json").toFile());
    assertThat(metrics.get("decision").asText()).isEqualTo("released");
    assertThat(metrics.at("/data/organic").asLong()).isEqualTo(134); // every third of 400
    assertThat(metrics.at("/online_auc/by_version/prior").asDouble()).isEqualTo(0.5);
    assertThat(metrics.at("/online_auc/by_version/v0-seed").asDouble()).isGreaterThan(0.7);
    assertThat(metrics.at("/candidate/epochs").size()).isBetween(1, 4);
    assertThat(metrics.at("/release/sha256").asText()).isEqualTo(release.sha256());
    assertThat(first.reportDir().resolve("curves.png")).isNotEmptyFile();
    assertThat(first.reportDir().resolve("online-auc.png")).isNotEmptyFile();
    long end = releaseEndOffset(topics);

    // 2. a crippled candidate (no learning, and no wide part, whose closed-form start would
    // need no learning) against the live model, zero tolerance: gated
    RunResult second =
        RetrainService.builder()
            .setConfig(
                config(topics)
                    .optTolerance(0)
                    .optWide(false)
                    .optTrainOptions(
                        TrainOptions.builder().optLearningRate(1e-9).optBatchSize(64).build())
                    .optMaxEpochs(1)
                    .build())
            .build()
            .runOnce();

    assertThat(second.decision()).as(second.reason()).isEqualTo(RunResult.Decision.GATED);
    assertThat(second.liveVersion()).isEqualTo(first.version());
    assertThat(second.version()).startsWith("v2-");
    assertThat(second.liveAuc()).isGreaterThan(second.candidateAuc());
    assertThat(second.reason()).contains("worse than live " + first.version());
    assertThat(releaseEndOffset(topics)).isEqualTo(end);

    // 3. training fails mid-run: nothing released
    TrainingListener failing =
        new TrainingListener() {
          @Override
          public void onBatch(int epoch, int batch, int batches, double loss) {
            if (batch == 2) {
              throw new IllegalStateException("injected failure in batch 2");
            }
          }
        };
    RunResult third =
        RetrainService.builder()
            .setConfig(config(topics).build())
            .optListener(failing)
            .build()
            .runOnce();

    assertThat(third.decision()).isEqualTo(RunResult.Decision.FAILED);
    assertThat(third.reason()).contains("injected failure in batch 2");
    assertThat(releaseEndOffset(topics)).isEqualTo(end);
    assertThat(third.reportDir().resolve("metrics.json")).isNotEmptyFile();

    // 4. a record over the release limit is refused before anything is sent
    RunResult fourth =
        RetrainService.builder()
            .setConfig(
                config(topics).optTolerance(1).optMaxEpochs(1).optMaxReleaseBytes(4096).build())
            .build()
            .runOnce();

    assertThat(fourth.decision()).as(fourth.reason()).isEqualTo(RunResult.Decision.REFUSED);
    assertThat(fourth.reason()).contains("over the limit of 4,096 bytes");
    assertThat(releaseEndOffset(topics)).isEqualTo(end);
    assertThat(releases(topics)).hasSize(1);
  }

  @Test
  void releasesAreSignedAndTheLiveModelIsTheNewestReleaseThatPassesItsChecks() throws Exception {
    Topics topics = newTopics();
    produce(topics, FeedbackFixtures.learnable(400, 13));
    Path keys = reports.resolve("keys");
    KeyPair pair = ReleaseSignature.generate();
    ReleaseSignature.writeKeyPair(pair, keys);
    Path privateKey = keys.resolve(ReleaseSignature.PRIVATE_KEY_FILE);
    Path publicKey = keys.resolve(ReleaseSignature.PUBLIC_KEY_FILE);

    RunResult first =
        RetrainService.builder()
            .setConfig(
                config(topics).optSigningKey(privateKey).optReleasePublicKey(publicKey).build())
            .build()
            .runOnce();
    assertThat(first.decision()).as(first.reason()).isEqualTo(RunResult.Decision.RELEASED);
    ModelRelease signed =
        topics.modelReleases().valueSerde().deserialize(releases(topics).get(0).value());
    assertThat(signed.signatureAlgorithm()).isEqualTo(ReleaseSignature.ALGORITHM);
    assertThat(signed.keyId()).isEqualTo(ReleaseSignature.keyId(pair.getPublic()));
    ReleaseSignature.verify(ReleaseReader.claims(signed), pair.getPublic());

    // a newer release written by someone without the key: same bundle, unsigned
    ModelRelease forged =
        new ModelRelease(
            signed.modelName(),
            "v9-forged",
            signed.version(),
            signed.createdAt() + 1,
            signed.sha256(),
            signed.featureSpecHash(),
            signed.metrics(),
            signed.bundle(),
            null);
    try (KafkaProducer<String, byte[]> producer =
        new KafkaProducer<>(
            kafka.clientConfig(),
            new StringSerializer(),
            new org.apache.kafka.common.serialization.ByteArraySerializer())) {
      producer
          .send(
              new ProducerRecord<>(
                  topics.modelReleases().name(),
                  forged.modelName(),
                  topics.modelReleases().valueSerde().serialize(forged)))
          .get(60, TimeUnit.SECONDS);
    }

    // a crippled candidate (no learning, no wide part), zero tolerance: compared with the signed
    // live model, not the forgery
    RunResult second =
        RetrainService.builder()
            .setConfig(
                config(topics)
                    .optSigningKey(privateKey)
                    .optReleasePublicKey(publicKey)
                    .optTolerance(0)
                    .optWide(false)
                    .optTrainOptions(
                        TrainOptions.builder().optLearningRate(1e-9).optBatchSize(64).build())
                    .optMaxEpochs(1)
                    .build())
            .build()
            .runOnce();
    assertThat(second.decision()).as(second.reason()).isEqualTo(RunResult.Decision.GATED);
    assertThat(second.liveVersion()).isEqualTo(first.version());
    assertThat(second.liveAuc()).isGreaterThan(second.candidateAuc());
    JsonNode report =
        new ObjectMapper().readTree(second.reportDir().resolve("metrics.json").toFile());
    assertThat(report.at("/live/skipped/0").asText()).startsWith("v9-forged (unsigned)");
    assertThat(releases(topics)).hasSize(2);
  }

  @Test
  void refusesTooFewExamplesAndOneClassWithoutTraining() throws Exception {
    Topics few = newTopics();
    produce(few, FeedbackFixtures.learnable(60, 5));
    // one example claiming an event 300 days ahead: skipped as invalid, it moves no window's end
    Feedback last = FeedbackFixtures.learnable(60, 5).get(59);
    produce(few, List.of(new Feedback(last.userId(), last.movieId(), last.label(), last.rating(),
        last.timestamp() + Duration.ofDays(300).toMillis(), last.profile(), last.genres(),
        last.history(), last.negatives(), last.servedScore(), last.modelVersion(),
        last.impressionId(), last.source())));

    RunResult tooFew = RetrainService.builder().setConfig(config(few).build()).build().runOnce();

    assertThat(tooFew.decision()).isEqualTo(RunResult.Decision.REFUSED);
    assertThat(tooFew.reason()).contains("too few examples: 60").contains("minimum 100");
    assertThat(tooFew.version()).isNull();
    // 60 examples a minute apart: the last 30 minutes of event time hold the newest 31 (the
    // window ends at the newest event and includes its start), the last 25 records 25
    RunResult lastHalfHour =
        RetrainService.builder()
            .setConfig(config(few).optWindowDuration(Duration.ofMinutes(30)).build())
            .build()
            .runOnce();
    assertThat(lastHalfHour.samples()).isEqualTo(31);
    assertThat(lastHalfHour.reason()).contains("last PT30M of event time");
    RunResult last25 =
        RetrainService.builder()
            .setConfig(config(few).optWindowRecords(25).build())
            .build()
            .runOnce();
    assertThat(last25.samples()).isEqualTo(25);
    JsonNode window =
        new ObjectMapper()
            .readTree(last25.reportDir().resolve("metrics.json").toFile())
            .get("data");
    assertThat(window.get("from").asLong()).isEqualTo(FeedbackFixtures.T0 + 35 * 60_000L);
    assertThat(window.get("to").asLong()).isEqualTo(FeedbackFixtures.T0 + 59 * 60_000L);
    assertThat(window.get("invalid").asLong()).as("the example from the future").isEqualTo(1);

    Topics oneClass = newTopics();
    List<Feedback> positives =
        FeedbackFixtures.learnable(300, 6).stream()
            .map(
                f ->
                    new Feedback(
                        f.userId(),
                        f.movieId(),
                        1,
                        5.0,
                        f.timestamp(),
                        f.profile(),
                        f.genres(),
                        f.history(),
                        f.negatives(),
                        f.servedScore(),
                        f.modelVersion(),
                        f.impressionId(),
                        f.source()))
            .toList();
    produce(oneClass, positives);

    RunResult single =
        RetrainService.builder().setConfig(config(oneClass).build()).build().runOnce();

    assertThat(single.decision()).isEqualTo(RunResult.Decision.REFUSED);
    assertThat(single.reason()).contains("training slice has one class only");
    assertThat(single.samples()).isEqualTo(300);
    JsonNode metrics =
        new ObjectMapper().readTree(single.reportDir().resolve("metrics.json").toFile());
    assertThat(metrics.get("decision").asText()).isEqualTo("refused");
    assertThat(metrics.at("/split/train_positive_rate").asDouble()).isEqualTo(1.0);
    // nothing was published, so the release topic was never created
    try (Admin admin = Admin.create(kafka.clientConfig())) {
      assertThat(admin.listTopics().names().get())
          .doesNotContain(few.modelReleases().name(), oneClass.modelReleases().name());
    }
  }

  @Test
  void periodicCyclesWaitForEnoughNewFeedback() throws Exception {
    Topics topics = newTopics();
    produce(topics, FeedbackFixtures.learnable(50, 7));
    List<RunResult> results = new CopyOnWriteArrayList<>();
    // minExamples above what exists: each real run is refused quickly, no training needed
    try (RetrainService service =
        RetrainService.builder()
            .setConfig(config(topics).optMinExamples(1000).build())
            .optOnResult(results::add)
            .build()) {
      service.start(Duration.ofMillis(100), 30);

      await()
          .atMost(Duration.ofSeconds(30))
          .until(() -> results.stream().anyMatch(r -> r.decision() == RunResult.Decision.SKIPPED));
      assertThat(results.get(0).decision()).isEqualTo(RunResult.Decision.REFUSED);
      assertThat(results.get(0).samples()).isEqualTo(50);
      assertThat(results.get(1).decision()).isEqualTo(RunResult.Decision.SKIPPED);
      assertThat(results.get(1).reason())
          .contains("0 new feedback records")
          .contains("fewer than 30");

      produce(
          topics,
          FeedbackFixtures.learnable(40, 8).stream()
              .map(
                  f ->
                      new Feedback(
                          f.userId(),
                          f.movieId(),
                          f.label(),
                          f.rating(),
                          f.timestamp() + 3_600_000L,
                          f.profile(),
                          f.genres(),
                          f.history(),
                          f.negatives(),
                          f.servedScore(),
                          f.modelVersion(),
                          f.impressionId(),
                          f.source()))
              .toList());

      await()
          .atMost(Duration.ofSeconds(30))
          .until(
              () ->
                  results.stream()
                      .anyMatch(
                          r -> r.decision() == RunResult.Decision.REFUSED && r.samples() == 90));
      assertThat(service.running()).isTrue();
    }
    assertThat(results).allMatch(r -> r.decision() != RunResult.Decision.FAILED);
    assertThat(Files.exists(reports)).isTrue();
  }
}
