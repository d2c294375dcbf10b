package io.ctrstream.streams.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctrstream.dien.bundle.Manifest;
import io.ctrstream.schemas.FailureKind;
import io.ctrstream.schemas.Json;
import io.ctrstream.schemas.Profile;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.SwappableModelProvider;
import io.ctrstream.streams.state.HistoryEntry;
import io.ctrstream.streams.state.UserState;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Proves the HTTP endpoint's contract on fake sources: /health is 200 only while Streams runs or
 * rebalances and names state and model; /metrics is Prometheus text holding the scorer's meters
 * (scores, dead letters, batch size, latency, model info, swaps, rejections); /model is the
 * manifest or the prior marker; /users/{id} answers the state, 404 for an unknown user, 307 to the
 * hosting instance, 503 while nobody can answer; other paths and methods are refused.
 */
class ScorerHttpServerTest {
  private final ScorerMetrics metrics = ScorerMetrics.prometheus();
  private final SwappableModelProvider provider = new SwappableModelProvider(0.3, metrics);
  private final AtomicReference<KafkaStreams.State> state = new AtomicReference<>(KafkaStreams.State.CREATED);
  private final AtomicReference<Optional<Manifest>> manifest = new AtomicReference<>(Optional.empty());
  private final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  private ScorerHttpServer server;

  private static final UserState ALICE = new UserState(new Profile("F", 31, "writer", "12345"),
      List.of(new HistoryEntry("10", 1_000L, "77"), new HistoryEntry("20", 2_000L, "88")));

  @BeforeEach
  void start() throws Exception {
    UserStateQuery users = id -> switch (id) {
      case "alice" -> new UserStateQuery.Found(ALICE);
      case "bob" -> new UserStateQuery.Elsewhere("scorer-2:8080");
      case "carol" -> new UserStateQuery.Unavailable("rebalancing");
      default -> new UserStateQuery.Missing();
    };
    server = ScorerHttpServer.builder().optHost("127.0.0.1").optPort(0)
        .setState(state::get).setModelVersion(provider::currentVersion).setManifest(manifest::get)
        .setMetrics(((PrometheusMeterRegistry) metrics.registry())::scrape).setUsers(users).build();
    server.start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  private HttpResponse<String> get(String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    return Json.mapper().readTree(r.body());
  }

  @Test
  void healthFollowsTheStreamsState() throws Exception {
    HttpResponse<String> r = get("/health");
    assertThat(r.statusCode()).isEqualTo(503);
    assertThat(json(r).get("state").asText()).isEqualTo("CREATED");
    state.set(KafkaStreams.State.REBALANCING);
    assertThat(get("/health").statusCode()).isEqualTo(200);
    state.set(KafkaStreams.State.RUNNING);
    provider.release("v7", () -> null);
    r = get("/health");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(json(r).get("modelVersion").asText()).isEqualTo("v7");
    state.set(KafkaStreams.State.ERROR);
    assertThat(get("/health").statusCode()).isEqualTo(503);
  }

  @Test
  void metricsArePrometheusTextWithTheScorersMeters() throws Exception {
    metrics.scored(3, false);
    metrics.deadLetter("impressions", FailureKind.NOT_JSON);
    metrics.scoreLatency(2_000_000);
    metrics.modelRejected("checksum");
    metrics.modelSwapped(Duration.ofMillis(40));
    provider.release("v7", () -> null);
    HttpResponse<String> r = get("/metrics");
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("text/plain"));
    assertThat(r.body())
        .contains("ctr_scores_total{prior=\"false\"} 3.0")
        .contains("ctr_dead_letters_total{kind=\"not-json\",topic=\"impressions\"} 1.0")
        .contains("ctr_batch_size_count 1")
        .contains("ctr_score_latency_seconds_count 1")
        .containsPattern("ctr_model_info\\{version=\"v7\"} 1(\\.0)?\\n")
        .doesNotContain("ctr_model_info{version=\"prior\"}")
        .contains("ctr_model_swaps_total 1.0")
        .contains("ctr_model_rejected_total{reason=\"checksum\"} 1.0")
        .contains("ctr_model_load_seconds_count 1");
  }

  @Test
  void modelIsTheManifestOrThePrior() throws Exception {
    assertThat(json(get("/model")).get("version").asText()).isEqualTo("prior");
    manifest.set(Optional.of(new Manifest("dien", "v7", "v6", 1_700_000_000_000L, "abc", null, 200, 0.5,
        Map.of("auc", 0.71), "def")));
    JsonNode m = json(get("/model"));
    assertThat(m.get("version").asText()).isEqualTo("v7");
    assertThat(m.get("parentVersion").asText()).isEqualTo("v6");
    assertThat(m.get("featureSpecHash").asText()).isEqualTo("abc");
    assertThat(m.get("metrics").get("auc").asDouble()).isEqualTo(0.71);
  }

  @Test
  void usersAreAnsweredHereRedirectedOrRefused() throws Exception {
    HttpResponse<String> r = get("/users/alice");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode u = json(r);
    assertThat(u.get("userId").asText()).isEqualTo("alice");
    assertThat(u.get("profile").get("age").asInt()).isEqualTo(31);
    assertThat(u.get("history").get(1).get("movieId").asText()).isEqualTo("20");
    assertThat(u.get("history").get(1).get("timestamp").asLong()).isEqualTo(2_000L);
    assertThat(u.get("negatives").toString()).isEqualTo("[\"77\",\"88\"]");

    r = get("/users/bob");
    assertThat(r.statusCode()).isEqualTo(307);
    assertThat(r.headers().firstValue("Location")).hasValue("http://scorer-2:8080/users/bob");
    assertThat(json(r).get("instance").asText()).isEqualTo("scorer-2:8080");

    assertThat(get("/users/carol").statusCode()).isEqualTo(503);
    assertThat(get("/users/dave").statusCode()).isEqualTo(404);
  }

  @Test
  void unknownPathsAndMethodsAreRefused() throws Exception {
    assertThat(get("/nope").statusCode()).isEqualTo(404);
    assertThat(get("/users/").statusCode()).isEqualTo(404);
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/health"))
        .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(405);
  }
}
