package io.ctrstream.dien.bundle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.model.DienConfig;
import io.ctrstream.dien.model.DienNetwork;
import io.ctrstream.dien.serving.BatchScorer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves a bundle round-trips exactly (same bytes, same manifest, same scores after save/load),
 * and that loading rejects, with a message naming the problem, flipped bytes, truncation, a
 * tampered manifest, parts that disagree, weights that do not fit, and a foreign feature layout.
 */
class ModelBundleTest {

  private static List<FeatureRow> rows;
  private static FeatureEncoder encoder;
  private static DienNetwork network;
  private static ModelBundle bundle;

  @BeforeAll
  static void build() {
    rows = BundleFixtures.rows(200, 1);
    encoder = BundleFixtures.encoder(rows);
    network = BundleFixtures.network(encoder, 7);
    bundle = BundleFixtures.bundle(encoder, network);
  }

  @AfterAll
  static void close() {
    network.close();
  }

  @Test
  void roundTripKeepsEveryPartAndScoresIdentically(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("models/dien-v1.zip");
    bundle.save(file);
    ModelBundle back = ModelBundle.load(file);
    assertThat(Files.readAllBytes(file)).isEqualTo(bundle.toBytes());
    assertThat(back.sha256()).isEqualTo(bundle.sha256()).hasSize(64);
    assertThat(back.manifest()).isEqualTo(bundle.manifest());
    assertThat(back.manifest().metrics()).containsEntry("auc", 0.64);
    assertThat(back.manifest().trainingWindow()).isEqualTo(new Manifest.TrainingWindow(1000, 2000));
    assertThat(back.config()).isEqualTo(network.config());
    assertThat(back.encoder()).isEqualTo(encoder);
    assertThat(back.weights()).isEqualTo(bundle.weights());
    // no temp file left beside the bundle
    try (var files = Files.list(file.getParent())) {
      assertThat(files).containsExactly(file);
    }

    float[] expected = network.predictProbabilities(encoder.encode(rows));
    try (BatchScorer scorer = back.newScorer()) {
      assertThat(scorer.modelVersion()).isEqualTo("v1");
      float[] actual = scorer.score(rows);
      assertThat(actual).isEqualTo(expected);
      // the scores are real probabilities, not a constant
      assertThat(Arrays.stream(toDouble(actual)).allMatch(p -> p > 0 && p < 1)).isTrue();
      assertThat(Arrays.stream(toDouble(actual)).distinct().count()).isGreaterThan(10);
    }
  }

  @Test
  void sameContentGivesTheSameBytes() {
    assertThat(BundleFixtures.bundle(encoder, network).toBytes()).isEqualTo(bundle.toBytes());
  }

  @Test
  void manifestDescribesThePayload() throws Exception {
    Map<String, byte[]> entries = BundleArchive.read(bundle.toBytes());
    assertThat(entries.keySet())
        .containsExactly("manifest.json", "config.json", "encoder.json", "weights.params");
    assertThat(bundle.manifest().payloadSha256()).isEqualTo(BundleArchive.payloadSha256(entries));
    assertThat(bundle.manifest().featureSpecHash()).isEqualTo(encoder.spec().hash());
    assertThat(bundle.sha256()).isEqualTo(BundleArchive.sha256Hex(bundle.toBytes()));
  }

  @Test
  void flippedByteInTheWeightsIsRejected() {
    byte[] bytes = bundle.toBytes();
    int data = entryDataOffset(bytes, "weights.params");
    bytes[data + 200] ^= 0x10;
    assertThatThrownBy(() -> ModelBundle.fromBytes(bytes))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("corrupt");
  }

  @Test
  void noSingleFlippedByteYieldsADifferentModel() {
    byte[] original = bundle.toBytes();
    int rejected = 0;
    int tried = 0;
    // every byte of the first local header and of the central directory at the end; every 11th
    // byte of the rest (keeps the test to a few seconds)
    for (int pos = 0; pos < original.length;
        pos += pos < 256 || pos >= original.length - 512 ? 1 : 11) {
      tried++;
      byte[] bytes = original.clone();
      bytes[pos] ^= 0x01;
      try {
        ModelBundle b = ModelBundle.fromBytes(bytes);
        // accepted only if nothing that matters changed (e.g. a zip timestamp field)
        assertThat(b.weights()).as("flip at %d", pos).isEqualTo(bundle.weights());
        assertThat(b.manifest()).as("flip at %d", pos).isEqualTo(bundle.manifest());
        assertThat(b.encoder()).as("flip at %d", pos).isEqualTo(encoder);
        assertThat(b.config()).as("flip at %d", pos).isEqualTo(network.config());
      } catch (BundleException e) {
        assertThat(e.getMessage()).isNotBlank();
        rejected++;
      }
    }
    assertThat(rejected).isGreaterThan(tried * 8 / 10);
  }

