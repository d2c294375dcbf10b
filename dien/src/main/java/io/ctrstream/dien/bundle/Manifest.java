package io.ctrstream.dien.bundle;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What a bundle says about itself: identity, lineage, the feature layout it expects, what it was
 * trained on and how well it did, and the checksum of its payload. Stored as {@code
 * manifest.json}; checked on load.
 *
 * @param modelName the model's name (the key of its releases)
 * @param version this model's version; every score carries it
 * @param parentVersion the version this one was trained to replace, or {@code null} for a first
 * @param createdAt creation time, epoch milliseconds
 * @param featureSpecHash {@link io.ctrstream.dien.features.FeatureSpec#hash()} of the layout the
 *     weights expect
 * @param trainingWindow event-time range of the training rows, or {@code null} when unknown
 * @param sampleCount number of training rows
 * @param positiveRate share of positive labels among them, in [0, 1]
 * @param metrics evaluation metrics by name (e.g. {@code auc}, {@code logloss}); sorted by name
 * @param payloadSha256 lowercase hex SHA-256 of the payload as {@link ModelBundle} defines it
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
public record Manifest(
    String modelName,
    String version,
    String parentVersion,
    long createdAt,
    String featureSpecHash,
    TrainingWindow trainingWindow,
    long sampleCount,
    double positiveRate,
    Map<String, Double> metrics,
    String payloadSha256) {

  public Manifest {
    Objects.requireNonNull(modelName, "modelName must not be null");
    Objects.requireNonNull(version, "version must not be null");
    Objects.requireNonNull(featureSpecHash, "featureSpecHash must not be null");
    Objects.requireNonNull(payloadSha256, "payloadSha256 must not be null");
    if (modelName.isBlank()) {
      throw new IllegalArgumentException("modelName must not be blank");
    }
    if (version.isBlank()) {
      throw new IllegalArgumentException("version must not be blank");
    }
    if (sampleCount < 0) {
      throw new IllegalArgumentException("sampleCount must be >= 0, got " + sampleCount);
    }
    if (!(positiveRate >= 0 && positiveRate <= 1)) {
      throw new IllegalArgumentException("positiveRate must be in [0, 1], got " + positiveRate);
    }
    metrics = metrics == null ? Map.of() : Collections.unmodifiableMap(new TreeMap<>(metrics));
  }

  /**
   * Event-time range of the training rows, epoch milliseconds, inclusive.
   *
   * @param from the earliest training event
   * @param to the latest training event
   */
  public record TrainingWindow(long from, long to) {
    public TrainingWindow {
      if (to < from) {
        throw new IllegalArgumentException(
            "trainingWindow.to must be >= from, got from=" + from + " to=" + to);
      }
    }
  }
}
