package io.ctrstream.trainer.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.model.DienConfig;
import io.ctrstream.dien.model.DienNetwork;
import io.ctrstream.dien.release.BundleUriPolicy;
import io.ctrstream.dien.release.ReleaseSignature;
import io.ctrstream.dien.release.ReleaseVerifier;
import io.ctrstream.dien.release.ServableSpec;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.ModelRelease;
import io.ctrstream.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.MockConsumer;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves that the trainer picks the live model as a scorer does: the newest release that loads
 * and passes its checks. A newer release with a wrong checksum, an undecodable record, a tombstone
 * and another model's record are passed over for the older good one (the refused one reported
 * with its reason); with a public key an unsigned newest release is passed over for an older
 * signed one; a bundle URI outside the allowed places is refused; when none passes, there is no
 * live model. Only offsets are kept while scanning; the candidates are read again one by one.
 */
class ReleaseReaderTest {
  private static final Topics TOPICS = Topics.defaults();
  private static final String TOPIC = TOPICS.modelReleases().name();
  private static final TopicPartition TP = new TopicPartition(TOPIC, 0);
  private static final JsonSerde<ModelRelease> SERDE = JsonSerde.of(ModelRelease.class);

  private static ModelBundle good;
  private static ModelBundle newer;

  @TempDir Path dir;

  private final Log consumer = new Log();
  private long offset;

  /** A MockConsumer that delivers every record again from wherever it is seeked to. */
  static final class Log extends MockConsumer<byte[], byte[]> {
    private final List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();

    Log() {
      super("earliest");
      updatePartitions(TOPIC, List.of(new PartitionInfo(TOPIC, 0, Node.noNode(), new Node[0], new Node[0])));
      updateBeginningOffsets(Map.of(TP, 0L));
      updateEndOffsets(Map.of(TP, 0L));
    }

    void append(ConsumerRecord<byte[], byte[]> r) {
      records.add(r);
      updateEndOffsets(Map.of(TP, r.offset() + 1));
    }

    @Override
    public synchronized void seek(TopicPartition partition, long offset) {
      super.seek(partition, offset);
      for (ConsumerRecord<byte[], byte[]> r : records) {
        if (r.offset() >= offset) {
          super.addRecord(r);
        }
      }
    }
  }

  @BeforeAll
  static void bundles() {
    good = bundle("v1", 1, 1_000L);
    newer = bundle("v2", 2, 2_000L);
  }

  private static ModelBundle bundle(String version, long seed, long createdAt) {
    List<FeatureRow> rows = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      List<String> history = new ArrayList<>();
      List<String> negatives = new ArrayList<>();
      for (int k = 0; k < i % 4; k++) {
        history.add(Integer.toString(1 + (i + k) % 6));
        negatives.add(Integer.toString(1 + (i + k + 3) % 6));
      }
      rows.add(new FeatureRow("u" + (i % 5), 20.0 + i, i % 2 == 0 ? "F" : "M", "writer", "12345",
          Integer.toString(1 + i % 6), List.of("Drama"), history, negatives));
    }
    FeatureEncoder encoder = FeatureEncoder.fit(rows, FeatureEncoder.Options.builder()
        .optMinCount(1).optQuantiles(4).optHistoryLength(3).optGenresLength(2).build());
    DienConfig config = encoder.configure(DienConfig.builder()).optEmbeddingSize(4)
        .optAttentionHidden(List.of(4, 2)).optMlpHidden(List.of(4, 2)).optAuxHidden(List.of(4, 2)).build();
    try (DienNetwork network = DienNetwork.create(config, seed)) {
      return ModelBundle.builder().setModelName("dien").setVersion(version).optCreatedAt(createdAt)
          .setEncoder(encoder).setNetwork(network).build();
    }
  }

  private static ModelRelease release(ModelBundle b) {
    return new ModelRelease("dien", b.version(), null, b.manifest().createdAt(), b.sha256(),
        b.manifest().featureSpecHash(), Map.of(), Base64.getEncoder().encodeToString(b.toBytes()), null);
  }

  private void append(String key, byte[] value) {
    consumer.append(new ConsumerRecord<>(TOPIC, 0, offset++, key.getBytes(StandardCharsets.UTF_8), value));
  }

  private void append(ModelRelease r) {
    append(r.modelName(), SERDE.serialize(r));
  }

  private static ReleaseVerifier.Builder verifier() {
    return ReleaseVerifier.builder().setServable(new ServableSpec(3));
  }

  private ReleaseReader.Live live(ReleaseVerifier verifier) {
    return ReleaseReader.newestThatLoads(consumer, TOPICS.modelReleases(), "dien", verifier, Duration.ofSeconds(10));
  }

  @Test
  void aNewerReleaseThatDoesNotLoadIsPassedOverForTheNewestThatDoes() {
    append(release(good));
    ModelRelease broken = release(newer);
    append(new ModelRelease("dien", "v2", "v1", 2_000L, broken.sha256(), broken.featureSpecHash(), Map.of(),
        Base64.getEncoder().encodeToString(good.toBytes()), null)); // v1's bytes under v2's checksum
    append("dien", "{\"modelName\":".getBytes(StandardCharsets.UTF_8));
    append("dien", null);
    append(new ModelRelease("other", "x9", null, 9_000L, "0".repeat(64), "h", Map.of(), "", null));

    ReleaseReader.Live live = live(verifier().build());

    assertThat(live.present()).isTrue();
    assertThat(live.release().version()).isEqualTo("v1");
    assertThat(live.bundle().sha256()).isEqualTo(good.sha256());
    assertThat(live.skipped()).hasSize(2);
    assertThat(live.skipped().get(0)).startsWith("(undecodable at offset 2) (invalid)");
    assertThat(live.skipped().get(1)).startsWith("v2 (checksum)");
  }

  @Test
  void withAPublicKeyAnUnsignedNewestReleaseIsPassedOver() {
    KeyPair key = ReleaseSignature.generate();
    ModelRelease v1 = release(good);
    append(v1.withSignature(ReleaseSignature.sign(ReleaseReader.claims(v1), key.getPrivate()),
        ReleaseSignature.ALGORITHM, ReleaseSignature.keyId(key.getPublic())));
    append(release(newer));

    assertThat(live(verifier().build()).release().version()).as("without a key the newest loads").isEqualTo("v2");
    ReleaseReader.Live live = live(verifier().optPublicKey(key.getPublic()).build());
    assertThat(live.release().version()).isEqualTo("v1");
    assertThat(live.skipped()).singleElement().asString().startsWith("v2 (unsigned)");
  }

  @Test
  void aBundleUriOutsideTheAllowedPlacesIsRefusedAndNothingMayBeLive() throws Exception {
    Path file = dir.resolve("v2.bundle");
    newer.save(file);
    ModelRelease r = release(newer);
    append(new ModelRelease("dien", "v2", null, 2_000L, r.sha256(), r.featureSpecHash(), Map.of(), null,
        file.toUri().toString()));

    ReleaseReader.Live none = live(verifier().build());
    assertThat(none.present()).isFalse();
    assertThat(none.skipped()).singleElement().asString().startsWith("v2 (disallowed)");

    ReleaseReader.Live allowed = live(verifier().optUriPolicy(BundleUriPolicy.parse(dir.toUri().toString())).build());
    assertThat(allowed.release().version()).isEqualTo("v2");
  }
}
