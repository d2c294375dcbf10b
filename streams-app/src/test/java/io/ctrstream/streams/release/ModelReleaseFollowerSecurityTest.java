package io.ctrstream.streams.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.release.BundleUriPolicy;
import io.ctrstream.dien.release.ReleaseSignature;
import io.ctrstream.dien.release.ReleaseVerifier;
import io.ctrstream.dien.release.ScorerFactory;
import io.ctrstream.dien.release.ServableSpec;
import io.ctrstream.dien.serving.BatchScorer;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.ModelRelease;
import io.ctrstream.schemas.Topics;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.SwappableModelProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
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
 * Proves the follower's release security and robustness on a MockConsumer with real tiny bundles:
 * with a public key configured, unsigned releases, releases signed by another key and releases
 * altered after signing are refused ({@code unsigned}, {@code signature}) while a properly signed
 * one is served; a {@code bundleUri} outside the allowed directories (another directory, a {@code
 * ..} escape, a symbolic link out, an HTTP host not listed) is refused ({@code disallowed})
 * without being read; bundles over the size bound are refused ({@code too_large}), inline or by
 * URI; in each case the old model keeps serving the same scores. An {@link OutOfMemoryError}
 * while loading a release or while polling is survived and counted, the follower stays alive and
 * takes the next release; a fatal JVM error ends it visibly ({@code isAlive()} and {@code
 * ctr.release.follower.alive}). While catching up, an older release's bytes are no longer held
 * once a newer one was read (the old follower kept every record of its model until the end).
 */
class ModelReleaseFollowerSecurityTest {
  private static final String TOPIC = Topics.defaults().modelReleases().name();
  private static final TopicPartition TP = new TopicPartition(TOPIC, 0);
  private static final JsonSerde<ModelRelease> SERDE = JsonSerde.of(ModelRelease.class);

  private static ModelBundle a;
  private static ModelBundle b;
  private static KeyPair trusted;
  private static KeyPair other;

  private final ScorerMetrics metrics = ScorerMetrics.inMemory();
  private final SwappableModelProvider provider = new SwappableModelProvider(0.3, metrics);
  private final MockConsumer<String, byte[]> consumer = new RewindableConsumer();
  private final ReleaseVerifier.Builder verifier = ReleaseVerifier.builder().setServable(new ServableSpec(3));
  private ModelReleaseFollower follower;
  private long offset;

  @TempDir Path dir;

  @BeforeAll
  static void fixtures() {
    a = TinyBundles.bundle("v-a", 1, 1_000L);
    b = TinyBundles.bundle("v-b", 2, 2_000L);
    trusted = ReleaseSignature.generate();
    other = ReleaseSignature.generate();
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
    consumer.updateEndOffsets(Map.of(TP, 0L));
    follower = ModelReleaseFollower.builder().setConsumer(consumer).setTopic(TOPIC)
        .setLoader(new ReleaseLoader(TinyBundles.MODEL, verifier.optScorerFactory(factory).build()))
        .setProvider(provider).setMetrics(metrics).optPollTimeout(Duration.ofMillis(20))
        .optRetryBackoff(Duration.ofMillis(10)).build();
    return follower;
  }

  /** Assigns and catches up on an empty topic, synchronously. */
  private void startHere() {
    follower(ScorerFactory.DIEN);
    assertThat(follower.assign()).isTrue();
    follower.catchUp();
  }

  private void publish(ModelRelease r) {
    consumer.addRecord(new ConsumerRecord<>(TOPIC, 0, offset++, r.modelName(), SERDE.serialize(r)));
    consumer.updateEndOffsets(Map.of(TP, offset));
  }

  private static ModelRelease signed(ModelRelease r, KeyPair key, boolean withKeyId) {
    String signature = ReleaseSignature.sign(ReleaseLoader.claims(r), key.getPrivate());
    return r.withSignature(signature, ReleaseSignature.ALGORITHM,
        withKeyId ? ReleaseSignature.keyId(key.getPublic()) : null);
  }

