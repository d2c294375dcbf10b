package io.ctrstream.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonInclude;
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
 * <p>A release may be signed (Ed25519, by the trainer's private key): {@code signature} is the
 * base64 signature over the canonical bytes of model name, version, feature-spec hash, createdAt
 * and sha256 ({@code io.ctrstream.dien.release.ReleaseSignature}), {@code signatureAlgorithm} is
 * {@code Ed25519} and {@code keyId} names the key. A scorer configured with a public key refuses
 * an unsigned or badly signed release; without one, the fields are ignored.
 *
 * @param parentVersion the version it was trained from or evaluated against; null for the first
 * @param createdAt epoch ms of the release
 * @param sha256 lower-case hex SHA-256 of the bundle bytes
 * @param metrics evaluation metrics by name (auc, logloss, ...)
 * @param signature base64 Ed25519 signature; null when unsigned
 * @param signatureAlgorithm {@code Ed25519} when signed; null when unsigned
 * @param keyId id of the signing key (16 hex digits); null when unsigned or not given
 * @param pinned true while an operator pins this release ({@code ./ctr release pin}): the trainer
 *     trains and reports but does not replace it; absent (null) otherwise. Not covered by the
 *     signature; written only when set, so unpinned records read as before
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
    String bundleUri,
    String signature,
    String signatureAlgorithm,
    String keyId,
    @JsonInclude(JsonInclude.Include.NON_NULL) Boolean pinned)
    implements WireValue {

  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]*={0,2}");
  private static final Pattern KEY_ID = Pattern.compile("[0-9a-f]{16}");

  /** The algorithm of {@code signatureAlgorithm}. */
  public static final String ED25519 = "Ed25519";

  @JsonCreator
  public ModelRelease {
    metrics = metrics == null ? null : Collections.unmodifiableMap(new LinkedHashMap<>(metrics));
    pinned = Boolean.TRUE.equals(pinned) ? Boolean.TRUE : null; // false and absent mean the same
  }

  /** A release, not pinned. */
  public ModelRelease(
      String modelName,
      String version,
      String parentVersion,
      Long createdAt,
      String sha256,
      String featureSpecHash,
      Map<String, Double> metrics,
      String bundle,
      String bundleUri,
      String signature,
      String signatureAlgorithm,
      String keyId) {
    this(modelName, version, parentVersion, createdAt, sha256, featureSpecHash, metrics, bundle, bundleUri,
        signature, signatureAlgorithm, keyId, null);
  }

  /** An unsigned release. */
  public ModelRelease(
      String modelName,
      String version,
      String parentVersion,
      Long createdAt,
      String sha256,
      String featureSpecHash,
      Map<String, Double> metrics,
      String bundle,
      String bundleUri) {
    this(modelName, version, parentVersion, createdAt, sha256, featureSpecHash, metrics, bundle, bundleUri,
        null, null, null);
  }

  /** This release with a signature (replacing any). */
  public ModelRelease withSignature(String signature, String signatureAlgorithm, String keyId) {
    return new ModelRelease(modelName, version, parentVersion, createdAt, sha256, featureSpecHash, metrics,
        bundle, bundleUri, signature, signatureAlgorithm, keyId, pinned);
  }

  /** This release pinned (true) or not (false: the field is left out). */
  public ModelRelease withPinned(boolean pin) {
    return new ModelRelease(modelName, version, parentVersion, createdAt, sha256, featureSpecHash, metrics,
        bundle, bundleUri, signature, signatureAlgorithm, keyId, pin ? Boolean.TRUE : null);
  }

  /**
   * The same bundle released again at {@code createdAt} (a rollback or a re-publish), unsigned:
   * the signature covers createdAt, so it must be signed anew.
   */
  public ModelRelease republishedAt(long createdAt) {
    return new ModelRelease(modelName, version, parentVersion, createdAt, sha256, featureSpecHash, metrics,
        bundle, bundleUri, null, null, null, pinned);
  }

  /** This release without its inline bundle (for listings; not a valid record). */
  public ModelRelease withoutBundle() {
    return new ModelRelease(modelName, version, parentVersion, createdAt, sha256, featureSpecHash, metrics,
        null, bundleUri, signature, signatureAlgorithm, keyId, pinned);
  }

  /** Whether this release is pinned. */
  public boolean markedPinned() {
    return Boolean.TRUE.equals(pinned);
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
                "bundleUri must be 1 to 2048 characters")
            .rule(signature == null || (!signature.isEmpty() && signature.length() <= 256
                    && BASE64.matcher(signature).matches()), "signature must be 1 to 256 base64 characters")
            .rule((signature == null) == (signatureAlgorithm == null),
                "signature and signatureAlgorithm are given together or not at all")
            .rule(signatureAlgorithm == null || ED25519.equals(signatureAlgorithm),
                "signatureAlgorithm must be \"Ed25519\"")
            .rule(keyId == null || KEY_ID.matcher(keyId).matches(), "keyId must be 16 lower-case hex digits")
            .rule(keyId == null || signature != null, "keyId needs a signature");
    if (metrics != null) {
      metrics.forEach((name, value) -> c.rule(value != null, "metrics." + name + " must be a number"));
    }
    return c.done();
  }
}
