package io.ctrstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves that {@code ./ctr generate} wires its options to the generator: the sizes given on the
 * command line are the sizes written, and impossible sizes exit with code 2 and a message instead
 * of a stack trace.
 */
class GenerateCommandTest {

  @TempDir Path out;

  @Test
  void writesTheRequestedSizes() throws Exception {
    int exit =
        Ctr.commandLine()
            .execute("generate", "--out", out.toString(), "--users", "30", "--movies", "50",
                "--ratings", "1500", "--seed", "3");
    assertThat(exit).isZero();
    assertThat(Files.readAllLines(out.resolve("u.info")))
        .containsExactly("30 users", "50 items", "1500 ratings");
    assertThat(Files.readAllLines(out.resolve("u.data"))).hasSize(1500);
    assertThat(Files.readAllLines(out.resolve("truth.tsv"))).hasSize(1501);
  }

  @Test
  void impossibleSizesExitWithTwo() {
    var cli = Ctr.commandLine();
    StringWriter err = new StringWriter();
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute("generate", "--out", out.toString(), "--users", "0");
    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).contains("users must be >= 1, got 0");
    assertThat(out.resolve("u.data")).doesNotExist();
  }
}
