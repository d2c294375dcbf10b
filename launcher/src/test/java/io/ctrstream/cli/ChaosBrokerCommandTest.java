package io.ctrstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstream.cli.ChaosCrashCommandTest.Run;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Runs {@code ctr chaos broker} end to end: the in-process broker is restarted (two seconds
 * down) while impressions and ratings flow through an in-process scorer; every impression is
 * scored exactly once, every rating has its feedback, and the scorer is RUNNING again on its own
 * (exit 0). A running cluster and bad options exit 2.
 */
class ChaosBrokerCommandTest {

  @Test
  void aBrokerRestartLosesAndDuplicatesNothing() throws Exception {
    Run run = ChaosCrashCommandTest.run("broker", "--impressions", "300", "--rate", "60",
        "--downtime-s", "2", "--settle-ms", "1000", "--timeout-s", "60");

    assertThat(run.rc()).as(run.stdout()).isZero();
    String[] lines = run.stdout().trim().split("\n");
    assertThat(lines).hasSize(1);
    JsonNode f = new ObjectMapper().readTree(lines[0]);
    assertThat(f.get("passed").asBoolean()).isTrue();
    assertThat(f.get("impressions").asInt()).isEqualTo(300);
    assertThat(f.get("scored").asInt()).isEqualTo(300);
    assertThat(f.get("ratings").asInt()).isEqualTo(75);
    for (String zero : List.of("lost", "duplicated", "unexpected", "feedback_lost",
        "feedback_duplicated", "mismatched")) {
      assertThat(f.get(zero).asInt()).as(zero).isZero();
    }
    assertThat(f.get("broker_downtime_seconds").asDouble()).isGreaterThanOrEqualTo(2.0);
    assertThat(f.get("sent_while_down").asInt()).as("impressions flowed while the broker was down")
        .isPositive();
    assertThat(f.get("first_score_after_seconds").asDouble()).isGreaterThanOrEqualTo(0);
    assertThat(f.get("state").asText()).isEqualTo("RUNNING");
    assertThat(f.get("ready").asBoolean()).isTrue();
    assertThat(f.get("problems")).isEmpty();
  }

  @Test
  void aRunningClusterAndBadOptionsExitTwo() {
    assertThat(ChaosCrashCommandTest.run("broker", "--bootstrap-servers", "localhost:9092").rc())
        .isEqualTo(2);
    assertThat(ChaosCrashCommandTest.run("broker", "--impressions", "0").rc()).isEqualTo(2);
    assertThat(ChaosCrashCommandTest.run("broker", "--downtime-s", "-1").rc()).isEqualTo(2);
  }
}
