package io.ctrstream.streams.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.release.BundleUriPolicy;
import io.ctrstream.dien.release.ReleaseVerifier;
import io.ctrstream.dien.release.ScorerFactory;
import io.ctrstream.dien.release.ServableSpec;
import io.ctrstream.dien.serving.BatchScorer;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.ModelRelease;
import io.ctrstream.schemas.Topics;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.ScorerSlot;
import io.ctrstream.streams.model.SwappableModelProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the hot-swap follower on a MockConsumer with real tiny DIEN bundles: a good release is
 * verified, loaded and installed (scorers then report its version and score like the bundle);
 * corrupt bytes, a checksum mismatch, a bundle that scores NaN, a model that scores outside [0, 1],
 * a foreign feature layout, an undecodable record and an older release are each refused with
 * their reason counted, while the model already served keeps serving; at start the newest record
 * wins and a refused newest falls back to the one before; other models' records are ignored;
 * {@code file:} URIs in an allowed directory are fetched; the thread starts and closes cleanly.
 */
class ModelReleaseFollowerTest {
  private static final String TOPIC = Topics.defaults().modelReleases().name();
  private static final TopicPartition TP = new TopicPartition(TOPIC, 0);
  private static final JsonSerde<ModelRelease> SERDE = JsonSerde.of(ModelRelease.class);

  private static ModelBundle a;
  private static ModelBundle b;

  private final ScorerMetrics metrics = ScorerMetrics.inMemory();
  private final SwappableModelProvider provider = new SwappableModelProvider(0.3, metrics);
  private final MockConsumer<String, byte[]> consumer = new RewindableConsumer();
  private final ReleaseVerifier.Builder verifier = ReleaseVerifier.builder().setServable(new ServableSpec(3));
  private ModelReleaseFollower follower;
  private long offset;
  private final List<ConsumerRecord<String, byte[]>> present = new java.util.ArrayList<>();

  @TempDir Path dir;

  @BeforeAll
  static void bundles() {
    a = TinyBundles.bundle("v-a", 1, 1_000L);
    b = TinyBundles.bundle("v-b", 2, 2_000L);
  }

  @AfterEach
  void close() {
    if (follower != null) {
      follower.close();
    }
  }

