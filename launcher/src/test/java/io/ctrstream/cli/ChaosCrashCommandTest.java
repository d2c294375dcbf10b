package io.ctrstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code ctr chaos crash} end to end: a real {@code ctr serve} child process killed twice with
 * SIGKILL while impressions and ratings flow, on a broker in this JVM. Every impression is scored
 * exactly once and every rating has its feedback with the published score (exit 0); bad options
 * exit 2. Any scorer process still alive after a test (a failed one included) is killed.
 */
class ChaosCrashCommandTest {

  @AfterEach
  void killLeftoverScorers() throws InterruptedException {
    for (ProcessHandle p : ProcessHandle.current().children().toList()) {
      p.destroyForcibly();
      p.onExit().orTimeout(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void twoKillsLoseAndDuplicateNothing() throws Exception {
    Run run = run("crash", "--impressions", "400", "--kills", "2", "--rate", "80",
        "--settle-ms", "1000", "--timeout-s", "60");

    assertThat(run.rc()).as(run.stdout()).isZero();
    String[] lines = run.stdout().trim().split("\n");
    assertThat(lines).hasSize(1);
    JsonNode f = new ObjectMapper().readTree(lines[0]);
    assertThat(f.get("passed").asBoolean()).isTrue();
    assertThat(f.get("kills").asInt()).isEqualTo(2);
    assertThat(f.get("kill_list")).hasSize(2);
    for (JsonNode k : f.get("kill_list")) {
      assertThat(k.get("first_score_after_ms").asLong()).as("the restarted scorer scored").isPositive();
    }
    assertThat(f.get("impressions").asInt()).isEqualTo(400);
    assertThat(f.get("scored").asInt()).isEqualTo(400);
    assertThat(f.get("scores").asInt()).isEqualTo(400);
    assertThat(f.get("ratings").asInt()).isEqualTo(100);
    assertThat(f.get("feedback").asInt()).isEqualTo(100);
    for (String zero : List.of("lost", "duplicated", "unexpected", "feedback_lost",
        "feedback_duplicated", "mismatched", "not_sent")) {
      assertThat(f.get(zero).asInt()).as(zero).isZero();
    }
    assertThat(f.get("problems")).isEmpty();
  }

  @Test
  void badOptionsExitTwo() {
    assertThat(run("crash", "--impressions", "0").rc()).isEqualTo(2);
    assertThat(run("crash", "--kafka-properties", "x.properties").rc()).isEqualTo(2);
    assertThat(run("scale", "--partitions", "1").rc()).isEqualTo(2);
  }

  record Run(int rc, String stdout) {}

  static Run run(String... args) {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream old = System.out;
    String[] command = new String[args.length + 1];
    command[0] = "chaos";
    System.arraycopy(args, 0, command, 1, args.length);
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      int rc = Ctr.commandLine().execute(command);
      return new Run(rc, captured.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(old);
    }
  }
}
