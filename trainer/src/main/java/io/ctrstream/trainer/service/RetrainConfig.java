package io.ctrstream.trainer.service;

import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.release.BundleUriPolicy;
import io.ctrstream.dien.release.ReleaseVerifier;
import io.ctrstream.dien.model.DienConfig;
import io.ctrstream.dien.train.TrainOptions;
import io.ctrstream.schemas.Topics;
import io.ctrstream.trainer.experiment.Preset;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.function.UnaryOperator;

/**
 * Everything one retraining run needs, immutable and validated in {@link Builder#build()}.
 *
 * @param bootstrapServers Kafka {@code bootstrap.servers}
 * @param topics the topic registry (prefix included); feedback is read, model-releases written
 * @param clientProperties extra client settings for every client (security, timeouts, ...)
 * @param modelName the model's name: the key of its records on model-releases
 * @param windowRecords train on the last K feedback records, or null when {@code windowDuration}
 * @param windowDuration train on the last D of event time, or null when {@code windowRecords}
 * @param maxWindowRecords cap on a duration window (the newest records are kept)
 * @param validationFraction share of the window, the most recent, that validates
 * @param minExamples fewer usable examples than this in the window: no training, no release
 * @param tolerance a candidate whose validation AUC is lower than the live model's by more than
 *     this is not released
 * @param maxReleaseBytes largest release record: the producer's max.request.size and the
 *     max.message.bytes model-releases is created with
 * @param createReleaseTopic create model-releases (compacted, max.message.bytes as above) when
 *     missing
 * @param reportsDir each run writes its report into {@code reportsDir/<run-id>/}
 * @param model network settings (the preset's)
 * @param encoderOptions vocabulary and sequence settings (the preset's)
 * @param trainOptions optimiser settings (the preset's, epochs possibly overridden)
 * @param onlineAucBuckets time buckets of the online-AUC chart
 * @param timeout how long to wait for Kafka on each read or write
 * @param calibrate whether candidates are Platt-scaled on the validation slice (the served score
 *     is then the calibrated probability)
 * @param fullRetrainEvery every this many runs one trains from scratch; the others start from the
 *     live model's weights (warm start); 1 always trains from scratch
 * @param logLossTolerance a candidate whose validation log loss is higher than the live model's
 *     by more than this is not released either
 * @param signingKey Ed25519 private key file (PKCS#8, PEM or DER) every release is signed with;
 *     null: releases are unsigned
 * @param releasePublicKey Ed25519 public key file (X.509, PEM or DER): the live model must be
 *     signed by it, as scorers configured with it require; its id goes into signed releases
 *     ({@code keyId}); null: signatures are not checked
 * @param releaseUriAllowed where a live release's {@code bundleUri} may point (as the scorers'
 *     {@code release.uri.allowed}); empty: inline bundles only
 * @param releaseMaxBundleBytes largest live bundle accepted (as the scorers' {@code
 *     release.max.bundle.bytes})
 */
