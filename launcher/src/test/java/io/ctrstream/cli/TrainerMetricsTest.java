package io.ctrstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.ctrstream.trainer.service.RunResult;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Proves the trainer's {@code --metrics-port} meters: runs by outcome, run time as a histogram,
 * the last AUC and log loss of candidate and live model, examples and the last success, with the
 * JVM and resident memory, served as Prometheus text on {@code GET /metrics}; and that every
 * trainer metric the {@code ctr-trainer} alert rules name is among them.
 */
class TrainerMetricsTest {

  private static RunResult result(RunResult.Decision d, double candidateAuc, double liveAuc) {
    return new RunResult("r1", d, "why", "v1", "v0", 1000, 800, 200, 0.5, candidateAuc, liveAuc,
        Double.isNaN(candidateAuc) ? Double.NaN : 0.61, Double.isNaN(liveAuc) ? Double.NaN : 0.65, 12.5, null);
  }

  @Test
  void runsAreCountedAndServedOnMetrics() throws Exception {
    try (TrainerMetrics metrics = new TrainerMetrics()) {
      String before = metrics.scrape();
      assertThat(before).contains("ctr_trainer_runs_total{outcome=\"failed\"} 0.0")
          .contains("ctr_trainer_last_success_timestamp_seconds 0.0")
          .contains("ctr_trainer_candidate_auc NaN");

      metrics.record(result(RunResult.Decision.RELEASED, 0.71, 0.69));
      metrics.record(result(RunResult.Decision.FAILED, Double.NaN, Double.NaN));
      int port = metrics.serve("127.0.0.1", 0);
      HttpResponse<String> r = HttpClient.newHttpClient().send(
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(200);
      String scrape = r.body();
      assertThat(scrape).contains("ctr_trainer_runs_total{outcome=\"released\"} 1.0")
          .contains("ctr_trainer_runs_total{outcome=\"failed\"} 1.0")
          .contains("ctr_trainer_runs_total{outcome=\"gated\"} 0.0")
          .contains("ctr_trainer_run_seconds_count 2")
          .contains("ctr_trainer_run_seconds_bucket{le=")
          .contains("ctr_trainer_examples 1000.0")
          .contains("ctr_trainer_candidate_logloss NaN") // the failed run is the last
          .contains("jvm_memory_used_bytes")
          .contains("process_resident_memory_bytes");
      Matcher success = Pattern.compile("ctr_trainer_last_success_timestamp_seconds ([0-9.E]+)").matcher(scrape);
      assertThat(success.find()).isTrue();
      assertThat(Double.parseDouble(success.group(1)))
          .isCloseTo(System.currentTimeMillis() / 1000.0, org.assertj.core.data.Offset.offset(60.0));

      metrics.record(result(RunResult.Decision.GATED, 0.70, 0.72));
      assertThat(metrics.scrape()).contains("ctr_trainer_candidate_auc 0.7\n")
          .contains("ctr_trainer_live_auc 0.72").contains("ctr_trainer_live_logloss 0.65");

      // every trainer metric of the ctr-trainer alerts is exported
      Set<String> exported = new TreeSet<>();
      for (String line : scrape.split("\n")) {
        if (!line.startsWith("#") && !line.isBlank()) {
          exported.add(line.split("[{ ]", 2)[0]);
        }
      }
      Set<String> used = new TreeSet<>();
      JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(rulesFile().toFile());
      for (JsonNode group : rules.get("groups")) {
        if (group.get("name").asText().equals("ctr-trainer")) {
          for (JsonNode rule : group.get("rules")) {
            Matcher m = Pattern.compile("\\bctr_trainer_[a-z_]+").matcher(rule.get("expr").asText());
            while (m.find()) {
              used.add(m.group());
            }
          }
        }
      }
      assertThat(used).isNotEmpty();
      assertThat(exported).containsAll(used);
    }
  }

  @Test
  void metricsPortNeedsEvery() {
    var out = new java.io.StringWriter();
    var err = new java.io.StringWriter();
    int code = Ctr.commandLine()
        .setOut(new java.io.PrintWriter(out, true)).setErr(new java.io.PrintWriter(err, true))
        .execute("train", "--once", "--metrics-port", "9404", "--bootstrap-servers", "127.0.0.1:1");
    assertThat(code).isEqualTo(2);
    assertThat(err.toString()).contains("--metrics-port needs --every");
  }

  private static Path rulesFile() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve("docker-compose.yml"))) {
      dir = dir.getParent();
    }
    assertThat(dir).isNotNull();
    return dir.resolve("docker/prometheus/rules/ctr-alerts.yml");
  }
}