  @Test
  void truncatedBundleIsRejectedWhereverItIsCut() {
    byte[] original = bundle.toBytes();
    for (int len : new int[] {0, 10, 100, original.length / 2, original.length - 100,
        original.length - 22, original.length - 1}) {
      byte[] cut = Arrays.copyOf(original, len);
      assertThatThrownBy(() -> ModelBundle.fromBytes(cut))
          .as("cut at %d of %d", len, original.length)
          .isInstanceOf(BundleException.class)
          .message()
          .containsAnyOf("truncated", "empty", "corrupt", "incomplete");
    }
    assertThatThrownBy(() -> ModelBundle.fromBytes("not a zip".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(BundleException.class);
  }

  @Test
  void wholeFileChecksumIsCheckedWhenKnown() throws Exception {
    assertThat(ModelBundle.fromBytes(bundle.toBytes(), bundle.sha256()).version()).isEqualTo("v1");
    byte[] other = bundle.toBytes();
    other[12] ^= 1; // a zip header time field: harmless for content, caught by the file hash
    assertThatThrownBy(() -> ModelBundle.fromBytes(other, bundle.sha256()))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("file checksum mismatch");
  }

  @Test
  void tamperedFeatureSpecHashIsRejected() throws Exception {
    Map<String, byte[]> entries = BundleArchive.read(bundle.toBytes());
    ObjectMapper json = new ObjectMapper();
    ObjectNode manifest = (ObjectNode) json.readTree(entries.get("manifest.json"));
    manifest.put("featureSpecHash", "0".repeat(64));
    entries.put("manifest.json", json.writeValueAsBytes(manifest));
    byte[] tampered = BundleArchive.write(entries);
    assertThatThrownBy(() -> ModelBundle.fromBytes(tampered))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("feature-spec hash mismatch");
  }

  @Test
  void payloadChangedBehindTheManifestIsRejected() throws Exception {
    Map<String, byte[]> entries = BundleArchive.read(bundle.toBytes());
    byte[] w = entries.get("weights.params").clone();
    w[w.length - 1] ^= 1;
    entries.put("weights.params", w); // a well-formed zip, but not what the manifest hashed
    assertThatThrownBy(() -> ModelBundle.fromBytes(BundleArchive.write(entries)))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("payload checksum mismatch");
  }

  @Test
  void configThatDisagreesWithTheEncoderIsRejected() throws Exception {
    Map<String, byte[]> entries = BundleArchive.read(bundle.toBytes());
    ObjectMapper json = new ObjectMapper();
    ObjectNode config = (ObjectNode) json.readTree(entries.get("config.json"));
    ((ObjectNode) config.get("history")).put("vocabSize", 999);
    entries.put("config.json", json.writeValueAsBytes(config));
    // re-sign the payload, as a buggy trainer would: the parts still must agree
    ObjectNode manifest = (ObjectNode) json.readTree(entries.get("manifest.json"));
    manifest.put("payloadSha256", BundleArchive.payloadSha256(entries));
    entries.put("manifest.json", json.writeValueAsBytes(manifest));
    assertThatThrownBy(() -> ModelBundle.fromBytes(BundleArchive.write(entries)))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("config and encoder disagree")
        .hasMessageContaining("999");
  }

  @Test
  void bundleForAnotherFeatureLayoutIsRejected() throws Exception {
    FeatureEncoder longer = FeatureEncoder.fit(rows, FeatureEncoder.Options.builder()
        .optMinCount(2).optHistoryLength(7).optGenresLength(3).build());
    assertThat(ModelBundle.fromBytes(bundle.toBytes(), encoder.spec()).version()).isEqualTo("v1");
    assertThatThrownBy(() -> ModelBundle.fromBytes(bundle.toBytes(), longer.spec()))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("another feature layout")
        .hasMessageContaining("\"historyLength\":7");
  }

  @Test
  void weightsThatDoNotFitTheConfigAreRejectedBeforeScoring() throws Exception {
    DienConfig config = network.config();
    DienConfig wider = config.toBuilder().optEmbeddingSize(5).build();
    try (DienNetwork other = DienNetwork.create(wider, 3)) {
      java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
      other.saveParameters(out);
      ModelBundle mismatched = ModelBundle.builder().setModelName("dien").setVersion("bad")
          .setEncoder(encoder).setWeights(config, out.toByteArray()).build();
      ModelBundle read = ModelBundle.fromBytes(mismatched.toBytes());
      assertThatThrownBy(read::newScorer)
          .isInstanceOf(BundleException.class)
          .hasMessageContaining("weights do not fit its config");
    }
  }

  @Test
  void builderSaysWhatIsMissing() {
    assertThatThrownBy(() -> ModelBundle.builder().setVersion("v").setEncoder(encoder)
            .setNetwork(network).build())
        .hasMessageContaining("setModelName");
    assertThatThrownBy(() -> ModelBundle.builder().setModelName("m").setVersion("v")
            .setNetwork(network).build())
        .hasMessageContaining("setEncoder");
    FeatureEncoder other = FeatureEncoder.fit(BundleFixtures.rows(50, 9),
        FeatureEncoder.Options.builder().optMinCount(1).optHistoryLength(5).optGenresLength(3)
            .build());
    assertThatThrownBy(() -> ModelBundle.builder().setModelName("m").setVersion("v")
            .setEncoder(other).setNetwork(network).build())
        .hasMessageContaining("does not fit the network config");
  }

  @Test
  void missingFileIsAClearError(@TempDir Path dir) {
    assertThatThrownBy(() -> ModelBundle.load(dir.resolve("nope.zip")))
        .isInstanceOf(BundleException.class)
        .hasMessageContaining("does not exist");
  }

  private static double[] toDouble(float[] f) {
    double[] d = new double[f.length];
    for (int i = 0; i < f.length; i++) {
      d[i] = f[i];
    }
    return d;
  }

  /** Offset of an entry's data: after its local header (30 bytes + name + extra). */
  private static int entryDataOffset(byte[] zip, String name) {
    byte[] n = name.getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i + 30 + n.length < zip.length; i++) {
      if (zip[i] == 0x50 && zip[i + 1] == 0x4b && zip[i + 2] == 3 && zip[i + 3] == 4) {
        int nameLen = (zip[i + 26] & 0xff) | (zip[i + 27] & 0xff) << 8;
        int extraLen = (zip[i + 28] & 0xff) | (zip[i + 29] & 0xff) << 8;
        if (nameLen == n.length
            && Arrays.equals(Arrays.copyOfRange(zip, i + 30, i + 30 + nameLen), n)) {
          return i + 30 + nameLen + extraLen;
        }
      }
    }
    throw new AssertionError("no entry " + name);
  }
}