public record RetrainConfig(
    String bootstrapServers,
    Topics topics,
    Map<String, Object> clientProperties,
    String modelName,
    Integer windowRecords,
    Duration windowDuration,
    int maxWindowRecords,
    double validationFraction,
    int minExamples,
    double tolerance,
    int maxReleaseBytes,
    boolean createReleaseTopic,
    Path reportsDir,
    UnaryOperator<DienConfig.Builder> model,
    FeatureEncoder.Options encoderOptions,
    TrainOptions trainOptions,
    int onlineAucBuckets,
    Duration timeout,
    boolean calibrate,
    int fullRetrainEvery,
    double logLossTolerance,
    Path signingKey,
    Path releasePublicKey,
    String releaseUriAllowed,
    long releaseMaxBundleBytes) {

  /** Default window: the last 100,000 feedback records. */
  public static final int DEFAULT_WINDOW_RECORDS = 100_000;

  /** Default release limit, 8 MiB: above Kafka's 1 MB default, so it must be set on both sides. */
  public static final int DEFAULT_MAX_RELEASE_BYTES = 8 * 1024 * 1024;

  public RetrainConfig {
    clientProperties = Map.copyOf(clientProperties);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The window in words, for logs and reports. */
  public String windowDescription() {
    return windowRecords != null
        ? "last " + windowRecords + " records"
        : "last " + windowDuration + " of event time";
  }

  /** The transactional id of the release producer: one per deployment and model. */
  public String transactionalId() {
    return topics.prefix() + "ctr-trainer-" + modelName;
  }

  /** Client settings: bootstrap servers plus {@link #clientProperties()}. */
  public Map<String, Object> clientConfig() {
    Map<String, Object> m = new LinkedHashMap<>(clientProperties);
    m.put("bootstrap.servers", bootstrapServers);
    return m;
  }

  /** {@code setX} required, {@code optX} optional. */
  public static final class Builder {
    private String bootstrapServers;
    private Topics topics = Topics.defaults();
    private Map<String, Object> clientProperties = Map.of();
    private String modelName = "dien";
    private Integer windowRecords;
    private Duration windowDuration;
    private int maxWindowRecords = 1_000_000;
    private double validationFraction = 0.2;
    private int minExamples = 200;
    private double tolerance = 0.005;
    private int maxReleaseBytes = DEFAULT_MAX_RELEASE_BYTES;
    private boolean createReleaseTopic = true;
    private Path reportsDir = Path.of("reports");
    private Preset preset = Preset.REFERENCE;
    private Integer maxEpochs;
    private Integer patience;
    private TrainOptions trainOptions;
    private UnaryOperator<DienConfig.Builder> model;
    private FeatureEncoder.Options encoderOptions;
    private boolean historyAffinity = true;
    private int onlineAucBuckets = 12;
    private Duration timeout = Duration.ofSeconds(30);
    private boolean wide = true;
    private boolean calibrate = true;
    private int fullRetrainEvery = 4;
    private double logLossTolerance = 0.01;
    private Path signingKey;
    private Path releasePublicKey;
    private String releaseUriAllowed = "";
    private long releaseMaxBundleBytes = ReleaseVerifier.DEFAULT_MAX_BUNDLE_BYTES;

    private Builder() {}

    /**
     * Whether models get the wide part: the served counters (movie, user, the user's genres) as
     * logits entering the final logit linearly beside DIEN's; default true. Ignored with {@link
     * #optEncoderOptions}.
     */
    public Builder optWide(boolean wide) {
      this.wide = wide;
      return this;
    }

    /** Whether candidates are Platt-scaled on their validation slice; default true. */
    public Builder optCalibrate(boolean calibrate) {
      this.calibrate = calibrate;
      return this;
    }

    /**
     * Every this many runs, one trains from scratch; the others warm-start from the live model.
     * Default 4; 1 always trains from scratch.
     */
    public Builder optFullRetrainEvery(int runs) {
      this.fullRetrainEvery = runs;
      return this;
    }

    /** Log loss a candidate may lose against the live model and still be released; default 0.01. */
    public Builder optLogLossTolerance(double tolerance) {
      this.logLossTolerance = tolerance;
      return this;
    }

    public Builder setBootstrapServers(String bootstrapServers) {
      this.bootstrapServers = bootstrapServers;
      return this;
    }

    /** Topic registry; default no prefix. */
    public Builder optTopics(Topics topics) {
      this.topics = topics;
      return this;
    }

    /** Extra Kafka client settings ({@code --command-config}). */
    public Builder optClientProperties(Map<String, ?> clientProperties) {
      this.clientProperties = Map.copyOf(clientProperties);
      return this;
    }

    /** Model name, the release key; default {@code dien}. */
    public Builder optModelName(String modelName) {
      this.modelName = modelName;
      return this;
    }

    /** Window of the last K records (the default, K = 100,000); clears a duration window. */
    public Builder optWindowRecords(int records) {
      this.windowRecords = records;
      this.windowDuration = null;
      return this;
    }

    /** Window of the last D of event time; clears a record window. */
    public Builder optWindowDuration(Duration duration) {
      this.windowDuration = duration;
      this.windowRecords = null;
      return this;
    }

    /** Cap on a duration window; default 1,000,000. */
    public Builder optMaxWindowRecords(int records) {
      this.maxWindowRecords = records;
      return this;
    }

    /** Most recent share that validates; default 0.2. */
    public Builder optValidationFraction(double fraction) {
      this.validationFraction = fraction;
      return this;
    }

    /** Minimum usable examples in the window; default 200. */
    public Builder optMinExamples(int minExamples) {
      this.minExamples = minExamples;
      return this;
    }

    /** AUC the candidate may lose against the live model and still be released; default 0.005. */
    public Builder optTolerance(double tolerance) {
      this.tolerance = tolerance;
      return this;
    }

    /** Largest release record in bytes; default 8 MiB. */
    public Builder optMaxReleaseBytes(int bytes) {
      this.maxReleaseBytes = bytes;
      return this;
    }

    /** Whether to create a missing model-releases topic; default true. */
    public Builder optCreateReleaseTopic(boolean create) {
      this.createReleaseTopic = create;
      return this;
    }

    /** Folder of the per-run reports; default {@code reports}. */
    public Builder optReportsDir(Path dir) {
      this.reportsDir = dir;
      return this;
    }

    /** Starting setup for network, encoder and optimiser; default reference. */
    public Builder optPreset(Preset preset) {
      this.preset = preset;
      return this;
    }

    /** Most epochs, over the preset's. */
    public Builder optMaxEpochs(int maxEpochs) {
      this.maxEpochs = maxEpochs;
      return this;
    }

    /** Early-stopping patience, over the preset's. */
    public Builder optPatience(int patience) {
      this.patience = patience;
      return this;
    }

    /** Optimiser settings replacing the preset's entirely (max epochs and patience still apply). */
    public Builder optTrainOptions(TrainOptions options) {
      this.trainOptions = options;
      return this;
    }

    /** Network settings replacing the preset's. */
    public Builder optModel(UnaryOperator<DienConfig.Builder> model) {
      this.model = model;
      return this;
    }

    /** Encoder settings replacing the preset's. */
    public Builder optEncoderOptions(FeatureEncoder.Options options) {
      this.encoderOptions = options;
      return this;
    }

    /**
     * Whether models get the history's genre affinity as a feature ({@link
     * FeatureEncoder#HISTORY_GENRE_AFFINITY}); default true. Ignored with {@link
     * #optEncoderOptions}.
     */
    public Builder optHistoryAffinity(boolean historyAffinity) {
      this.historyAffinity = historyAffinity;
      return this;
    }

    /** Time buckets of the online-AUC chart; default 12. */
    public Builder optOnlineAucBuckets(int buckets) {
      this.onlineAucBuckets = buckets;
      return this;
    }

    /** Kafka wait per read or write; default 30 s. */
    public Builder optTimeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    /** Signs every release with this Ed25519 private key file (PKCS#8, PEM or DER); default unsigned. */
    public Builder optSigningKey(Path signingKey) {
      this.signingKey = signingKey;
      return this;
    }

    /**
     * The public key scorers verify releases with (X.509, PEM or DER): the live model must be
     * signed by it, and signed releases name it; default none.
     */
    public Builder optReleasePublicKey(Path releasePublicKey) {
      this.releasePublicKey = releasePublicKey;
      return this;
    }

    /** Where a live release's bundleUri may point (comma-separated prefixes); default none. */
    public Builder optReleaseUriAllowed(String releaseUriAllowed) {
      this.releaseUriAllowed = releaseUriAllowed;
      return this;
    }

    /** Largest live bundle accepted; default 64 MiB, as the scorers'. */
    public Builder optReleaseMaxBundleBytes(long bytes) {
      this.releaseMaxBundleBytes = bytes;
      return this;
    }

    public RetrainConfig build() {
      if (bootstrapServers == null || bootstrapServers.isBlank()) {
        throw new IllegalArgumentException(
            "bootstrapServers not set: call setBootstrapServers(\"localhost:9092\")");
      }
      Objects.requireNonNull(topics, "topics must not be null");
      Objects.requireNonNull(preset, "preset must not be null: reference or best");
      if (modelName == null || modelName.isBlank()) {
        throw new IllegalArgumentException("modelName must not be blank");
      }
      if (windowRecords == null && windowDuration == null) {
        windowRecords = DEFAULT_WINDOW_RECORDS;
      }
      if (windowRecords != null && windowRecords < 2) {
        throw new IllegalArgumentException("windowRecords must be >= 2, got " + windowRecords);
      }
      if (windowDuration != null && (windowDuration.isNegative() || windowDuration.isZero())) {
        throw new IllegalArgumentException("windowDuration must be > 0, got " + windowDuration);
      }
      if (maxWindowRecords < 2) {
        throw new IllegalArgumentException(
            "maxWindowRecords must be >= 2, got " + maxWindowRecords);
      }
      if (!(validationFraction > 0 && validationFraction < 1)) {
        throw new IllegalArgumentException(
            "validationFraction must be in (0, 1), got " + validationFraction + "; e.g. 0.2");
      }
      if (minExamples < 4) {
        throw new IllegalArgumentException(
            "minExamples must be >= 4 (two classes on each side of the split), got " + minExamples);
      }
      if (!(tolerance >= 0 && tolerance <= 1)) {
        throw new IllegalArgumentException(
            "tolerance must be an AUC difference in [0, 1], got " + tolerance);
      }
      if (maxReleaseBytes < 1024) {
        throw new IllegalArgumentException(
            "maxReleaseBytes must be >= 1024, got " + maxReleaseBytes + "; default 8 MiB");
      }
      Objects.requireNonNull(reportsDir, "reportsDir must not be null");
      if (onlineAucBuckets < 1) {
        throw new IllegalArgumentException(
            "onlineAucBuckets must be >= 1, got " + onlineAucBuckets);
      }
      if (fullRetrainEvery < 1) {
        throw new IllegalArgumentException(
            "fullRetrainEvery must be >= 1 (1: every run from scratch), got " + fullRetrainEvery);
      }
      if (!(logLossTolerance >= 0) || Double.isInfinite(logLossTolerance)) {
        throw new IllegalArgumentException(
            "logLossTolerance must be a finite number >= 0, got " + logLossTolerance);
      }
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be > 0, got " + timeout);
      }
      for (Path key : new Path[] {signingKey, releasePublicKey}) {
        if (key != null && !Files.isReadable(key)) {
          throw new IllegalArgumentException("key file " + key + " is not a readable file");
        }
      }
      if (releaseUriAllowed == null) {
        releaseUriAllowed = "";
      }
      BundleUriPolicy.parse(releaseUriAllowed); // throws naming a bad entry
      if (releaseMaxBundleBytes < 1024) {
        throw new IllegalArgumentException(
            "releaseMaxBundleBytes must be >= 1024, got " + releaseMaxBundleBytes);
      }
      Preset p = preset;
      TrainOptions.Builder t =
          (trainOptions != null ? trainOptions.toBuilder() : p.training(TrainOptions.builder()));
      if (maxEpochs != null) {
        t.optMaxEpochs(maxEpochs);
      }
      if (patience != null) {
        t.optPatience(patience);
      }
      UnaryOperator<DienConfig.Builder> m = model != null ? model : p::model;
      FeatureEncoder.Options e =
          encoderOptions != null
              ? encoderOptions
              // The scorer serves the user's rating counts and logs them, the labels give each
              // movie's rate, and the rows give each movie's genres: the service uses all three.
              : p.encoder(FeatureEncoder.Options.builder()
                      .optUserStats(true)
                      .optItemStats(true)
                      .optHistoryAffinity(historyAffinity)
                      .optWide(wide))
                  .build();
      return new RetrainConfig(
          bootstrapServers,
          topics,
          clientProperties,
          modelName,
          windowRecords,
          windowDuration,
          maxWindowRecords,
          validationFraction,
          minExamples,
          tolerance,
          maxReleaseBytes,
          createReleaseTopic,
          reportsDir,
          m,
          e,
          t.build(),
          onlineAucBuckets,
          timeout,
          calibrate,
          fullRetrainEvery,
          logLossTolerance,
          signingKey,
          releasePublicKey,
          releaseUriAllowed,
          releaseMaxBundleBytes);
    }
  }

  @Override
  public String toString() {
    return String.format(
        Locale.ROOT,
        "RetrainConfig{bootstrap=%s, prefix=\"%s\", model=%s, window=%s, validation=%.2f,"
            + " minExamples=%d, tolerance=%.4f, maxReleaseBytes=%d, reports=%s, signingKey=%s,"
            + " releasePublicKey=%s, releaseUriAllowed=\"%s\", releaseMaxBundleBytes=%d, %s}",
        bootstrapServers,
        topics.prefix(),
        modelName,
        windowDescription(),
        validationFraction,
        minExamples,
        tolerance,
        maxReleaseBytes,
        reportsDir,
        signingKey == null ? "none" : signingKey,
        releasePublicKey == null ? "none" : releasePublicKey,
        releaseUriAllowed,
        releaseMaxBundleBytes,
        trainOptions);
  }
}
