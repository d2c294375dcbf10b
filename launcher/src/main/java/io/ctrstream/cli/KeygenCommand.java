package io.ctrstream.cli;

import io.ctrstream.dien.release.ReleaseSignature;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.security.KeyPair;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./ctr keygen}: writes an Ed25519 key pair for signed releases, the private key for the
 * trainer ({@code train --signing-key}) and the public key for the scorers ({@code
 * release.public.key}) and the trainer ({@code --release-public-key}). Prints one JSON line with
 * both paths and the key id.
 */
@Command(
    name = "keygen",
    mixinStandardHelpOptions = true,
    description = {
      "Write an Ed25519 key pair for signed model releases: "
          + ReleaseSignature.PRIVATE_KEY_FILE + " (PKCS#8 PEM, owner-only; for train --signing-key)"
          + " and " + ReleaseSignature.PUBLIC_KEY_FILE + " (X.509 PEM; for the scorers'"
          + " release.public.key and train --release-public-key).",
      "Never overwrites a key. One JSON line on stdout: the two paths and the key id."
    })
public final class KeygenCommand implements Callable<Integer> {

  @Option(names = "--out", required = true, paramLabel = "DIR", description = "Folder to write the two key files to.")
  Path out;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter stdout = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    KeyPair pair = ReleaseSignature.generate();
    try {
      ReleaseSignature.writeKeyPair(pair, out);
    } catch (IOException e) {
      err.println("ctr keygen: " + e.getMessage());
      return 1;
    }
    stdout.println("{\"private_key\":\"" + json(out.resolve(ReleaseSignature.PRIVATE_KEY_FILE))
        + "\",\"public_key\":\"" + json(out.resolve(ReleaseSignature.PUBLIC_KEY_FILE))
        + "\",\"key_id\":\"" + ReleaseSignature.keyId(pair.getPublic()) + "\"}");
    stdout.flush();
    return 0;
  }

  private static String json(Path p) {
    return p.toAbsolutePath().toString().replace("\\", "\\\\").replace("\"", "\\\"");
  }
}
