package io.ctrstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code ctr chaos state} end to end on a broker it starts itself: after the scorer's state
 * directory is wiped and restored from the changelogs, every user's state and every (user, movie)
 * score are the same (exit 0); bad options exit 2.
 */
class ChaosStateCommandTest {

  @Test
  void aWipedStateIsRestoredAndScoresTheSame() throws Exception {
    Run run = run("--users", "20", "--movies", "30", "--ratings-per-user", "8",
        "--impressions", "120", "--no-progress");

    assertThat(run.rc()).as(run.stdout()).isZero();
    String[] lines = run.stdout().trim().split("\n");
    assertThat(lines).hasSize(1);
    JsonNode f = new ObjectMapper().readTree(lines[0]);
    assertThat(f.get("passed").asBoolean()).isTrue();
    assertThat(f.get("ratings_sent").asInt()).isEqualTo(160);
    assertThat(f.get("users_compared").asInt()).isEqualTo(20);
    assertThat(f.get("impressions_compared").asInt()).isEqualTo(120);
    assertThat(f.get("restored_records").asLong()).as("state came from the changelogs").isPositive();
    assertThat(f.get("restore_seconds").asDouble()).isPositive();
    for (String zero : List.of("state_mismatches", "score_mismatches", "threads_died")) {
      assertThat(f.get(zero).asInt()).as(zero).isZero();
    }
    assertThat(f.get("max_score_difference").asDouble()).isLessThanOrEqualTo(1e-6);
    assertThat(f.get("version_before").asText()).isEqualTo("chaos-state-1");
    assertThat(f.get("version_after").asText()).isEqualTo("chaos-state-1");
    assertThat(f.get("state").asText()).isEqualTo("RUNNING");
    assertThat(f.get("ready").asBoolean()).isTrue();
    assertThat(f.get("problems")).isEmpty();
  }

  @Test
  void badOptionsAreRefused() {
    assertThat(Ctr.commandLine().execute("chaos", "state", "--impressions", "0")).isEqualTo(2);
    assertThat(Ctr.commandLine().execute("chaos", "state", "--ratings-per-user", "200")).isEqualTo(2);
  }

  /** Exit code and stdout of one {@code ctr chaos state} run. */
  private record Run(int rc, String stdout) {}

  private static Run run(String... args) {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream old = System.out;
    String[] command = new String[args.length + 2];
    command[0] = "chaos";
    command[1] = "state";
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
