package io.ctrstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Runs {@code ctr chaos scale} end to end with real {@code ctr serve} child processes on a broker
 * in this JVM, with {@code standby.replicas} 0 and 1: two scorers share six partitions, one is
 * killed for good, the survivor takes all six, a third joins and gets a share; no score is lost or
 * duplicated, {@code /users/{id}} never failed on a live instance, and the fail-over time is
 * measured. Any scorer process still alive after a test (a failed one included) is killed.
 */
class ChaosScaleCommandTest {

  @AfterEach
  void killLeftoverScorers() {
    for (ProcessHandle p : ProcessHandle.current().children().toList()) {
      p.destroyForcibly();
      p.onExit().orTimeout(10, TimeUnit.SECONDS);
    }
  }

  @ParameterizedTest(name = "standby.replicas {0}")
  @ValueSource(ints = {0, 1})
  void aKilledScorersPartitionsMoveAndSpreadAgainWithNothingLost(int standbys) throws Exception {
    ChaosCrashCommandTest.Run run = ChaosCrashCommandTest.run("scale", "--standby-replicas",
        Integer.toString(standbys), "--impressions", "300", "--rate", "50", "--settle-ms", "1000",
        "--timeout-s", "90");

    assertThat(run.rc()).as(run.stdout()).isZero();
    String[] lines = run.stdout().trim().split("\n");
    assertThat(lines).hasSize(1);
    JsonNode f = new ObjectMapper().readTree(lines[0]);
    assertThat(f.get("passed").asBoolean()).isTrue();
    assertThat(f.get("standby_replicas").asInt()).isEqualTo(standbys);
    assertThat(f.get("impressions").asInt()).isEqualTo(300);
    assertThat(f.get("scored").asInt()).isEqualTo(300);
    assertThat(f.get("feedback").asInt()).isEqualTo(f.get("ratings").asInt()).isEqualTo(75);
    for (String zero : List.of("lost", "duplicated", "unexpected", "feedback_lost",
        "feedback_duplicated", "mismatched", "users_failures", "not_sent")) {
      assertThat(f.get(zero).asInt()).as(zero).isZero();
    }
    assertThat(f.get("users_endpoint_ok").asBoolean()).isTrue();
    assertThat(f.get("users_200").asLong()).isPositive();
    assertThat(f.get("users_307").asLong()).as("instances redirect to the holder").isPositive();
    JsonNode before = f.get("partitions_before");
    assertThat(before.get("scorer-a").asInt() + before.get("scorer-b").asInt()).isEqualTo(6);
    assertThat(before.get("scorer-a").asInt()).isPositive();
    assertThat(before.get("scorer-b").asInt()).isPositive();
    assertThat(f.get("partitions_after_kill").get("scorer-a").asInt()).isEqualTo(6);
    assertThat(f.get("partitions_after_kill").has("scorer-b")).isFalse();
    JsonNode after = f.get("partitions_after_join");
    assertThat(after.get("scorer-a").asInt() + after.get("scorer-c").asInt()).isEqualTo(6);
    assertThat(after.get("scorer-c").asInt()).isPositive();
    assertThat(f.get("moved_partitions")).hasSize(before.get("scorer-b").asInt());
    assertThat(f.get("failover_ms").asLong()).isPositive();
    assertThat(f.get("problems")).isEmpty();
  }
}
