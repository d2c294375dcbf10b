package io.ctrstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code ctr chaos model} end to end on a broker it starts itself: every bad release is
 * refused with the reason expected of it while the first model keeps scoring, the second valid
 * release swaps in within the latency bound, every impression is scored once (exit 0); bad options
 * exit 2.
 */
class ChaosModelCommandTest {

  @Test
  void badReleasesAreRefusedWithTheirReasonsAndAValidOneSwapsIn() throws Exception {
    Run run = run("--rate", "40", "--users", "20", "--movies", "30", "--steady-s", "2",
        "--after-swap-s", "2", "--no-progress");

    assertThat(run.rc()).as(run.stdout()).isZero();
    String[] lines = run.stdout().trim().split("\n");
    assertThat(lines).hasSize(1);
    JsonNode f = new ObjectMapper().readTree(lines[0]);
    assertThat(f.get("passed").asBoolean()).isTrue();
    Map<String, String> reasons = new LinkedHashMap<>();
    f.get("bad_releases").forEach(b -> reasons.put(b.get("kind").asText(), b.get("reason").asText()));
    assertThat(reasons).containsExactly(
        Map.entry("corrupt-bytes", "corrupt"),
        Map.entry("truncated", "corrupt"),
        Map.entry("wrong-sha256", "checksum"),
        Map.entry("unsigned", "unsigned"),
        Map.entry("signed-by-another-key", "signature"),
        Map.entry("nan-weights", "probe"),
        Map.entry("incompatible-features", "spec"),
        Map.entry("oversized", "too_large"),
        Map.entry("uri-outside-allowed", "disallowed"),
        Map.entry("not-a-release", "invalid"));
    assertThat(f.get("version_before").asText()).isEqualTo("chaos-model-1");
    assertThat(f.get("version_during").asText()).isEqualTo("chaos-model-1");
    assertThat(f.get("version_after").asText()).isEqualTo("chaos-model-2");
    assertThat(f.get("scores_during_bad").asInt()).isPositive();
    assertThat(f.get("swap_max_latency_ms").asLong())
        .isLessThanOrEqualTo(f.get("latency_bound_ms").asLong());
    assertThat(f.get("scored").asInt()).isEqualTo(f.get("impressions_sent").asInt()).isPositive();
    for (String zero : List.of("other_version_during_bad", "lost", "duplicates", "threads_died")) {
      assertThat(f.get(zero).asInt()).as(zero).isZero();
    }
    assertThat(f.get("follower_alive").asBoolean()).isTrue();
    assertThat(f.get("state").asText()).isEqualTo("RUNNING");
    assertThat(f.get("ready").asBoolean()).isTrue();
    assertThat(f.get("problems")).isEmpty();
  }

  @Test
  void badOptionsAreRefused() {
    assertThat(Ctr.commandLine().execute("chaos", "model", "--rate", "0")).isEqualTo(2);
    assertThat(Ctr.commandLine().execute("chaos", "model", "--replication-factor", "2")).isEqualTo(2);
  }

  /** Exit code and stdout of one {@code ctr chaos model} run. */
  private record Run(int rc, String stdout) {}

  private static Run run(String... args) {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream old = System.out;
    String[] command = new String[args.length + 2];
    command[0] = "chaos";
    command[1] = "model";
    System.arraycopy(args, 0, command, 2, args.length);
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      int rc = Ctr.commandLine().execute(command);
      return new Run(rc, captured.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(old);
    }
  }
}