  private ModelReleaseFollower follower(ScorerFactory factory) {
    consumer.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, Node.noNode(), new Node[0], new Node[0])));
    consumer.updateBeginningOffsets(Map.of(TP, 0L));
    consumer.updateEndOffsets(Map.of(TP, offset));
    follower = ModelReleaseFollower.builder().setConsumer(consumer).setTopic(TOPIC)
        .setLoader(new ReleaseLoader(TinyBundles.MODEL, verifier.optScorerFactory(factory).build()))
        .setProvider(provider).setMetrics(metrics).optPollTimeout(Duration.ofMillis(50)).build();
    return follower;
  }

  /** Appends a record; before the follower is assigned it counts as already present at start. */
  private void publish(String key, byte[] value) {
    ConsumerRecord<String, byte[]> r = new ConsumerRecord<>(TOPIC, 0, offset++, key, value);
    if (consumer.assignment().isEmpty()) {
      present.add(r); // a MockConsumer takes records only for assigned partitions
    } else {
      consumer.addRecord(r);
    }
    consumer.updateEndOffsets(Map.of(TP, offset));
  }

  private void addPresent() {
    present.forEach(consumer::addRecord);
    present.clear();
  }

  private void publish(ModelRelease r) {
    publish(r.modelName(), SERDE.serialize(r));
  }

  /** Starts reading synchronously (no thread): assignment and catch-up. */
  private void startHere(ScorerFactory factory) {
    ModelReleaseFollower f = follower(factory);
    assertThat(f.assign()).isTrue();
    addPresent();
    f.catchUp();
  }

  private static float[] scoresOf(ModelBundle bundle) throws Exception {
    try (BatchScorer s = bundle.newScorer()) {
      return s.score(TinyBundles.rows());
    }
  }

  private float[] servedScores() {
    try (BatchScorer s = provider.newScorer()) {
      return s.score(TinyBundles.rows());
    }
  }

  @Test
  void aGoodReleaseIsInstalledAndScoresLikeItsBundle() throws Exception {
    startHere(ScorerFactory.DIEN);
    assertThat(provider.currentVersion()).isEqualTo("prior");
    try (ScorerSlot slot = new ScorerSlot(provider)) {
      assertThat(slot.forNextBatch().modelVersion()).isEqualTo("prior");
      publish(TinyBundles.release(a));
      follower.pollOnce();
      assertThat(provider.currentVersion()).isEqualTo("v-a");
      assertThat(slot.forNextBatch().modelVersion()).isEqualTo("v-a");
    }
    assertThat(servedScores()).containsExactly(scoresOf(a));
    assertThat(follower.live()).hasValueSatisfying(m -> assertThat(m.manifest().version()).isEqualTo("v-a"));
    assertThat(metrics.modelSwaps()).isEqualTo(1.0);
    assertThat(metrics.registry().get("ctr.model.info").tag("version", "v-a").gauge().value()).isEqualTo(1.0);
    assertThat(metrics.registry().find("ctr.model.info").tag("version", "prior").gauge()).isNull();

    publish(TinyBundles.release(b));
    follower.pollOnce();
    assertThat(provider.currentVersion()).isEqualTo("v-b");
    assertThat(servedScores()).containsExactly(scoresOf(b)).isNotEqualTo(scoresOf(a));
    assertThat(metrics.modelSwaps()).isEqualTo(2.0);
  }

  @Test
  void everyBadReleaseIsRefusedWithItsReasonAndTheOldModelKeepsServing() throws Exception {
    publish(TinyBundles.release(a));
    startHere(ScorerFactory.DIEN);
    assertThat(provider.currentVersion()).isEqualTo("v-a");
    float[] before = servedScores();

    ModelRelease goodB = TinyBundles.release(b);
    byte[] corrupt = Arrays.copyOf(b.toBytes(), b.toBytes().length / 2);
    // Corrupt bytes whose checksum the record does match: caught by the bundle's own checks.
    publish(new ModelRelease(TinyBundles.MODEL, "v-corrupt", null, 3_000L, ReleaseLoader.sha256Hex(corrupt),
        goodB.featureSpecHash(), Map.of(), java.util.Base64.getEncoder().encodeToString(corrupt), null));
    // The right bundle of another release: the checksum gives it away.
    publish(TinyBundles.withBytes(goodB, a.toBytes()));
    // Weights all NaN: the bundle is consistent, the probe batch is not finite.
    publish(TinyBundles.release(TinyBundles.poisoned("v-nan", 4_000L)));
    // A bundle for another feature layout (the record claims a spec its bundle does not have).
    publish(new ModelRelease(TinyBundles.MODEL, "v-b", null, 2_000L, goodB.sha256(), "0".repeat(64),
        Map.of(), goodB.bundle(), null));
    // Not a release at all.
    publish(TinyBundles.MODEL, "{\"modelName\":".getBytes(StandardCharsets.UTF_8));
    // Older than the model served.
    publish(TinyBundles.release(TinyBundles.bundle("v-old", 3, 500L)));
    follower.pollOnce();

    assertThat(metrics.modelRejections("corrupt")).isEqualTo(1.0);
    assertThat(metrics.modelRejections("checksum")).isEqualTo(1.0);
    assertThat(metrics.modelRejections("probe")).isEqualTo(1.0);
    assertThat(metrics.modelRejections("spec")).isEqualTo(1.0);
    assertThat(metrics.modelRejections("invalid")).isEqualTo(1.0);
    assertThat(metrics.modelRejections("stale")).isEqualTo(1.0);
    assertThat(provider.currentVersion()).isEqualTo("v-a");
    assertThat(servedScores()).containsExactly(before);
    assertThat(metrics.modelSwaps()).isEqualTo(1.0);

    // And a good release after all that is still taken.
    publish(goodB);
    follower.pollOnce();
    assertThat(provider.currentVersion()).isEqualTo("v-b");
  }

  @Test
  void aModelScoringOutsideTheUnitIntervalIsRefused() {
    ScorerFactory outOfRange = bundle -> new BatchScorer() {
      @Override
      public float[] score(List<FeatureRow> rows) {
        float[] out = new float[rows.size()];
        Arrays.fill(out, 0.5f);
        out[out.length - 1] = 1.5f;
        return out;
      }

      @Override
      public String modelVersion() {
        return bundle.version();
      }

      @Override
      public void close() {}
    };
    publish(TinyBundles.release(a));
    startHere(outOfRange);
    assertThat(provider.currentVersion()).isEqualTo("prior");
    assertThat(metrics.modelRejections("probe")).isEqualTo(1.0);
    assertThat(follower.live()).isEmpty();
  }

  @Test
  void atStartTheNewestReleaseWinsAndARefusedNewestFallsBackToTheOneBefore() {
    publish(TinyBundles.release(a));
    publish(TinyBundles.release(b));
    publish("other-model", SERDE.serialize(new ModelRelease("other-model", "x1", null, 9_000L,
        "0".repeat(64), "h", Map.of(), "", null)));
    startHere(ScorerFactory.DIEN);
    assertThat(provider.currentVersion()).isEqualTo("v-b");
    assertThat(metrics.modelSwaps()).as("only the newest is loaded").isEqualTo(1.0);
    assertThat(metrics.modelRejections("invalid")).as("another model's record is not ours to judge").isZero();

    SwappableModelProvider fresh = new SwappableModelProvider(0.3, metrics);
    MockConsumer<String, byte[]> c2 = new RewindableConsumer();
    c2.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, Node.noNode(), new Node[0], new Node[0])));
    c2.updateBeginningOffsets(Map.of(TP, 0L));
    c2.updateEndOffsets(Map.of(TP, 2L));
    try (ModelReleaseFollower f2 = ModelReleaseFollower.builder().setConsumer(c2).setTopic(TOPIC)
        .setLoader(new ReleaseLoader(TinyBundles.MODEL, new ServableSpec(3), ScorerFactory.DIEN))
        .setProvider(fresh).setMetrics(metrics).build()) {
      assertThat(f2.assign()).isTrue();
      c2.addRecord(new ConsumerRecord<>(TOPIC, 0, 0, TinyBundles.MODEL, SERDE.serialize(TinyBundles.release(a))));
      c2.addRecord(new ConsumerRecord<>(TOPIC, 0, 1, TinyBundles.MODEL,
          SERDE.serialize(TinyBundles.withBytes(TinyBundles.release(b), a.toBytes()))));
      f2.catchUp();
      assertThat(fresh.currentVersion()).isEqualTo("v-a");
      assertThat(metrics.modelRejections("checksum")).isEqualTo(1.0);
    }
  }

  @Test
  void aBundleUriOnDiskIsFetchedAndAMissingOneRefused() throws Exception {
    verifier.optUriPolicy(BundleUriPolicy.parse(dir.toUri().toString()));
    Path file = dir.resolve("v-b.bundle");
    b.save(file);
    ModelRelease inline = TinyBundles.release(b);
    publish(new ModelRelease(inline.modelName(), "v-b", null, inline.createdAt(), inline.sha256(),
        inline.featureSpecHash(), inline.metrics(), null, dir.resolve("missing.bundle").toUri().toString()));
    publish(new ModelRelease(inline.modelName(), "v-b", null, inline.createdAt(), inline.sha256(),
        inline.featureSpecHash(), inline.metrics(), null, file.toUri().toString()));
    startHere(ScorerFactory.DIEN);
    assertThat(provider.currentVersion()).isEqualTo("v-b");
    assertThat(metrics.modelRejections("fetch")).as("the newest loaded, the missing one was never tried").isZero();
    assertThat(Files.exists(file)).isTrue();

    publish(new ModelRelease(inline.modelName(), "v-c", null, 5_000L, inline.sha256(),
        inline.featureSpecHash(), inline.metrics(), null, dir.resolve("missing.bundle").toUri().toString()));
    follower.pollOnce();
    assertThat(metrics.modelRejections("fetch")).isEqualTo(1.0);
    assertThat(provider.currentVersion()).isEqualTo("v-b");
  }

  @Test
  void onItsOwnThreadItCatchesUpFollowsAndClosesCleanly() throws Exception {
    publish(TinyBundles.release(a));
    ModelReleaseFollower f = follower(ScorerFactory.DIEN);
    consumer.schedulePollTask(this::addPresent);
    f.start();
    assertThat(f.awaitCaughtUp(Duration.ofSeconds(60))).isTrue();
    assertThat(provider.currentVersion()).isEqualTo("v-a");
    consumer.schedulePollTask(() -> publish(TinyBundles.release(b)));
    await().atMost(Duration.ofSeconds(60)).until(() -> "v-b".equals(provider.currentVersion()));
    f.close();
    assertThat(consumer.closed()).isTrue();
  }
}