  private static ModelRelease byUri(ModelRelease r, String uri) {
    return new ModelRelease(r.modelName(), r.version(), r.parentVersion(), r.createdAt(), r.sha256(),
        r.featureSpecHash(), r.metrics(), null, uri);
  }

  private float[] servedScores() {
    try (BatchScorer s = provider.newScorer()) {
      return s.score(TinyBundles.rows());
    }
  }

  @Test
  void withAPublicKeyOnlyReleasesSignedByItsPrivateKeyAreServed() {
    verifier.optPublicKey(trusted.getPublic());
    startHere();
    publish(signed(TinyBundles.release(a), trusted, true));
    follower.pollOnce();
    assertThat(provider.currentVersion()).isEqualTo("v-a");
    float[] before = servedScores();

    ModelRelease goodB = TinyBundles.release(b);
    publish(goodB); // unsigned
    publish(signed(goodB, other, true)); // another key, named
    publish(signed(goodB, other, false)); // another key, unnamed
    ModelRelease s = signed(goodB, trusted, true);
    // altered after signing: a later createdAt the signature does not cover
    publish(new ModelRelease(s.modelName(), s.version(), s.parentVersion(), 9_000L, s.sha256(), s.featureSpecHash(),
        s.metrics(), s.bundle(), null, s.signature(), s.signatureAlgorithm(), s.keyId()));
    // a signature that is not even base64-decodable as one
    publish(goodB.withSignature("AAAA", ReleaseSignature.ALGORITHM, null));
    follower.pollOnce();

    assertThat(metrics.modelRejections("unsigned")).isEqualTo(1.0);
    assertThat(metrics.modelRejections("signature")).isEqualTo(4.0);
    assertThat(provider.currentVersion()).isEqualTo("v-a");
    assertThat(servedScores()).containsExactly(before);

    publish(s);
    follower.pollOnce();
    assertThat(provider.currentVersion()).isEqualTo("v-b");
    assertThat(metrics.modelSwaps()).isEqualTo(2.0);
  }

  @Test
  void aBundleUriOutsideTheAllowedPlacesIsRefusedWithoutBeingRead() throws Exception {
    Path allowed = Files.createDirectories(dir.resolve("allowed"));
    Path outside = Files.createDirectories(dir.resolve("allowed-not"));
    b.save(outside.resolve("v-b.bundle"));
    Files.createSymbolicLink(allowed.resolve("link.bundle"), outside.resolve("v-b.bundle"));
    verifier.optUriPolicy(BundleUriPolicy.parse(allowed.toUri() + ",https://models.example.com/ctr/"));
    startHere();
    publish(TinyBundles.release(a));
    follower.pollOnce();
    float[] before = servedScores();

    ModelRelease goodB = TinyBundles.release(b);
    publish(byUri(goodB, outside.resolve("v-b.bundle").toUri().toString())); // a sibling directory
    publish(byUri(goodB, allowed.toUri() + "../allowed-not/v-b.bundle")); // .. out of it
    publish(byUri(goodB, allowed.resolve("link.bundle").toUri().toString())); // a link out of it
    publish(byUri(goodB, "https://evil.example.com/ctr/v-b.bundle")); // another host
    publish(byUri(goodB, "http://models.example.com/ctr/v-b.bundle")); // another scheme
    publish(byUri(goodB, "https://models.example.com/other/v-b.bundle")); // another path
    publish(byUri(goodB, "jar:file:/etc/passwd!/x")); // another scheme altogether
    follower.pollOnce();

    assertThat(metrics.modelRejections("disallowed")).isEqualTo(7.0);
    assertThat(metrics.modelRejections("fetch")).as("nothing was fetched").isZero();
    assertThat(provider.currentVersion()).isEqualTo("v-a");
    assertThat(servedScores()).containsExactly(before);

    Files.copy(outside.resolve("v-b.bundle"), allowed.resolve("v-b.bundle"));
    publish(byUri(goodB, allowed.resolve("v-b.bundle").toUri().toString()));
    follower.pollOnce();
    assertThat(provider.currentVersion()).isEqualTo("v-b");
  }

