package io.ctrstream.dien.release;

import io.ctrstream.dien.bundle.BundleException;
import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.serving.BatchScorer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checks a release passes before it is served, the same for every scorer and for the trainer
 * when it picks the live model. In order: the bundle bytes are at most {@code maxBundleBytes}
 * (inline, or fetched within the {@link BundleUriPolicy}); they hash to the claimed SHA-256; when
 * a public key is configured, the claims carry an Ed25519 signature by it ({@link
 * ReleaseSignature}); {@link ModelBundle#fromBytes(byte[], long)} accepts them, unpacking at most
 * {@link #maxUnpackedBytes()}; the bundle's version, model name and feature-spec hash equal the
 * claims; the feature layout is one the scorer produces ({@link ServableSpec}); a scorer loads and
 * scores a fixed probe batch (a cold user with an unknown movie, a user whose history holds the
 * model's known movies, a user whose history holds unknown movies) to finite probabilities in [0,
 * 1]. The first failed check throws {@link ReleaseRejectedException} with its {@link Rejection}.
 *
 * <p>Stateless and thread-safe.
 */
public final class ReleaseVerifier {
  private static final Logger LOG = LoggerFactory.getLogger(ReleaseVerifier.class);

  /** Default {@code release.max.bundle.bytes}: 64 MiB, the largest inline record the scorer fetches by default. */
  public static final long DEFAULT_MAX_BUNDLE_BYTES = 64L << 20;

  /** What a bundle may unpack to, as a multiple of the bundle bound (JSON vocabularies compress well). */
  public static final int UNPACKED_FACTOR = 4;

  private final ServableSpec servable;
  private final ScorerFactory factory;
  private final PublicKey publicKey;
  private final BundleUriPolicy uriPolicy;
  private final long maxBundleBytes;

  private ReleaseVerifier(Builder b) {
    this.servable = b.servable;
    this.factory = b.factory;
    this.publicKey = b.publicKey;
    this.uriPolicy = b.uriPolicy;
    this.maxBundleBytes = b.maxBundleBytes;
  }

  public static Builder builder() {
    return new Builder();
  }

  public ScorerFactory factory() {
    return factory;
  }

  public BundleUriPolicy uriPolicy() {
    return uriPolicy;
  }

  public long maxBundleBytes() {
    return maxBundleBytes;
  }

  /** Bound on what a bundle unpacks to: {@link #UNPACKED_FACTOR} times {@link #maxBundleBytes()}. */
  public long maxUnpackedBytes() {
    return maxBundleBytes > Long.MAX_VALUE / UNPACKED_FACTOR ? Long.MAX_VALUE : maxBundleBytes * UNPACKED_FACTOR;
  }

  /** Whether signatures are required (a public key is configured). */
  public boolean requiresSignature() {
    return publicKey != null;
  }

  /**
   * The bundle bytes of a release: the inline base64 {@code bundle}, or what {@code bundleUri}
   * points at, within the policy and the size bound.
   *
   * @throws ReleaseRejectedException {@link Rejection#TOO_LARGE}, {@link Rejection#DISALLOWED},
   *     {@link Rejection#FETCH} or {@link Rejection#CORRUPT} (not base64)
   */
  public byte[] bundleBytes(String inlineBase64, String bundleUri) throws ReleaseRejectedException {
    if (inlineBase64 != null) {
      // 4 base64 characters carry 3 bytes: refuse before decoding what would not fit.
      long decoded = inlineBase64.length() / 4L * 3L;
      if (decoded - 2 > maxBundleBytes) {
        throw new ReleaseRejectedException(Rejection.TOO_LARGE, "inline bundle is about " + decoded
            + " bytes, over the limit of " + maxBundleBytes + " bytes (release.max.bundle.bytes)");
      }
      byte[] bytes;
      try {
        bytes = Base64.getDecoder().decode(inlineBase64);
      } catch (IllegalArgumentException e) {
        throw new ReleaseRejectedException(Rejection.CORRUPT, "inline bundle is not valid base64: " + e.getMessage(), e);
      }
      if (bytes.length > maxBundleBytes) {
        throw new ReleaseRejectedException(Rejection.TOO_LARGE, "inline bundle is " + bytes.length
            + " bytes, over the limit of " + maxBundleBytes + " bytes (release.max.bundle.bytes)");
      }
      return bytes;
    }
    if (bundleUri == null) {
      throw new ReleaseRejectedException(Rejection.INVALID, "release has neither bundle nor bundleUri");
    }
    return uriPolicy.fetch(bundleUri, maxBundleBytes);
  }

  /**
   * Runs every check on {@code bytes}, the bundle of a release that claims {@code claims}.
   *
   * @return the verified bundle (loaded and probed once)
   * @throws ReleaseRejectedException naming the first check it fails
   */
  public ModelBundle verify(ReleaseClaims claims, byte[] bytes) throws ReleaseRejectedException {
    if (bytes.length > maxBundleBytes) {
      throw new ReleaseRejectedException(Rejection.TOO_LARGE, "bundle is " + bytes.length
          + " bytes, over the limit of " + maxBundleBytes + " bytes (release.max.bundle.bytes)");
    }
    String actual = sha256Hex(bytes);
    if (!actual.equals(claims.sha256())) {
      throw new ReleaseRejectedException(Rejection.CHECKSUM, "bundle bytes hash to " + actual
          + " but the release says " + claims.sha256() + " (" + bytes.length + " bytes)");
    }
    if (publicKey != null) {
      // before the bundle is parsed: an unsigned bundle is not even unpacked
      ReleaseSignature.verify(claims, publicKey);
    }
    ModelBundle bundle;
    try {
      bundle = ModelBundle.fromBytes(bytes, maxUnpackedBytes());
    } catch (BundleException e) {
      Rejection reason = e.getMessage() != null && e.getMessage().contains("unpacks to more than")
          ? Rejection.TOO_LARGE : Rejection.CORRUPT;
      throw new ReleaseRejectedException(reason, e.getMessage(), e);
    }
    if (!bundle.version().equals(claims.version()) || !bundle.manifest().modelName().equals(claims.modelName())) {
      throw new ReleaseRejectedException(Rejection.INVALID, "release says " + claims.modelName() + " "
          + claims.version() + " but its bundle is " + bundle.manifest().modelName() + " " + bundle.version());
    }
    if (!bundle.manifest().featureSpecHash().equals(claims.featureSpecHash())) {
      throw new ReleaseRejectedException(Rejection.SPEC, "release says feature spec "
          + claims.featureSpecHash() + " but its bundle expects " + bundle.manifest().featureSpecHash());
    }
    List<String> unservable = servable.problems(bundle.featureSpec());
    if (!unservable.isEmpty()) {
      throw new ReleaseRejectedException(Rejection.SPEC, "this scorer cannot produce the bundle's features: "
          + String.join("; ", unservable));
    }
    if (servable.historyShorterThan(bundle.featureSpec())) {
      LOG.warn("model {} reads histories of {} but this scorer keeps {} per user (history.length)",
          claims.version(), bundle.featureSpec().historyLength(), servable.historyLength());
    }
    probe(bundle);
    return bundle;
  }

  private void probe(ModelBundle bundle) throws ReleaseRejectedException {
    List<FeatureRow> rows = probeRows(bundle);
    BatchScorer scorer;
    try {
      scorer = factory.newScorer(bundle);
    } catch (BundleException e) {
      throw new ReleaseRejectedException(Rejection.PROBE, e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new ReleaseRejectedException(Rejection.PROBE, "model " + bundle.version() + " does not load: " + e, e);
    }
    try (scorer) {
      float[] scores;
      try {
        scores = scorer.score(rows);
      } catch (RuntimeException e) {
        throw new ReleaseRejectedException(Rejection.PROBE, "model " + bundle.version()
            + " fails on the probe batch: " + e, e);
      }
      if (scores == null || scores.length != rows.size()) {
        throw new ReleaseRejectedException(Rejection.PROBE, "model " + bundle.version() + " returned "
            + (scores == null ? "null" : scores.length) + " scores for a probe batch of " + rows.size());
      }
      for (int i = 0; i < scores.length; i++) {
        if (!(Float.isFinite(scores[i]) && scores[i] >= 0f && scores[i] <= 1f)) {
          throw new ReleaseRejectedException(Rejection.PROBE, String.format(Locale.ROOT,
              "model %s scores probe row %d (%s) to %s; a probability in [0, 1] is required",
              bundle.version(), i, rows.get(i).userId(), scores[i]));
        }
      }
    }
  }

  /** A cold user with an unknown movie, a user with the model's own movies, one with unknown movies. */
  public static List<FeatureRow> probeRows(ModelBundle bundle) {
    int t = Math.max(1, bundle.featureSpec().historyLength());
    List<String> known = bundle.encoder().vocabulary(FeatureEncoder.HISTORY).terms();
    List<String> history = new ArrayList<>(known.subList(0, Math.min(known.size(), t)));
    List<String> negatives = new ArrayList<>();
    List<String> unknownHistory = new ArrayList<>();
    List<String> unknownNegatives = new ArrayList<>();
    for (int i = 0; i < history.size(); i++) {
      negatives.add(history.get(history.size() - 1 - i));
    }
    for (int i = 0; i < t; i++) {
      unknownHistory.add("probe-unknown-movie-" + i);
      unknownNegatives.add("probe-unknown-negative-" + i);
    }
    String candidate = known.isEmpty() ? "probe-unknown-movie" : known.get(0);
    return List.of(
        new FeatureRow("probe-cold", null, null, null, null, "probe-unknown-movie", List.of(), List.of(), List.of()),
        new FeatureRow("probe-warm", 35.0, "F", "writer", "12345", candidate, List.of("Drama", "Comedy"),
            history, negatives),
        new FeatureRow("probe-unknown", 200.0, "?", "?", "?", "probe-unknown-movie",
            List.of("probe-unknown-genre"), unknownHistory, unknownNegatives));
  }

  /** Lower-case hex SHA-256. */
  public static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** Builder: {@code setX} required, {@code optX} optional. */
  public static final class Builder {
    private ServableSpec servable;
    private ScorerFactory factory = ScorerFactory.DIEN;
    private PublicKey publicKey;
    private BundleUriPolicy uriPolicy = BundleUriPolicy.none();
    private long maxBundleBytes = DEFAULT_MAX_BUNDLE_BYTES;

    private Builder() {}

    /** The feature layouts the scorer produces. */
    public Builder setServable(ServableSpec servable) {
      this.servable = servable;
      return this;
    }

    /** How scorers are made on a bundle; default {@link ScorerFactory#DIEN}. */
    public Builder optScorerFactory(ScorerFactory factory) {
      this.factory = factory;
      return this;
    }

    /** Requires releases signed by this Ed25519 key; default none (signatures not checked). */
    public Builder optPublicKey(PublicKey publicKey) {
      this.publicKey = publicKey;
      return this;
    }

    /** Where a {@code bundleUri} may point; default {@link BundleUriPolicy#none()}. */
    public Builder optUriPolicy(BundleUriPolicy uriPolicy) {
      this.uriPolicy = uriPolicy;
      return this;
    }

    /** Largest bundle, inline or fetched; default {@link #DEFAULT_MAX_BUNDLE_BYTES}. */
    public Builder optMaxBundleBytes(long maxBundleBytes) {
      this.maxBundleBytes = maxBundleBytes;
      return this;
    }

    public ReleaseVerifier build() {
      if (servable == null) {
        throw new IllegalStateException("servable not set: call setServable(new ServableSpec(historyLength))");
      }
      Objects.requireNonNull(factory, "factory must not be null; use ScorerFactory.DIEN");
      Objects.requireNonNull(uriPolicy, "uriPolicy must not be null; use BundleUriPolicy.none()");
      if (maxBundleBytes < 1024) {
        throw new IllegalStateException("maxBundleBytes must be >= 1024, got " + maxBundleBytes);
      }
      if (publicKey != null && !ReleaseSignature.ALGORITHM.equalsIgnoreCase(publicKey.getAlgorithm())
          && !"EdDSA".equalsIgnoreCase(publicKey.getAlgorithm())) {
        throw new IllegalStateException("publicKey must be an Ed25519 key, got " + publicKey.getAlgorithm());
      }
      return new ReleaseVerifier(this);
    }
  }
}
