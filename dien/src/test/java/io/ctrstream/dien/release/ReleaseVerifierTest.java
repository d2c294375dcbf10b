package io.ctrstream.dien.release;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstream.dien.bundle.BundleException;
import io.ctrstream.dien.bundle.ModelBundle;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.security.KeyPair;
import java.util.Base64;
import java.util.zip.ZipEntry;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Proves the shared release checks: a good bundle passes; an inline bundle over the bound is
 * refused before it is decoded; a bundle whose entries inflate beyond the unpacked bound (a zip
 * bomb of a few kilobytes) is refused while inflating, where the old reader buffered up to 1 GiB
 * per entry; with a public key configured, unsigned and foreign-signed releases are refused
 * before the bundle is unpacked, and a signed one passes.
 */
class ReleaseVerifierTest {
  private static ModelBundle bundle;
  private static final KeyPair KEY = ReleaseSignature.generate();

  @BeforeAll
  static void fixture() {
    bundle = ReleaseFixtures.bundle("v1", 1, 1_000L);
  }

  private static ReleaseVerifier.Builder verifier() {
    return ReleaseVerifier.builder().setServable(new ServableSpec(3));
  }

  private static Rejection refusal(ReleaseVerifier v, ReleaseClaims claims, byte[] bytes) {
    try {
      v.verify(claims, bytes);
      return null;
    } catch (ReleaseRejectedException e) {
      return e.reason();
    }
  }

  @Test
  void aGoodBundlePassesEveryCheck() throws Exception {
    ModelBundle loaded = verifier().build().verify(ReleaseFixtures.claims(bundle), bundle.toBytes());
    assertThat(loaded.version()).isEqualTo("v1");
    String inline = Base64.getEncoder().encodeToString(bundle.toBytes());
    assertThat(verifier().build().bundleBytes(inline, null)).containsExactly(bundle.toBytes());
  }

  @Test
  void anInlineBundleOverTheBoundIsRefusedBeforeDecoding() {
    String inline = Base64.getEncoder().encodeToString(new byte[10_000]);
    ReleaseVerifier v = verifier().optMaxBundleBytes(5_000).build();
    try {
      v.bundleBytes(inline, null);
      throw new AssertionError("accepted");
    } catch (ReleaseRejectedException e) {
      assertThat(e.reason()).isEqualTo(Rejection.TOO_LARGE);
      assertThat(e.getMessage()).contains("5000");
    }
    assertThat(refusal(v, ReleaseFixtures.claims(bundle), new byte[6_000])).isEqualTo(Rejection.TOO_LARGE);
  }

  @Test
  void aZipBombIsRefusedWhileInflating() throws Exception {
    // the real bundle's entries, with weights.params replaced by 8 MiB of zeros (about 8 KiB zipped)
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipInputStream in = new ZipInputStream(new ByteArrayInputStream(bundle.toBytes()));
        ZipOutputStream zip = new ZipOutputStream(out)) {
      ZipEntry e;
      while ((e = in.getNextEntry()) != null) {
        zip.putNextEntry(new ZipEntry(e.getName()));
        zip.write(e.getName().equals("weights.params") ? new byte[8 << 20] : in.readAllBytes());
        zip.closeEntry();
      }
    }
    byte[] bomb = out.toByteArray();
    assertThat(bomb.length).isLessThan(64 * 1024);
    ReleaseVerifier v = verifier().optMaxBundleBytes(64 * 1024).build();
    ReleaseClaims claims = ReleaseClaims.unsigned("dien", "v1", 1_000L, ReleaseVerifier.sha256Hex(bomb),
        bundle.manifest().featureSpecHash());
    assertThat(refusal(v, claims, bomb)).isEqualTo(Rejection.TOO_LARGE);
    try {
      ModelBundle.fromBytes(bomb, 1 << 20);
      throw new AssertionError("accepted");
    } catch (BundleException e) {
      assertThat(e.getMessage()).contains("unpacks to more than 1048576 bytes");
    }
  }

  @Test
  void withAKeyOnlySignedReleasesPass() throws Exception {
    ReleaseVerifier v = verifier().optPublicKey(KEY.getPublic()).build();
    assertThat(v.requiresSignature()).isTrue();
    ReleaseClaims claims = ReleaseFixtures.claims(bundle);
    assertThat(refusal(v, claims, bundle.toBytes())).isEqualTo(Rejection.UNSIGNED);
    KeyPair other = ReleaseSignature.generate();
    assertThat(refusal(v, claims.withSignature(ReleaseSignature.sign(claims, other.getPrivate()), "Ed25519", null),
        bundle.toBytes())).isEqualTo(Rejection.SIGNATURE);
    ReleaseClaims signed = claims.withSignature(ReleaseSignature.sign(claims, KEY.getPrivate()), "Ed25519",
        ReleaseSignature.keyId(KEY.getPublic()));
    assertThat(v.verify(signed, bundle.toBytes()).version()).isEqualTo("v1");
    // the checksum is checked first: a signed release with other bytes is a checksum failure
    assertThat(refusal(v, signed, ReleaseFixtures.bundle("v1", 2, 1_000L).toBytes())).isEqualTo(Rejection.CHECKSUM);
  }
}