  @Test
  void byDefaultNoBundleUriIsAllowed() throws Exception {
    b.save(dir.resolve("v-b.bundle"));
    startHere();
    publish(byUri(TinyBundles.release(b), dir.resolve("v-b.bundle").toUri().toString()));
    follower.pollOnce();
    assertThat(metrics.modelRejections("disallowed")).isEqualTo(1.0);
    assertThat(provider.currentVersion()).isEqualTo("prior");
  }

  @Test
  void bundlesOverTheBoundAreRefusedInlineAndByUri() throws Exception {
    int size = b.toBytes().length;
    verifier.optMaxBundleBytes(size + 100).optUriPolicy(BundleUriPolicy.parse(dir.toUri().toString()));
    startHere();
    publish(TinyBundles.release(a));
    follower.pollOnce();
    assertThat(provider.currentVersion()).isEqualTo("v-a");
    float[] before = servedScores();

    byte[] padded = Arrays.copyOf(b.toBytes(), size + 10_000);
    ModelRelease big = new ModelRelease(TinyBundles.MODEL, "v-big", null, 3_000L, ReleaseLoader.sha256Hex(padded),
        b.manifest().featureSpecHash(), Map.of(), Base64.getEncoder().encodeToString(padded), null);
    publish(big);
    Files.write(dir.resolve("big.bundle"), padded);
    publish(byUri(big, dir.resolve("big.bundle").toUri().toString()));
    follower.pollOnce();

    assertThat(metrics.modelRejections("too_large")).isEqualTo(2.0);
    assertThat(provider.currentVersion()).isEqualTo("v-a");
    assertThat(servedScores()).containsExactly(before);
  }

  @Test
  void anOutOfMemoryErrorWhileLoadingOrPollingIsSurvivedAndCounted() throws Exception {
    ScorerFactory oomOnC = bundle -> {
      if (bundle.version().equals("v-c")) {
        throw new OutOfMemoryError("Java heap space (test)");
      }
      return ScorerFactory.DIEN.newScorer(bundle);
    };
    ModelReleaseFollower f = follower(oomOnC);
    assertThat(f.isAlive()).isFalse();
    f.start();
    assertThat(f.awaitCaughtUp(Duration.ofSeconds(60))).isTrue();
    assertThat(f.isAlive()).isTrue();
    assertThat(metrics.registry().get("ctr.release.follower.alive").gauge().value()).isEqualTo(1.0);

    consumer.schedulePollTask(() -> publish(TinyBundles.release(a)));
    await().atMost(Duration.ofSeconds(60)).until(() -> "v-a".equals(provider.currentVersion()));
    consumer.schedulePollTask(() -> publish(TinyBundles.release(TinyBundles.bundle("v-c", 3, 1_500L))));
    await().atMost(Duration.ofSeconds(60)).until(() -> metrics.modelRejections("error") == 1.0);
    consumer.schedulePollTask(() -> {
      throw new OutOfMemoryError("while polling (test)");
    });
    await().atMost(Duration.ofSeconds(60)).until(() -> metrics.releaseFollowerErrors() == 2.0);
    assertThat(f.isAlive()).isTrue();

    consumer.schedulePollTask(() -> publish(TinyBundles.release(b)));
    await().atMost(Duration.ofSeconds(60)).until(() -> "v-b".equals(provider.currentVersion()));
    assertThat(f.isAlive()).isTrue();
    assertThat(metrics.registry().get("ctr.release.follower.errors").tag("kind", "out_of_memory").counter().count())
        .isEqualTo(2.0);

    f.close();
    assertThat(f.isAlive()).isFalse();
    assertThat(metrics.registry().get("ctr.release.follower.alive").gauge().value()).isZero();
  }

