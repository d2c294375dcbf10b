package io.ctrstream.dien.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.PublicKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the release signature: a signature by the trusted key verifies; a release without one is
 * refused as unsigned; a change to any signed field, another key (named or not), another
 * algorithm or a garbled signature is refused; the framing keeps fields from bleeding into each
 * other; keys written by {@code writeKeyPair} read back (PEM), DER works too, a public key is not
 * read as a private one, and existing keys are never overwritten.
 */
class ReleaseSignatureTest {
  private static final KeyPair KEY = ReleaseSignature.generate();
  private static final KeyPair OTHER = ReleaseSignature.generate();
  private static final ReleaseClaims CLAIMS =
      ReleaseClaims.unsigned("dien", "v3", 1_764_409_200_000L, "ab".repeat(32), "spec-1");

  @TempDir Path dir;

  private static ReleaseClaims signed(ReleaseClaims c, KeyPair key) {
    return c.withSignature(ReleaseSignature.sign(c, key.getPrivate()), ReleaseSignature.ALGORITHM,
        ReleaseSignature.keyId(key.getPublic()));
  }

  private static Rejection refusal(ReleaseClaims c, PublicKey key) {
    try {
      ReleaseSignature.verify(c, key);
      return null;
    } catch (ReleaseRejectedException e) {
      return e.reason();
    }
  }

  @Test
  void aSignatureByTheTrustedKeyVerifies() throws Exception {
    ReleaseSignature.verify(signed(CLAIMS, KEY), KEY.getPublic());
    ReleaseClaims noKeyId = signed(CLAIMS, KEY).withSignature(signed(CLAIMS, KEY).signature(), "Ed25519", null);
    ReleaseSignature.verify(noKeyId, KEY.getPublic());
  }

  @Test
  void unsignedAlteredAndForeignReleasesAreRefused() {
    assertThat(refusal(CLAIMS, KEY.getPublic())).isEqualTo(Rejection.UNSIGNED);
    ReleaseClaims s = signed(CLAIMS, KEY);
    assertThat(refusal(new ReleaseClaims("other", "v3", s.createdAt(), s.sha256(), s.featureSpecHash(),
        s.signature(), s.signatureAlgorithm(), s.keyId()), KEY.getPublic())).isEqualTo(Rejection.SIGNATURE);
    assertThat(refusal(new ReleaseClaims("dien", "v4", s.createdAt(), s.sha256(), s.featureSpecHash(),
        s.signature(), s.signatureAlgorithm(), s.keyId()), KEY.getPublic())).isEqualTo(Rejection.SIGNATURE);
    assertThat(refusal(new ReleaseClaims("dien", "v3", s.createdAt() + 1, s.sha256(), s.featureSpecHash(),
        s.signature(), s.signatureAlgorithm(), s.keyId()), KEY.getPublic())).isEqualTo(Rejection.SIGNATURE);
    assertThat(refusal(new ReleaseClaims("dien", "v3", s.createdAt(), "cd".repeat(32), s.featureSpecHash(),
        s.signature(), s.signatureAlgorithm(), s.keyId()), KEY.getPublic())).isEqualTo(Rejection.SIGNATURE);
    assertThat(refusal(new ReleaseClaims("dien", "v3", s.createdAt(), s.sha256(), "spec-2",
        s.signature(), s.signatureAlgorithm(), s.keyId()), KEY.getPublic())).isEqualTo(Rejection.SIGNATURE);
    assertThat(refusal(signed(CLAIMS, OTHER), KEY.getPublic())).as("another key, named").isEqualTo(Rejection.SIGNATURE);
    ReleaseClaims unnamed = signed(CLAIMS, OTHER).withSignature(signed(CLAIMS, OTHER).signature(), "Ed25519", null);
    assertThat(refusal(unnamed, KEY.getPublic())).as("another key, unnamed").isEqualTo(Rejection.SIGNATURE);
    assertThat(refusal(s.withSignature(s.signature(), "RSA", s.keyId()), KEY.getPublic())).isEqualTo(Rejection.SIGNATURE);
    assertThat(refusal(s.withSignature("not base64!", "Ed25519", null), KEY.getPublic())).isEqualTo(Rejection.SIGNATURE);
    assertThat(refusal(s.withSignature("AAAA", "Ed25519", null), KEY.getPublic())).isEqualTo(Rejection.SIGNATURE);
  }

  @Test
  void fieldsAreFramedSoNoByteMovesBetweenThem() {
    ReleaseClaims ab = ReleaseClaims.unsigned("ab", "c", 1L, "ab".repeat(32), "s");
    ReleaseClaims a = ReleaseClaims.unsigned("a", "bc", 1L, "ab".repeat(32), "s");
    assertThat(ReleaseSignature.canonicalBytes(ab)).isNotEqualTo(ReleaseSignature.canonicalBytes(a));
    assertThat(refusal(a.withSignature(ReleaseSignature.sign(ab, KEY.getPrivate()), "Ed25519", null),
        KEY.getPublic())).isEqualTo(Rejection.SIGNATURE);
  }

  @Test
  void keysRoundTripAsPemAndDerAndAreNeverOverwritten() throws Exception {
    KeyPair pair = ReleaseSignature.generate();
    ReleaseSignature.writeKeyPair(pair, dir);
    Path priv = dir.resolve(ReleaseSignature.PRIVATE_KEY_FILE);
    Path pub = dir.resolve(ReleaseSignature.PUBLIC_KEY_FILE);
    assertThat(Files.readString(priv)).startsWith("-----BEGIN PRIVATE KEY-----");
    assertThat(Files.readString(pub)).startsWith("-----BEGIN PUBLIC KEY-----");
    ReleaseClaims s = CLAIMS.withSignature(
        ReleaseSignature.sign(CLAIMS, ReleaseSignature.readPrivateKey(priv)), "Ed25519", null);
    ReleaseSignature.verify(s, ReleaseSignature.readPublicKey(pub));
    assertThat(ReleaseSignature.keyId(ReleaseSignature.readPublicKey(pub))).isEqualTo(
        ReleaseSignature.keyId(pair.getPublic())).hasSize(16);

    Path der = dir.resolve("pub.der");
    Files.write(der, pair.getPublic().getEncoded());
    ReleaseSignature.verify(s, ReleaseSignature.readPublicKey(der));

    assertThatThrownBy(() -> ReleaseSignature.readPrivateKey(pub)).hasMessageContaining("not a \"PRIVATE KEY\" block");
    assertThatThrownBy(() -> ReleaseSignature.writeKeyPair(ReleaseSignature.generate(), dir))
        .hasMessageContaining("already exists");
    assertThat(ReleaseSignature.readPublicKey(pub)).isEqualTo(pair.getPublic());
  }
}
