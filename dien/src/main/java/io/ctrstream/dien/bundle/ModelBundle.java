package io.ctrstream.dien.bundle;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.features.FeatureSpec;
import io.ctrstream.dien.model.DienConfig;
import io.ctrstream.dien.model.DienNetwork;
import io.ctrstream.dien.serving.DienBatchScorer;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A released model: weights, the {@link FeatureEncoder} that produced its inputs (vocabularies,
 * age quantiles), the {@link DienConfig} that shapes the network, the {@link FeatureSpec} they
 * agree on, and a {@link Manifest}. Immutable; the same content always gives the same bytes.
 *
 * <p>Format: a zip with {@code manifest.json}, {@code config.json}, {@code encoder.json} and
 * {@code weights.params} ({@link DienNetwork#saveParameters}), in that order. The manifest's
 * {@code payloadSha256} is SHA-256 over the three other entries, each framed as its name in UTF-8,
 * a zero byte, its length as 8 big-endian bytes, then its bytes (in the order config, encoder,
 * weights). {@link #sha256()} is over the whole file (what a release record carries).
 *
 * <p>Loading ({@link #fromBytes}) rejects, with a {@link BundleException} saying what is wrong: a
 * file that is not a zip, truncated or with a bad CRC; missing, extra or duplicate entries; a
 * payload that does not hash to the manifest's checksum; a config and encoder that disagree (spec
 * or vocabulary sizes); a manifest whose {@code featureSpecHash} is not the spec's hash; and, with
 * an expected spec, a bundle built for another feature layout. {@link #newScorer()} additionally
 * loads the weights into a network and rejects them when they do not fit the config or score a
 * probe batch to a non-finite value.
 */
public final class ModelBundle {

  private static final Logger LOG = LoggerFactory.getLogger(ModelBundle.class);

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .enable(SerializationFeature.INDENT_OUTPUT)
          .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
          .build();

  private final Manifest manifest;
  private final DienConfig config;
  private final FeatureEncoder encoder;
  private final FeatureSpec spec;
  private final byte[] weights;
  private final byte[] bytes;
  private final String sha256;

  private ModelBundle(
      Manifest manifest, DienConfig config, FeatureEncoder encoder, FeatureSpec spec,
      byte[] weights, byte[] bytes) {
    this.manifest = manifest;
    this.config = config;
    this.encoder = encoder;
    this.spec = spec;
    this.weights = weights;
    this.bytes = bytes;
    this.sha256 = BundleArchive.sha256Hex(bytes);
  }

  public static Builder builder() {
    return new Builder();
  }

  // -------------------------------------------------------------------------------------------
  // Reading

  /**
   * Reads and verifies a bundle (see the class comment for every check).
   *
   * @throws BundleException when the bytes are not a valid, self-consistent bundle
   */
  public static ModelBundle fromBytes(byte[] bytes) throws BundleException {
    return fromBytes(bytes, BundleArchive.DEFAULT_MAX_UNPACKED_BYTES);
  }

  /**
   * Reads and verifies a bundle whose entries may unpack to at most {@code maxUnpackedBytes} in
   * all (checked while inflating, so a zip bomb is refused before it fills the heap).
   *
   * @throws BundleException as {@link #fromBytes(byte[])}, or when the entries unpack to more
   */
  public static ModelBundle fromBytes(byte[] bytes, long maxUnpackedBytes) throws BundleException {
    Map<String, byte[]> entries = BundleArchive.read(bytes, maxUnpackedBytes);
    Manifest manifest = parse(entries, BundleArchive.MANIFEST, Manifest.class);
    String actual = BundleArchive.payloadSha256(entries);
    if (!actual.equals(manifest.payloadSha256())) {
      throw new BundleException(
          "bundle payload checksum mismatch: manifest says " + manifest.payloadSha256()
              + " but config/encoder/weights hash to " + actual + "; the bundle is corrupt");
    }
    DienConfig config = parse(entries, BundleArchive.CONFIG, DienConfig.class);
    FeatureEncoder encoder;
    try {
      encoder = FeatureEncoder.fromJson(entries.get(BundleArchive.ENCODER));
    } catch (IllegalArgumentException e) {
      throw new BundleException("bundle entry encoder.json is invalid: " + e.getMessage(), e);
    }
    List<String> problems = encoder.mismatches(config);
    if (!problems.isEmpty()) {
      throw new BundleException("bundle config and encoder disagree: " + String.join("; ", problems));
    }
    FeatureSpec spec = encoder.spec();
    if (!spec.hash().equals(manifest.featureSpecHash())) {
      throw new BundleException(
          "bundle feature-spec hash mismatch: manifest says " + manifest.featureSpecHash()
              + " but its config/encoder describe " + spec.hash() + " " + spec.canonicalJson());
    }
    byte[] weights = entries.get(BundleArchive.WEIGHTS);
    if (weights.length == 0) {
      throw new BundleException("bundle entry weights.params is empty");
    }
    return new ModelBundle(manifest, config, encoder, spec, weights, bytes.clone());
  }

  /**
   * Reads a bundle and checks it was built for {@code expected}, the layout the caller produces.
   *
   * @throws BundleException as {@link #fromBytes(byte[])}, or when the feature specs differ
   */
  public static ModelBundle fromBytes(byte[] bytes, FeatureSpec expected) throws BundleException {
    ModelBundle bundle = fromBytes(bytes);
    bundle.requireSpec(expected);
    return bundle;
  }

  /**
   * Reads a bundle whose whole-file SHA-256 is known (e.g. from its release record).
   *
   * @throws BundleException when the bytes do not hash to {@code expectedSha256}, or as {@link
   *     #fromBytes(byte[])}
   */
  public static ModelBundle fromBytes(byte[] bytes, String expectedSha256) throws BundleException {
    String actual = BundleArchive.sha256Hex(bytes == null ? new byte[0] : bytes);
    if (!actual.equalsIgnoreCase(Objects.requireNonNull(expectedSha256, "expectedSha256"))) {
      throw new BundleException(
          "bundle file checksum mismatch: expected " + expectedSha256 + ", got " + actual
              + " (" + (bytes == null ? 0 : bytes.length) + " bytes); corrupt or truncated");
    }
    return fromBytes(bytes);
  }

  /** Reads a bundle file ({@link #fromBytes(byte[])}). */
  public static ModelBundle load(Path path) throws BundleException {
    return fromBytes(readFile(path));
  }

  /** Reads a bundle file built for {@code expected} ({@link #fromBytes(byte[], FeatureSpec)}). */
  public static ModelBundle load(Path path, FeatureSpec expected) throws BundleException {
    return fromBytes(readFile(path), expected);
  }

  private static byte[] readFile(Path path) throws BundleException {
    try {
      return Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      throw new BundleException("bundle file " + path + " does not exist", e);
    } catch (IOException e) {
      throw new BundleException("bundle file " + path + " cannot be read: " + e.getMessage(), e);
    }
  }

  /**
   * Fails unless this bundle was built for {@code expected}.
   *
   * @throws BundleException naming both layouts when they differ
   */
  public void requireSpec(FeatureSpec expected) throws BundleException {
    if (!expected.hash().equals(manifest.featureSpecHash())) {
      throw new BundleException(
          "bundle " + manifest.version() + " was built for another feature layout: it expects "
              + spec.canonicalJson() + " (hash " + manifest.featureSpecHash() + "), the caller"
              + " produces " + expected.canonicalJson() + " (hash " + expected.hash() + ")");
    }
  }

  private static <T> T parse(Map<String, byte[]> entries, String name, Class<T> type)
      throws BundleException {
    try {
      T value = JSON.readValue(entries.get(name), type);
      if (value == null) {
        throw new BundleException("bundle entry " + name + " is empty (null)");
      }
      return value;
    } catch (IOException | IllegalArgumentException e) {
      throw new BundleException("bundle entry " + name + " is invalid: " + e.getMessage(), e);
    }
  }

  // -------------------------------------------------------------------------------------------
  // Using

  /**
   * A new network with this bundle's weights; the caller closes it.
   *
   * @throws BundleException when the weights do not load into a network of this config
   */
  public DienNetwork newNetwork() throws BundleException {
    try {
      return DienNetwork.fromParameters(config, new ByteArrayInputStream(weights));
    } catch (IOException | RuntimeException e) {
      throw new BundleException(
          "bundle " + manifest.version() + " weights do not fit its config: " + e.getMessage(), e);
    }
  }

  /**
   * A scorer for one thread, owning its own network (close it). Before returning, it scores a
   * probe batch (a cold user with unknown ids, and a user with a full history of the most common
   * items) and rejects the bundle when any probability is not finite.
   *
   * @throws BundleException when the weights do not load or the probe scores are not finite
   */
  public DienBatchScorer newScorer() throws BundleException {
    DienNetwork network = newNetwork();
    DienBatchScorer scorer = new DienBatchScorer(network, encoder, manifest.version(), true);
    try {
      float[] probe = scorer.score(probeRows());
      for (float p : probe) {
        if (!Float.isFinite(p)) {
          throw new BundleException(
              "bundle " + manifest.version() + " scores a probe batch to a non-finite value");
        }
      }
      return scorer;
    } catch (BundleException e) {
      scorer.close();
      throw e;
    } catch (RuntimeException e) {
      scorer.close();
      throw new BundleException(
          "bundle " + manifest.version() + " fails on a probe batch: " + e.getMessage(), e);
    }
  }

  private List<FeatureRow> probeRows() {
    List<String> items = encoder.vocabulary(FeatureEncoder.HISTORY).terms();
    List<String> history = items.subList(0, Math.min(items.size(), config.history().maxLength()));
    List<String> negItems = encoder.vocabulary(FeatureEncoder.NEGATIVES).terms();
    List<String> negatives = negItems.subList(0, Math.min(negItems.size(), history.size()));
    return List.of(
        new FeatureRow("probe-cold", null, null, null, null, "probe-unknown", null, null, null),
        new FeatureRow("probe-warm", 30.0, null, null, null,
            history.isEmpty() ? "probe-unknown" : history.get(0), List.of(), history, negatives));
  }

  public Manifest manifest() {
    return manifest;
  }

  public DienConfig config() {
    return config;
  }

  public FeatureEncoder encoder() {
    return encoder;
  }

  public FeatureSpec featureSpec() {
    return spec;
  }

  /** The model version (from the manifest). */
  public String version() {
    return manifest.version();
  }

  /** A copy of the serialised weights. */
  public byte[] weights() {
    return weights.clone();
  }

  /** A copy of the bundle file's bytes. */
  public byte[] toBytes() {
    return bytes.clone();
  }

  /** Size of the bundle file in bytes. */
  public int sizeBytes() {
    return bytes.length;
  }

  /** Lowercase hex SHA-256 of {@link #toBytes()}. */
  public String sha256() {
    return sha256;
  }

  /**
   * Writes the bundle atomically: to a temporary file in the target's folder, forced to disk,
   * then moved over the target, so readers see the old file or the whole new one, never a part.
   */
  public void save(Path path) throws IOException {
    Path target = path.toAbsolutePath();
    Path dir = target.getParent();
    Files.createDirectories(dir);
    Path tmp = Files.createTempFile(dir, target.getFileName().toString() + ".", ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer buf = ByteBuffer.wrap(bytes);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE,
            StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        LOG.warn("atomic move not supported in {}; replacing {} non-atomically", dir, target);
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  @Override
  public String toString() {
    return "ModelBundle{" + manifest.modelName() + " " + manifest.version() + ", " + bytes.length
        + " bytes, sha256 " + sha256 + "}";
  }

  // -------------------------------------------------------------------------------------------
  // Building

  /**
   * Builds a bundle: {@code setX} required, {@code optX} optional. The feature-spec hash and the
   * payload checksum are computed, never set.
   */
  public static final class Builder {
    private String modelName;
    private String version;
    private String parentVersion;
    private Long createdAt;
    private Manifest.TrainingWindow trainingWindow;
    private long sampleCount;
    private double positiveRate;
    private Map<String, Double> metrics = new HashMap<>();
    private FeatureEncoder encoder;
    private DienConfig config;
    private byte[] weights;

    private Builder() {}

    public Builder setModelName(String modelName) {
      this.modelName = modelName;
      return this;
    }

    public Builder setVersion(String version) {
      this.version = version;
      return this;
    }

    public Builder setEncoder(FeatureEncoder encoder) {
      this.encoder = encoder;
      return this;
    }

    /** The network whose config and current weights go into the bundle. */
    public Builder setNetwork(DienNetwork network) {
      this.config = network.config();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      try {
        network.saveParameters(out);
      } catch (IOException e) {
        throw new UncheckedIOException("writing to memory cannot fail", e);
      }
      this.weights = out.toByteArray();
      return this;
    }

    /** Config and serialised weights, as an alternative to {@link #setNetwork}. */
    public Builder setWeights(DienConfig config, byte[] weights) {
      this.config = config;
      this.weights = weights == null ? null : weights.clone();
      return this;
    }

    public Builder optParentVersion(String parentVersion) {
      this.parentVersion = parentVersion;
      return this;
    }

    /** Creation time, epoch ms; defaults to now. */
    public Builder optCreatedAt(long createdAt) {
      this.createdAt = createdAt;
      return this;
    }

    public Builder optTrainingWindow(long from, long to) {
      this.trainingWindow = new Manifest.TrainingWindow(from, to);
      return this;
    }

    public Builder optSampleCount(long sampleCount) {
      this.sampleCount = sampleCount;
      return this;
    }

    public Builder optPositiveRate(double positiveRate) {
      this.positiveRate = positiveRate;
      return this;
    }

    public Builder optMetrics(Map<String, Double> metrics) {
      this.metrics = new HashMap<>(metrics);
      return this;
    }

    public Builder optMetric(String name, double value) {
      this.metrics.put(name, value);
      return this;
    }

    /**
     * Validates and serialises.
     *
     * @throws IllegalStateException when a required part is missing or the encoder does not fit
     *     the config
     */
    public ModelBundle build() {
      if (modelName == null || modelName.isBlank()) {
        throw new IllegalStateException("modelName not set: call setModelName");
      }
      if (version == null || version.isBlank()) {
        throw new IllegalStateException("version not set: call setVersion");
      }
      if (encoder == null) {
        throw new IllegalStateException("encoder not set: call setEncoder");
      }
      if (config == null || weights == null || weights.length == 0) {
        throw new IllegalStateException("weights not set: call setNetwork or setWeights");
      }
      List<String> problems = encoder.mismatches(config);
      if (!problems.isEmpty()) {
        throw new IllegalStateException(
            "the encoder does not fit the network config: " + String.join("; ", problems)
                + "; build the config with encoder.configure(DienConfig.builder())");
      }
      for (Map.Entry<String, Double> m : metrics.entrySet()) {
        if (m.getKey() == null || m.getValue() == null) {
          throw new IllegalStateException("metrics must not hold null names or values");
        }
      }
      Map<String, byte[]> entries = new HashMap<>();
      try {
        entries.put(BundleArchive.CONFIG, JSON.writeValueAsBytes(config));
      } catch (IOException e) {
        throw new IllegalStateException("a DienConfig always serialises", e);
      }
      entries.put(BundleArchive.ENCODER, encoder.toJson());
      entries.put(BundleArchive.WEIGHTS, weights);
      FeatureSpec spec = encoder.spec();
      Manifest manifest =
          new Manifest(
              modelName,
              version,
              parentVersion,
              createdAt == null ? System.currentTimeMillis() : createdAt,
              spec.hash(),
              trainingWindow,
              sampleCount,
              positiveRate,
              metrics,
              BundleArchive.payloadSha256(entries));
      try {
        entries.put(BundleArchive.MANIFEST, JSON.writeValueAsBytes(manifest));
      } catch (IOException e) {
        throw new IllegalStateException("a Manifest always serialises", e);
      }
      return new ModelBundle(manifest, config, encoder, spec, weights, BundleArchive.write(entries));
    }
  }
}