  /** Delivers copies of its records again after a seek; keeps no reference to what it delivered. */
  static final class CopyingConsumer extends MockConsumer<String, byte[]> {
    private final List<ConsumerRecord<String, byte[]>> copies = new java.util.ArrayList<>();

    CopyingConsumer() {
      super("earliest");
    }

    @Override
    public synchronized void addRecord(ConsumerRecord<String, byte[]> r) {
      copies.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.key(), r.value().clone()));
      super.addRecord(r);
    }

    @Override
    public synchronized void seek(TopicPartition partition, long offset) {
      super.seek(partition, offset);
      for (ConsumerRecord<String, byte[]> r : copies) {
        if (r.offset() >= offset) {
          super.addRecord(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.key(), r.value().clone()));
        }
      }
    }
  }

  /** Adds a record of {@code release} and returns a weak reference to the value it delivers. */
  private static java.lang.ref.WeakReference<byte[]> add(MockConsumer<String, byte[]> c, long at, ModelRelease r) {
    byte[] value = SERDE.serialize(r);
    c.addRecord(new ConsumerRecord<>(TOPIC, 0, at, r.modelName(), value));
    return new java.lang.ref.WeakReference<>(value);
  }

  private static boolean collected(java.lang.ref.WeakReference<byte[]> ref) {
    for (int i = 0; i < 20 && ref.get() != null; i++) {
      System.gc();
    }
    return ref.get() == null;
  }

  @Test
  void whileCatchingUpAnOlderReleaseIsNotHeldOnceANewerOneIsRead() {
    CopyingConsumer c = new CopyingConsumer();
    c.updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, Node.noNode(), new Node[0], new Node[0])));
    c.updateBeginningOffsets(Map.of(TP, 0L));
    c.updateEndOffsets(Map.of(TP, 3L));
    java.util.concurrent.atomic.AtomicReference<java.lang.ref.WeakReference<byte[]>> oldest =
        new java.util.concurrent.atomic.AtomicReference<>();
    java.util.concurrent.atomic.AtomicReference<Boolean> heldWhileLoadingNewest =
        new java.util.concurrent.atomic.AtomicReference<>();
    ScorerFactory watching = bundle -> {
      if (bundle.version().equals("v-b") && heldWhileLoadingNewest.get() == null) {
        heldWhileLoadingNewest.set(!collected(oldest.get()));
        throw new IllegalStateException("refuse v-b, so that the follower falls back to v-a");
      }
      return ScorerFactory.DIEN.newScorer(bundle);
    };
    follower = ModelReleaseFollower.builder().setConsumer(c).setTopic(TOPIC)
        .setLoader(new ReleaseLoader(TinyBundles.MODEL, verifier.optScorerFactory(watching).build()))
        .setProvider(provider).setMetrics(metrics).optPollTimeout(Duration.ofMillis(20)).build();
    assertThat(follower.assign()).isTrue();
    oldest.set(add(c, 0, TinyBundles.release(a)));
    add(c, 1, TinyBundles.release(TinyBundles.bundle("v-a2", 4, 1_500L)));
    add(c, 2, TinyBundles.release(b));
    follower.catchUp();

    assertThat(heldWhileLoadingNewest.get()).as("v-a's record held while v-b loads").isFalse();
    assertThat(metrics.modelRejections("probe")).isEqualTo(1.0);
    assertThat(provider.currentVersion()).as("read again by offset: the one before v-b").isEqualTo("v-a2");
  }

  @Test
  void aFatalJvmErrorEndsTheFollowerVisibly() throws Exception {
    ModelReleaseFollower f = follower(ScorerFactory.DIEN);
    f.start();
    assertThat(f.awaitCaughtUp(Duration.ofSeconds(60))).isTrue();
    consumer.schedulePollTask(() -> {
      throw new InternalError("the JVM is broken (test)");
    });
    await().atMost(Duration.ofSeconds(60)).until(() -> !f.isAlive());
    assertThat(metrics.registry().get("ctr.release.follower.alive").gauge().value()).isZero();
  }
}
