package io.ctrstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/**
 * {@code ctr chaos memory} on a small growth (500 warm-up users, then 1,500 and 1,500 more, 60
 * days of event time apart, retention 90 days): one JSON line; the warm-up users, 120 days old at
 * the last step, are forgotten and no one else is; the user store holds exactly the users seen
 * less those; RocksDB's usage is measured and within its bound. Bad options exit 2.
 */
class ChaosMemoryCommandTest {

  @Test
  void usersOutsideTheRetentionAreForgottenAndMemoryStaysWithinItsBounds() throws Exception {
    Run run = run("--users", "1500,3000", "--warm-up-users", "500", "--days-per-step", "60",
        "--retention-days", "90", "--ratings-per-user", "2", "--impressions-per-user", "1",
        "--movies", "200", "--partitions", "2", "--rocksdb-memory-mib", "32",
        // two small steps on a shared CI machine: the throughput check is for real runs
        "--max-throughput-drop", "0.9", "--no-progress");
    String[] lines = run.stdout().trim().split("\n");
    assertThat(lines).hasSize(1);
    JsonNode json = new ObjectMapper().readTree(lines[0]);
    assertThat(json.get("failures")).as(lines[0]).isEmpty();
    assertThat(run.rc()).isZero();
    assertThat(json.get("passed").asBoolean()).isTrue();
    assertThat(json.get("rocksdb_bound_bytes").asLong()).isEqualTo(32L << 20);
    JsonNode steps = json.get("steps");
    assertThat(steps).hasSize(3);
    assertThat(steps.get(0).get("step").asText()).isEqualTo("warm-up");
    JsonNode last = steps.get(2);
    assertThat(last.get("users_seen").asLong()).isEqualTo(3500);
    assertThat(last.get("users_forgotten").asLong()).as("the warm-up's 500").isEqualTo(500);
    assertThat(last.get("users_stored").asLong()).isEqualTo(3000);
    assertThat(steps.get(1).get("users_forgotten").asLong()).as("60 days on: still kept").isZero();
    assertThat(last.get("rocksdb_usage_bytes").asLong()).isPositive().isLessThanOrEqualTo((long) ((32L << 20) * 1.1));
    assertThat(last.get("state_bytes").asLong()).isPositive();
    assertThat(last.get("heap_used_bytes").asLong()).isPositive();
    assertThat(last.get("events").asLong()).as("profile, 2 ratings, 1 impression each").isEqualTo(1500 * 4);
    assertThat(last.get("events_per_s").asDouble()).isPositive();
  }

  @Test
  void badOptionsExitWithTwo() {
    assertThat(run("--users", "3000,1000").rc()).isEqualTo(2);
    assertThat(run("--rocksdb-memory-mib", "1").rc()).isEqualTo(2);
    assertThat(run("--max-throughput-drop", "2").rc()).isEqualTo(2);
  }

  private record Run(int rc, String stdout) {}

  private static Run run(String... args) {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream old = System.out;
    String[] command = new String[args.length + 2];
    command[0] = "chaos";
    command[1] = "memory";
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
