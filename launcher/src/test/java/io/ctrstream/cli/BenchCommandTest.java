package io.ctrstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * Proves {@code ctr bench model} prints exactly one JSON line with a positive rate for every
 * requested batch size and the PyTorch thread count, and that {@code bench} offers the {@code
 * model} and {@code scoring} subcommands.
 */
class BenchCommandTest {

  @Test
  void modelBenchPrintsOneJsonLine() throws Exception {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream old = System.out;
    int rc;
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      rc = Ctr.commandLine().execute("bench", "model", "--repeats", "1", "--warmup", "1",
          "--seconds", "0", "--batches", "1,4", "--train-batches", "4", "--no-progress");
    } finally {
      System.setOut(old);
    }
    assertThat(rc).isZero();
    String[] lines = captured.toString(StandardCharsets.UTF_8).trim().split("\n");
    assertThat(lines).hasSize(1);
    JsonNode json = new ObjectMapper().readTree(lines[0]);
    assertThat(json.get("inference").get("1").asDouble()).isPositive();
    assertThat(json.get("inference").get("4").asDouble()).isPositive();
    assertThat(json.get("training").get("4").asDouble()).isPositive();
    assertThat(json.get("threads").asInt()).isEqualTo(1); // surefire runs PyTorch on 1 thread
    assertThat(json.get("historyLength").asInt()).isEqualTo(10);
  }

  @Test
  void benchHasModelAndScoringSubcommands() {
    assertThat(Ctr.commandLine().getSubcommands().get("bench").getSubcommands())
        .containsOnlyKeys("model", "scoring");
  }
}
