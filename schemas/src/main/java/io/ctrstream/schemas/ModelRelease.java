package io.ctrstream.schemas;

import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Value of the compacted {@code model-releases} topic, key modelName (schema {@code
 * schemas/model-releases.schema.json}): one released model. The bundle travels inline as base64
 * ({@code bundle}) or, when too large for a record, by {@code bundleUri}; exactly one is given.
 * Whoever loads it checks {@code sha256} against the bundle bytes and {@code featureSpecHash}
 * against its own feature specification.
 *
 * @param parentVersion the version it was trained from or evaluated against; null for the first
 * @param createdAt epoch ms of the release
 * @param sha256 lower-case hex SHA-256 of the bundle bytes
 * @param metrics evaluation metrics by name (auc, logloss, ...)
 */
public record ModelRelease(
    String modelName,
    String version,
    String parentVersion,
    Long createdAt,
    String sha256,
    String featureSpecHash,
    Map<String, Double> metrics,
    String bundle,
    String bundleUri)
    implements WireValue {

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]*={0,2}");

  public ModelRelease {
    metrics = metrics == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
  }

  /** The inline bundle bytes; only for a release with {@code bundle}. */
  public byte[] bundleBytes() {
    if (bundle == null) {
      throw new IllegalStateException("release " + version + " has no inline bundle; fetch " + bundleUri);
    }
    return Base64.getDecoder().decode(bundle);
  }

  @Override
  public List<String> validate() {
    Checks c =
        new Checks()
            .id("modelName", modelName)
            .id("version", version)
            .rule(!Score.PRIOR_VERSION.equals(version), "version must not be \"prior\": it is reserved for the prior scorer")
            .optionalId("parentVersion", parentVersion)
            .epochMillis("createdAt", createdAt)
            .present("sha256", sha256)
            .rule(sha256 == null || SHA256.matcher(sha256).matches(), "sha256 must be 64 lower-case hex digits")
            .present("featureSpecHash", featureSpecHash)
            .rule(featureSpecHash == null || (!featureSpecHash.isEmpty() && featureSpecHash.length() <= 128),
                "featureSpecHash must be 1 to 128 characters")
            .present("metrics", metrics)
            .rule((bundle == null) != (bundleUri == null), "exactly one of bundle and bundleUri must be given")
            .rule(bundle == null || BASE64.matcher(bundle).matches(), "bundle must be base64")
            .rule(bundleUri == null || (!bundleUri.isEmpty() && bundleUri.length() <= 2048),
                "bundleUri must be 1 to 2048 characters");
    if (metrics != null) {
      metrics.forEach((name, value) -> c.rule(value != null, "metrics." + name + " must be a number"));
    }
    return c.done();
  }
}
