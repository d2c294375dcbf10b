package io.ctrstream.streams.ops;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.Rating;
import io.ctrstream.schemas.TopicSpec;
import io.ctrstream.schemas.UserProfile;
import io.ctrstream.streams.ScorerApp;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.streams.release.TinyBundles;
import io.ctrstream.streams.state.StoreNames;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the monitoring files of docker-compose's {@code monitoring} profile are usable: the alert
 * rules have the shape {@code promtool check rules} wants (groups of rules, each with an alert
 * name, an expression, labels with a severity and annotations with a summary, durations in
 * Prometheus' syntax, unique names), the Grafana dashboard's panels each carry queries, and every
 * metric a dashboard query or a scorer alert names is on the {@code /metrics} of a running scorer
 * (embedded broker, a model release, a few scores and a dead letter).
 */
class MonitoringConfigTest {
  /** Metrics Prometheus makes itself, not the app. */
  private static final Set<String> PROMETHEUS_OWN = Set.of("up", "scrape_duration_seconds");
  private static final Set<String> PROMQL_WORDS = Set.of("by", "without", "on", "ignoring",
      "group_left", "group_right", "bool", "and", "or", "unless", "offset", "inf", "nan");
  private static final Pattern DURATION = Pattern.compile("^([0-9]+(ms|s|m|h|d|w|y))+$");

  @TempDir Path stateDir;

  @Test
  void alertRulesHaveThePrometheusRuleShape() throws IOException {
    JsonNode doc = new ObjectMapper(new YAMLFactory()).readTree(rulesFile().toFile());
    assertThat(doc.fieldNames()).toIterable().containsExactly("groups");
    Set<String> groups = new HashSet<>();
    Set<String> alerts = new HashSet<>();
    for (JsonNode group : doc.get("groups")) {
      assertThat(group.path("name").asText()).isNotBlank();
      assertThat(groups.add(group.get("name").asText())).as("group names are unique").isTrue();
      assertThat(group.get("rules").isArray() && !group.get("rules").isEmpty()).isTrue();
      for (JsonNode rule : group.get("rules")) {
        String name = rule.path("alert").asText();
        assertThat(name).as("every rule is an alert with a name").matches("[A-Za-z_][A-Za-z0-9_]*");
        assertThat(alerts.add(name)).as("alert %s is unique", name).isTrue();
        Set<String> fields = new TreeSet<>();
        rule.fieldNames().forEachRemaining(fields::add);
        assertThat(Set.of("alert", "expr", "for", "keep_firing_for", "labels", "annotations"))
            .as("%s has only rule fields", name).containsAll(fields);
        assertThat(rule.path("expr").asText()).as(name).isNotBlank();
        assertThat(balanced(rule.get("expr").asText())).as("%s: brackets balance", name).isTrue();
        if (rule.has("for")) {
          assertThat(rule.get("for").asText()).as(name).matches(DURATION);
        }
        assertThat(rule.path("labels").path("severity").asText()).as(name).isIn("warning", "critical");
        assertThat(rule.path("annotations").path("summary").asText()).as(name).isNotBlank();
        assertThat(rule.path("annotations").path("description").asText()).as(name).isNotBlank();
      }
    }
    assertThat(alerts).contains("CtrDeadLettersRising", "CtrModelRejected", "CtrModelTooOld",
        "CtrPriorShareHigh", "CtrConsumerLagGrowing", "CtrScorerNotReady");
    // The README's runbook has a section for every alert.
    String readme = Files.readString(root().resolve("README.md"));
    assertThat(alerts.stream().filter(a -> !readme.contains("`" + a + "`")).toList())
        .as("alerts without a runbook entry in the README").isEmpty();
  }

  @Test
  void composeRunsPrometheusAndGrafanaUnderTheMonitoringProfile() throws IOException {
    JsonNode compose = new ObjectMapper(new YAMLFactory()).readTree(root().resolve("docker-compose.yml").toFile());
    for (String name : List.of("prometheus", "grafana")) {
      JsonNode service = compose.path("services").path(name);
      assertThat(service.path("profiles").toString()).as(name).isEqualTo("[\"monitoring\"]");
      assertThat(service.path("image").asText()).as("%s image is pinned", name)
          .matches(".*:-[a-z/]+:v?[0-9]+\\.[0-9]+\\.[0-9]+}");
      for (JsonNode volume : service.path("volumes")) {
        String source = volume.asText().split(":")[0];
        if (source.startsWith("./")) {
          assertThat(root().resolve(source)).as("%s mounts %s", name, source).exists();
        }
      }
    }
    for (String name : List.of("kafka", "topics", "scorer", "trainer")) {
      assertThat(compose.path("services").path(name).has("profiles"))
          .as("%s stays in the default set", name).isFalse();
    }
    JsonNode prometheus = new ObjectMapper(new YAMLFactory())
        .readTree(root().resolve("docker/prometheus/prometheus.yml").toFile());
    assertThat(prometheus.path("rule_files").get(0).asText()).isEqualTo("/etc/prometheus/rules/*.yml");
    assertThat(prometheus.path("scrape_configs").findValuesAsText("job_name"))
        .containsExactly("ctr-scorer", "ctr-trainer");
  }

  @Test
  void dashboardPanelsAllHaveQueries() throws IOException {
    JsonNode dash = new ObjectMapper().readTree(dashboardFile().toFile());
    assertThat(dash.path("uid").asText()).isNotBlank();
    Set<Integer> ids = new HashSet<>();
    int queries = 0;
    for (JsonNode panel : dash.get("panels")) {
      assertThat(ids.add(panel.get("id").asInt())).as("panel ids are unique").isTrue();
      if (panel.path("type").asText().equals("row")) {
        continue;
      }
      assertThat(panel.path("targets").isEmpty()).as(panel.path("title").asText()).isFalse();
      for (JsonNode target : panel.get("targets")) {
        assertThat(balanced(target.path("expr").asText())).as(target.path("expr").asText()).isTrue();
        queries++;
      }
    }
    assertThat(queries).isGreaterThan(20);
  }

  @Test
  void metricNamesAreReadOutOfPromQl() {
    assertThat(metricNames("histogram_quantile(0.99, sum by (le) (rate(ctr_score_latency_seconds_bucket[5m])))"))
        .containsExactly("ctr_score_latency_seconds_bucket");
    assertThat(metricNames("sum(rate(ctr_scores_total{prior=\"true\",x=~\"a(b)\"}[$__rate_interval])) / sum(rate(ctr_scores_total[10m])) > 0.5"))
        .containsExactly("ctr_scores_total");
    assertThat(metricNames("ctr_ready == 0 or up{job=\"ctr-scorer\"} == 0 and on (instance) process_cpu_usage"))
        .containsExactly("ctr_ready", "process_cpu_usage", "up");
    assertThat(metricNames("max by (instance, version) (ctr_model_info) > 6 * 3600"))
        .containsExactly("ctr_model_info");
    assertThat(metricNames("delta(max by (instance) (kafka_x{client_id!~\".*r.*\"})[15m:1m]) > 0"))
        .containsExactly("kafka_x");
  }

  @Test
  void everyDashboardQueryAndScorerAlertResolvesAgainstARunningScorer() throws Exception {
    Map<String, List<String>> wanted = new TreeMap<>(); // metric -> where it is used
    JsonNode dash = new ObjectMapper().readTree(dashboardFile().toFile());
    for (JsonNode panel : dash.get("panels")) {
      for (JsonNode target : panel.path("targets")) {
        for (String m : metricNames(target.get("expr").asText())) {
          wanted.computeIfAbsent(m, k -> new ArrayList<>()).add("panel " + panel.get("title").asText());
        }
      }
    }
    JsonNode rules = new ObjectMapper(new YAMLFactory()).readTree(rulesFile().toFile());
    for (JsonNode group : rules.get("groups")) {
      if (!group.get("name").asText().equals("ctr-scorer")) {
        continue;
      }
      for (JsonNode rule : group.get("rules")) {
        for (String m : metricNames(rule.get("expr").asText())) {
          wanted.computeIfAbsent(m, k -> new ArrayList<>()).add("alert " + rule.get("alert").asText());
        }
      }
    }
    wanted.keySet().removeAll(PROMETHEUS_OWN);
    assertThat(wanted).containsKeys("ctr_scores_total", "process_resident_memory_bytes",
        "kafka_consumer_fetch_manager_records_lag_max", "ctr_score_distribution_bucket");

    String scrape = scrapeOfARunningScorer(wanted.keySet());
    Set<String> exported = exportedNames(scrape);
    Path out = Path.of("target", "monitoring-scrape.txt");
    Files.createDirectories(out.getParent());
    Files.writeString(out, scrape);
    Map<String, List<String>> missing = new TreeMap<>(wanted);
    missing.keySet().removeAll(exported);
    assertThat(missing).as("metrics used by the dashboard or the alerts but not on /metrics"
        + " (the scrape is in %s)", out.toAbsolutePath()).isEmpty();
  }

  /** Starts a scorer with a release, feeds it a user, movies, impressions, a rating and a bad record. */
  private String scrapeOfARunningScorer(Set<String> wanted) throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().start()) {
      Map<String, String> v = new HashMap<>();
      v.put("bootstrap.servers", kafka.bootstrapServers());
      v.put("application.id", "monitoring-test");
      v.put("topic.prefix", "montest.");
      v.put("state.dir", stateDir.toString());
      v.put("history.length", "3");
      v.put("http.port", "0");
      v.put("batch.max.wait.ms", "5");
      v.put("event.time.earliest.ms", "0");
      ScorerConfig config = ScorerConfig.fromMap(v);
      ScorerApp.createMissingTopics(config, config.topics(), (short) 1);
      ModelBundle bundle = TinyBundles.bundle("v-mon", 1, System.currentTimeMillis());
      Map<String, Object> p = new HashMap<>(kafka.clientConfig());
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      try (KafkaProducer<String, byte[]> producer =
               new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
           ScorerApp app = ScorerApp.service(config)) {
        send(producer, config.topics().modelReleases(), TinyBundles.MODEL, TinyBundles.release(bundle));
        producer.flush();
        app.start();
        await().atMost(Duration.ofSeconds(90)).until(() -> app.streams().state() == KafkaStreams.State.RUNNING);
        long now = System.currentTimeMillis();
        send(producer, config.topics().movies(), "1", new Movie("1", "one", List.of("Comedy")));
        send(producer, config.topics().movies(), "2", new Movie("2", "two", List.of("Drama")));
        send(producer, config.topics().users(), "u1", new UserProfile("u1", "F", 30, "writer", "12345"));
        producer.flush();
        // the catalog is a global store: the impression below must find its movie there
        await().atMost(Duration.ofSeconds(30)).ignoreExceptions().until(() -> app.streams().store(
            StoreQueryParameters.fromNameAndType(StoreNames.CATALOG,
                QueryableStoreTypes.<String, Object>keyValueStore())).get("m|2") != null);
        send(producer, config.topics().ratings(), "u1", new Rating("u1", "1", 5.0, now - 1_000));
        send(producer, config.topics().impressions(), "u1", new Impression("i1", "u1", "2", now));
        producer.send(new ProducerRecord<>(config.topics().impressions().name(), "u1",
            "not json".getBytes(StandardCharsets.UTF_8)));
        producer.flush();
        System.gc(); // the GC pause timer appears with the first collection

        int port = app.httpPort().orElseThrow();
        HttpClient client = HttpClient.newHttpClient();
        String[] last = {""};
        try {
          await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofSeconds(1)).until(() -> {
            last[0] = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics"))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString()).body();
            return exportedNames(last[0]).containsAll(wanted)
                && last[0].contains("ctr_model_scores_total{version=\"v-mon\"}")
                && !last[0].contains("ctr_score_distribution_count 0.0");
          });
        } catch (org.awaitility.core.ConditionTimeoutException e) {
          // fall through: the caller says what is missing
        }
        assertThat(last[0]).contains("ctr_model_info{version=\"v-mon\"} 1");
        return last[0];
      }
    }
  }

  private static <V> void send(KafkaProducer<String, byte[]> producer, TopicSpec<String, V> topic, String key, V value) {
    producer.send(new ProducerRecord<>(topic.name(), key, topic.valueSerde().serialize(value)));
  }

  /** Metric names of a Prometheus text exposition (the name of every sample line). */
  static Set<String> exportedNames(String scrape) {
    Set<String> names = new HashSet<>();
    for (String line : scrape.split("\n")) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      int end = 0;
      while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
        end++;
      }
      names.add(line.substring(0, end));
    }
    return names;
  }

  private static final Pattern GROUPING =
      Pattern.compile("\\b(by|without|on|ignoring|group_left|group_right)\\s*\\([^)]*\\)");
  private static final Pattern IDENT = Pattern.compile("[A-Za-z_:][A-Za-z0-9_:]*");

  /**
   * The metric names a PromQL expression selects: identifiers left once strings, label matchers,
   * ranges, grouping clauses and Grafana variables are removed, that are not functions (followed
   * by {@code (}), keywords or numbers.
   */
  static Set<String> metricNames(String expr) {
    String s = expr.replaceAll("\"(\\\\.|[^\"\\\\])*\"", "\"\"");
    s = s.replaceAll("\\{[^}]*}", " ");
    s = s.replaceAll("\\[[^]]*]", " ");
    s = GROUPING.matcher(s).replaceAll(" ");
    s = s.replaceAll("\\$\\{?\\w+}?", " ");
    Set<String> names = new TreeSet<>();
    Matcher m = IDENT.matcher(s);
    while (m.find()) {
      String id = m.group();
      if (m.start() > 0 && Character.isDigit(s.charAt(m.start() - 1))) {
        continue; // a duration or number suffix such as 6e3
      }
      int after = m.end();
      while (after < s.length() && s.charAt(after) == ' ') {
        after++;
      }
      boolean function = after < s.length() && s.charAt(after) == '(';
      if (!function && !PROMQL_WORDS.contains(id.toLowerCase())) {
        names.add(id);
      }
    }
    return names;
  }

  private static boolean balanced(String s) {
    int depth = 0;
    for (char c : s.toCharArray()) {
      if (c == '(' || c == '[' || c == '{') {
        depth++;
      } else if (c == ')' || c == ']' || c == '}') {
        depth--;
      }
      if (depth < 0) {
        return false;
      }
    }
    return depth == 0;
  }

  private static Path rulesFile() {
    return root().resolve("docker/prometheus/rules/ctr-alerts.yml");
  }

  private static Path dashboardFile() {
    return root().resolve("docker/grafana/dashboards/ctr-scorer.json");
  }

  /** The repository root: the nearest folder upwards that holds docker-compose.yml. */
  private static Path root() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve("docker-compose.yml"))) {
      dir = dir.getParent();
    }
    assertThat(dir).as("no docker-compose.yml above %s", Path.of("").toAbsolutePath()).isNotNull();
    return dir;
  }
}
