package io.ctrstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstream.kafka.EmbeddedKafka;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

/**
 * Proves {@code ctr bench scoring} runs end to end on a small workload (tiny model, one sweep
 * point each way) and prints exactly one JSON line whose throughputs are positive, whose ratio is
 * their quotient, whose latency percentiles are ordered, and whose table holds one row per
 * distinct (commit interval, batch size), the main run included; that nothing else reaches
 * stdout (the broker's own prints go to stderr); and that a bad option is refused with exit code
 * 2 before anything starts.
 */
class BenchScoringCommandTest {

  @Test
  void smallRunPrintsOneJsonLine() throws Exception {
    Run run = run("--model", "tiny", "--partitions", "2",
        "--users", "20", "--movies", "60", "--ratings-per-user", "4", "--impressions", "400",
        "--sweep-impressions", "200", "--offered-per-s", "100", "--latency-seconds", "1",
        "--batch-size", "16", "--commit-interval", "100", "--batch-sizes", "16",
        "--commit-intervals", "50,100", "--no-warm-up-run", "--no-progress");
    assertThat(run.rc()).isZero();
    String[] lines = run.stdout().trim().split("\n");
    assertThat(lines).hasSize(1);
    JsonNode json = new ObjectMapper().readTree(lines[0]);
    double scorer = json.get("scorer_per_s").asDouble();
    double constant = json.get("constant_per_s").asDouble();
    assertThat(scorer).isPositive();
    assertThat(constant).isPositive();
    assertThat(json.get("scorer_per_cpu_s").asDouble()).isPositive();
    assertThat(json.get("constant_per_cpu_s").asDouble()).isPositive();
    assertThat(json.get("ratio").asDouble()).isCloseTo(scorer / constant,
        within(0.01 + 0.01 * scorer / constant));
    assertThat(json.get("offered_per_s").asDouble()).isEqualTo(100);
    assertThat(json.get("partitions").asInt()).isEqualTo(2);
    double p50 = json.get("p50_ms").asDouble();
    double p99 = json.get("p99_ms").asDouble();
    double p999 = json.get("p999_ms").asDouble();
    assertThat(p50).isGreaterThanOrEqualTo(0).isLessThanOrEqualTo(p99);
    assertThat(p99).isLessThanOrEqualTo(p999);
    // the constant model's latency, at the same offered load
    double constantP50 = json.get("constant_p50_ms").asDouble();
    assertThat(constantP50).isGreaterThanOrEqualTo(0)
        .isLessThanOrEqualTo(json.get("constant_p99_ms").asDouble());
    // the main run (100 ms, batch 16) and commit 50 ms at batch 16, in commit order
    assertThat(json.get("table")).hasSize(2);
    assertThat(json.get("table").get(0).get("commit_interval_ms").asInt()).isEqualTo(50);
    assertThat(json.get("table").get(1).get("scorer_per_s").asDouble()).isEqualTo(scorer);
    assertThat(json.get("recommended").get("commit_interval_ms").asInt()).isIn(50, 100);
  }

  @Test
  void runsAgainstARunningClusterAndDeletesItsTopicsAfterwards() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().start();
        Admin admin = Admin.create(kafka.clientConfig())) {
      kafka.createTopics(List.of(new NewTopic("someone-elses", 1, (short) 1)));
      Run run = run("--bootstrap-servers",
          kafka.bootstrapServers(), "--replication-factor", "1", "--model", "tiny", "--users",
          "10", "--movies", "40", "--ratings-per-user", "4", "--impressions", "200",
          "--sweep-impressions", "100", "--offered-per-s", "100", "--latency-seconds", "1",
          "--batch-size", "16", "--commit-interval", "100", "--batch-sizes", "16",
          "--commit-intervals", "100", "--no-warm-up-run", "--no-progress");
      assertThat(run.rc()).isZero();
      JsonNode json = new ObjectMapper().readTree(run.stdout().trim());
      assertThat(json.get("broker").asText()).isEqualTo("external");
      assertThat(json.get("scorer_per_s").asDouble()).isPositive();
      assertThat(json.get("constant_p99_ms").asDouble()).isGreaterThanOrEqualTo(0);
      // the benchmark's topics and its applications' changelogs are gone; the rest is untouched
      // (deletion reaches the broker's metadata a moment after the controller acknowledges it)
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        Set<String> left = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        assertThat(left).contains("someone-elses").noneMatch(t -> t.startsWith("ctr-bench-"));
      });
    }
  }

  @Test
  void clusterSettingsWithoutAClusterAreRefused() {
    assertThat(Ctr.commandLine().execute("bench", "scoring", "--replication-factor", "2"))
        .isEqualTo(2);
  }

  @Test
  void unknownModelIsRefused() {
    assertThat(Ctr.commandLine().execute("bench", "scoring", "--model", "huge")).isEqualTo(2);
  }

  /** Exit code and stdout of one {@code ctr bench scoring} run. */
  private record Run(int rc, String stdout) {}

  /** Runs {@code ctr bench scoring args} with stdout captured. */
  private static Run run(String... args) {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream old = System.out;
    String[] command = new String[args.length + 2];
    command[0] = "bench";
    command[1] = "scoring";
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
