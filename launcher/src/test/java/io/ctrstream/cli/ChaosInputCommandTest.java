package io.ctrstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstream.cli.chaos.HostileCorpus;
import io.ctrstream.kafka.EmbeddedKafka;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs {@code ctr chaos input} end to end: the bundled corpus with 200 valid impressions on a
 * broker it starts itself passes (exit 0) with figures that account for every record; on a
 * running cluster, with a client properties file, a corpus whose expectation is wrong fails
 * (exit 1) naming the record, and the run's topics are deleted afterwards; cluster settings
 * without a cluster are refused (exit 2).
 */
class ChaosInputCommandTest {
  @TempDir Path dir;

  @Test
  void theBundledCorpusPassesOnAnInProcessBroker() throws Exception {
    HostileCorpus corpus = HostileCorpus.bundled();
    long corpusScored = corpus.entries().stream()
        .filter(e -> e.expect().outcome() == HostileCorpus.Outcome.SCORED).count();
    long refused = corpus.entries().stream()
        .filter(e -> e.expect().outcome() == HostileCorpus.Outcome.REFUSED).count();

    Run run = run("--valid", "200", "--valid-ratings", "50", "--users", "20", "--movies", "30",
        "--settle-ms", "1000", "--no-progress");

    assertThat(run.rc()).as(run.stdout()).isZero();
    String[] lines = run.stdout().trim().split("\n");
    assertThat(lines).hasSize(1);
    JsonNode f = new ObjectMapper().readTree(lines[0]);
    assertThat(f.get("passed").asBoolean()).isTrue();
    assertThat(f.get("broker").asText()).isEqualTo("in-process");
    assertThat(f.get("hostile_sent").asInt()).isEqualTo(corpus.hostile().size())
        .isGreaterThanOrEqualTo(200);
    assertThat(f.get("dead_lettered").asInt()).isEqualTo(corpus.hostile().size());
    assertThat(f.get("refused_by_broker").asLong()).isEqualTo(refused);
    assertThat(f.get("valid_impressions").asLong()).isEqualTo(200 + corpusScored);
    assertThat(f.get("scored").asLong()).isEqualTo(200 + corpusScored);
    for (String zero : List.of("missing", "wrong_kind", "duplicate_dead_letters", "empty_reasons",
        "unexpected_dead_letters", "not_sent", "duplicates", "lost", "unexpected_scores",
        "threads_died")) {
      assertThat(f.get(zero).asInt()).as(zero).isZero();
    }
    assertThat(f.get("state").asText()).isEqualTo("RUNNING");
    assertThat(f.get("left_running")).isEmpty();
    assertThat(f.get("live").asBoolean()).isTrue();
    assertThat(f.get("problems")).isEmpty();
  }

  @Test
  void aWrongExpectationFailsOnARunningClusterWhoseTopicsAreDeletedAfterwards() throws Exception {
    Path corpus = dir.resolve("corpus.jsonl");
    Files.writeString(corpus, String.join("\n",
        "# one record dead-lettered as expected, one expected to be dead-lettered but scored",
        "{\"name\":\"not-json\",\"topic\":\"impressions\",\"key\":\"u1\",\"value\":\"{\","
            + "\"expect\":{\"kind\":\"not-json\",\"reason\":\"not JSON\"}}",
        "{\"name\":\"fine\",\"topic\":\"impressions\",\"key\":\"u2\",\"value\":\"{\\\"impressionId\\\":"
            + "\\\"c1\\\",\\\"userId\\\":\\\"u2\\\",\\\"movieId\\\":\\\"1\\\",\\\"timestamp\\\":${now}}\","
            + "\"expect\":{\"kind\":\"not-json\"}}",
        ""), StandardCharsets.UTF_8);
    Path props = dir.resolve("client.properties");
    Files.writeString(props, "client.dns.lookup=use_all_dns_ips\n", StandardCharsets.UTF_8);
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().start();
        Admin admin = Admin.create(kafka.clientConfig())) {
      kafka.createTopics(List.of(new NewTopic("someone-elses", 1, (short) 1)));

      Run run = run("--bootstrap-servers", kafka.bootstrapServers(), "--kafka-properties",
          props.toString(), "--replication-factor", "1", "--corpus", corpus.toString(),
          "--valid", "20", "--users", "5", "--movies", "5", "--settle-ms", "500",
          "--timeout-s", "6", "--no-progress");

      assertThat(run.rc()).as(run.stdout()).isEqualTo(1);
      JsonNode f = new ObjectMapper().readTree(run.stdout().trim());
      assertThat(f.get("passed").asBoolean()).isFalse();
      assertThat(f.get("broker").asText()).isEqualTo("external");
      assertThat(f.get("hostile_sent").asInt()).isEqualTo(2);
      assertThat(f.get("dead_lettered").asInt()).isEqualTo(1);
      assertThat(f.get("missing").asInt()).isEqualTo(1);
      assertThat(f.get("unexpected_scores").asInt()).isEqualTo(1);
      assertThat(f.get("scored").asInt()).isEqualTo(20);
      assertThat(f.get("threads_died").asInt()).isZero();
      assertThat(f.get("problems").toString()).contains("fine: no dead letter");
      // the run's topics and its scorer's changelogs are gone; the rest is untouched
      await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
        Set<String> left = admin.listTopics().names().get(30, TimeUnit.SECONDS);
        assertThat(left).contains("someone-elses").noneMatch(t -> t.startsWith("ctr-chaos-"));
      });
    }
  }

  @Test
  void clusterSettingsWithoutAClusterAreRefused() {
    assertThat(Ctr.commandLine().execute("chaos", "input", "--replication-factor", "2")).isEqualTo(2);
    assertThat(Ctr.commandLine().execute("chaos", "input", "--valid", "0")).isEqualTo(2);
  }

  /** Exit code and stdout of one {@code ctr chaos input} run. */
  private record Run(int rc, String stdout) {}

  private static Run run(String... args) {
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream old = System.out;
    String[] command = new String[args.length + 2];
    command[0] = "chaos";
    command[1] = "input";
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
