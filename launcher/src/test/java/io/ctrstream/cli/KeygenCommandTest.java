package io.ctrstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstream.dien.release.ReleaseClaims;
import io.ctrstream.dien.release.ReleaseSignature;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves {@code ./ctr keygen}: it writes a key pair whose private key signs what its public key
 * verifies, prints their paths and the key id, refuses to overwrite an existing key (exit 1); and
 * that {@code ./ctr train} refuses a signing key that is not a key, or that does not match the
 * public key, with exit 2 before touching Kafka.
 */
class KeygenCommandTest {
  @TempDir Path dir;

  private static int run(StringWriter out, StringWriter err, String... args) {
    var cli = Ctr.commandLine();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    return cli.execute(args);
  }

  @Test
  void writesAMatchingKeyPairAndNeverOverwritesIt() throws Exception {
    StringWriter out = new StringWriter();
    assertThat(run(out, new StringWriter(), "keygen", "--out", dir.toString())).isZero();
    PrivateKey priv = ReleaseSignature.readPrivateKey(dir.resolve(ReleaseSignature.PRIVATE_KEY_FILE));
    PublicKey pub = ReleaseSignature.readPublicKey(dir.resolve(ReleaseSignature.PUBLIC_KEY_FILE));
    assertThat(out.toString()).contains("\"key_id\":\"" + ReleaseSignature.keyId(pub) + "\"")
        .contains(ReleaseSignature.PRIVATE_KEY_FILE).contains(ReleaseSignature.PUBLIC_KEY_FILE);
    ReleaseClaims c = ReleaseClaims.unsigned("dien", "v1", 1L, "0".repeat(64), "spec");
    ReleaseSignature.verify(c.withSignature(ReleaseSignature.sign(c, priv), "Ed25519", null), pub);

    StringWriter err = new StringWriter();
    assertThat(run(new StringWriter(), err, "keygen", "--out", dir.toString())).isEqualTo(1);
    assertThat(err.toString()).contains("already exists");
    assertThat(ReleaseSignature.readPublicKey(dir.resolve(ReleaseSignature.PUBLIC_KEY_FILE))).isEqualTo(pub);
  }

  @Test
  void trainRefusesAKeyThatIsNotOneOrDoesNotMatch() {
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    assertThat(run(new StringWriter(), new StringWriter(), "keygen", "--out", a.toString())).isZero();
    assertThat(run(new StringWriter(), new StringWriter(), "keygen", "--out", b.toString())).isZero();

    StringWriter notAKey = new StringWriter();
    assertThat(run(new StringWriter(), notAKey, "train", "--once", "--bootstrap-servers", "localhost:1",
        "--signing-key", a.resolve(ReleaseSignature.PUBLIC_KEY_FILE).toString())).isEqualTo(2);
    assertThat(notAKey.toString()).contains("not a \"PRIVATE KEY\" block");

    StringWriter mismatch = new StringWriter();
    assertThat(run(new StringWriter(), mismatch, "train", "--once", "--bootstrap-servers", "localhost:1",
        "--signing-key", a.resolve(ReleaseSignature.PRIVATE_KEY_FILE).toString(),
        "--release-public-key", b.resolve(ReleaseSignature.PUBLIC_KEY_FILE).toString())).isEqualTo(2);
    assertThat(mismatch.toString()).contains("does not belong to the release public key");
  }
}
