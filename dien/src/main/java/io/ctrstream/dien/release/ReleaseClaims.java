package io.ctrstream.dien.release;

/**
 * What a release record says about its bundle, as plain values (the {@code model-releases}
 * record's fields; {@code dien} does not see the Kafka-side record type).
 *
 * @param modelName the model's name (the record key)
 * @param version the release's version
 * @param createdAt epoch ms of the release
 * @param sha256 lower-case hex SHA-256 of the bundle bytes
 * @param featureSpecHash the feature-spec hash the bundle was trained with
 * @param signature base64 Ed25519 signature over {@link ReleaseSignature#canonicalBytes}; null
 *     when unsigned
 * @param signatureAlgorithm {@code Ed25519} when signed; null when unsigned
 * @param keyId id of the signing key ({@link ReleaseSignature#keyId}); null when unknown
 */
public record ReleaseClaims(
    String modelName,
    String version,
    long createdAt,
    String sha256,
    String featureSpecHash,
    String signature,
    String signatureAlgorithm,
    String keyId) {

  /** The same claims, unsigned. */
  public static ReleaseClaims unsigned(
      String modelName, String version, long createdAt, String sha256, String featureSpecHash) {
    return new ReleaseClaims(modelName, version, createdAt, sha256, featureSpecHash, null, null, null);
  }

  /** These claims with a signature. */
  public ReleaseClaims withSignature(String signature, String signatureAlgorithm, String keyId) {
    return new ReleaseClaims(
        modelName, version, createdAt, sha256, featureSpecHash, signature, signatureAlgorithm, keyId);
  }
}
