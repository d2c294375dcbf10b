package io.ctrstream.streams.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.serving.BatchScorer;
import io.ctrstream.schemas.Json;
import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.MovieStats;
import io.ctrstream.schemas.Profile;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.SwappableModelProvider;
import io.ctrstream.streams.state.HistoryEntry;
import io.ctrstream.streams.state.UserState;
import io.ctrstream.streams.topology.FeatureAssembler;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Proves {@code POST /score} on fake sources (no broker, no topology): validation of the body
 * (400 with a reason, 413 over {@code score.max.candidates} or an oversized body, 405 on GET),
 * scores in candidate order from one model call with the features {@link FeatureAssembler}
 * gives, a cold user still scored, 307 to the holder's /score, 503 while the user or the global
 * stores cannot be read, a model swap picked up before the next request, and the request metrics.
 */
class ScoreEndpointTest {
  private static final int MAX_CANDIDATES = 4;
  private static final int MAX_KEY_BYTES = 64;

  private final ScorerMetrics metrics = ScorerMetrics.prometheus();
  private final SwappableModelProvider provider = new SwappableModelProvider(0.3, metrics);
  private final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  private final List<List<FeatureRow>> calls = Collections.synchronizedList(new ArrayList<>());
  private final AtomicBoolean storesDown = new AtomicBoolean();
  private final Map<String, Movie> catalog = new HashMap<>();
  private ScorerHttpServer server;
  private RequestScorer scoring;

  private static final UserState ALICE = new UserState(new Profile("F", 31, "writer", "12345"),
      List.of(new HistoryEntry("10", 1_000L, "77"), new HistoryEntry("20", 2_000L, "88")));

  /** 0.1 per history entry plus 0.25 for a Comedy: a function of the features. */
  private class Model implements BatchScorer {
    private final String version;

    Model(String version) {
      this.version = version;
    }

    @Override
    public float[] score(List<FeatureRow> rows) {
      calls.add(List.copyOf(rows));
      float[] out = new float[rows.size()];
      for (int i = 0; i < out.length; i++) {
        FeatureRow r = rows.get(i);
        out[i] = 0.1f * r.history().size() + (r.genres().contains("Comedy") ? 0.25f : 0f);
      }
      return out;
    }

    @Override
    public String modelVersion() {
      return version;
    }

    @Override
    public void close() {}
  }

  @BeforeEach
  void start() throws Exception {
    catalog.put("m|1", new Movie("1", "one", List.of("Comedy")));
    catalog.put("m|2", new Movie("2", "two", List.of("Drama")));
    UserStateQuery users = id -> switch (id) {
      case "alice" -> new UserStateQuery.Found(ALICE);
      case "bob" -> new UserStateQuery.Elsewhere("scorer-2:8080");
      case "carol" -> new UserStateQuery.Unavailable("rebalancing");
      default -> new UserStateQuery.Missing();
    };
    scoring = new RequestScorer(users, () -> {
      if (storesDown.get()) {
        throw new InvalidStateStoreException("restoring");
      }
      return new FeatureAssembler(store(catalog), store(Map.<String, MovieStats>of()));
    }, provider, metrics, MAX_CANDIDATES, MAX_KEY_BYTES);
    server = ScorerHttpServer.builder().optHost("127.0.0.1").optPort(0)
        .setState(() -> KafkaStreams.State.RUNNING).setModelVersion(provider::currentVersion)
        .setManifest(Optional::empty)
        .setMetrics(((PrometheusMeterRegistry) metrics.registry())::scrape).setUsers(users)
        .optScoring(scoring).build();
    server.start();
  }

  @AfterEach
  void stop() {
    server.close();
    scoring.close();
  }

  private static <V> ReadOnlyKeyValueStore<String, V> store(Map<String, V> map) {
    return new ReadOnlyKeyValueStore<>() {
      @Override
      public V get(String key) {
        return map.get(key);
      }

      @Override
      public KeyValueIterator<String, V> range(String from, String to) {
        throw new UnsupportedOperationException();
      }

      @Override
      public KeyValueIterator<String, V> all() {
        throw new UnsupportedOperationException();
      }

      @Override
      public long approximateNumEntries() {
        return map.size();
      }
    };
  }

  @Test
  void slowModelCallsNeverHoldUpHealthOrMetrics() throws Exception {
    java.util.concurrent.CountDownLatch entered = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    provider.release("slow", () -> new Model("slow") {
      @Override
      public float[] score(List<FeatureRow> rows) {
        entered.countDown();
        try {
          release.await(20, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return super.score(rows);
      }
    });
    String body = "{\"userId\":\"alice\",\"candidates\":[\"1\"]}";
    var pending = new ArrayList<java.util.concurrent.CompletableFuture<HttpResponse<String>>>();
    for (int i = 0; i < 3; i++) { // more /score requests than the HTTP server's two workers
      pending.add(client.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port()
          + "/score")).timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
          HttpResponse.BodyHandlers.ofString()));
    }
    assertThat(entered.await(10, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
    for (String path : List.of("/health/live", "/metrics")) {
      HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
          + server.port() + path)).timeout(Duration.ofSeconds(3)).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(path + " while model calls block").isEqualTo(200);
    }
    assertThat(pending).noneMatch(java.util.concurrent.CompletableFuture::isDone);
    release.countDown();
    for (var f : pending) {
      assertThat(f.get(20, java.util.concurrent.TimeUnit.SECONDS).statusCode()).isEqualTo(200);
    }
  }

  private HttpResponse<String> post(String body) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/score"))
        .timeout(Duration.ofSeconds(10)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static JsonNode json(HttpResponse<String> r) throws Exception {
    return Json.mapper().readTree(r.body());
  }

  @Test
  void scoresEveryCandidateInOrderInOneModelCall() throws Exception {
    provider.release("v1", () -> new Model("v1"));
    HttpResponse<String> r = post("{\"userId\":\"alice\",\"candidates\":[\"2\",\"1\",\"404\"]}");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode body = json(r);
    assertThat(body.get("userId").asText()).isEqualTo("alice");
    assertThat(body.get("modelVersion").asText()).isEqualTo("v1");
    assertThat(body.get("prior").asBoolean()).isFalse();
    JsonNode scores = body.get("scores");
    assertThat(scores).hasSize(3);
    assertThat(scores.get(0).get("movieId").asText()).isEqualTo("2");
    assertThat(scores.get(0).get("score").asDouble()).isEqualTo(Double.parseDouble(Float.toString(0.2f)));
    assertThat(scores.get(1).get("movieId").asText()).isEqualTo("1");
    assertThat(scores.get(1).get("score").asDouble()).isEqualTo(Double.parseDouble(Float.toString(0.2f + 0.25f)));
    assertThat(scores.get(2).get("movieId").asText()).isEqualTo("404");
    assertThat(calls).as("one batched model call per request").hasSize(1);
    List<FeatureRow> rows = calls.get(0);
    assertThat(rows).extracting(FeatureRow::movieId).containsExactly("2", "1", "404");
    assertThat(rows.get(1).history()).containsExactly("10", "20");
    assertThat(rows.get(1).negatives()).containsExactly("77", "88");
    assertThat(rows.get(1).genres()).containsExactly("Comedy");
    assertThat(rows.get(1).userId()).isEqualTo("alice");
    assertThat(rows.get(1).gender()).isEqualTo("F");

    // A newer model is taken before the next request.
    provider.release("v2", () -> new Model("v2"));
    assertThat(json(post("{\"userId\":\"alice\",\"candidates\":[\"1\"]}")).get("modelVersion").asText())
        .isEqualTo("v2");

    String scrape = ((PrometheusMeterRegistry) metrics.registry()).scrape();
    assertThat(scrape).contains("ctr_score_requests_total{outcome=\"ok\"} 2.0")
        .contains("ctr_score_request_latency_seconds_count 2")
        .contains("ctr_score_request_latency_seconds_bucket");
  }

  @Test
  void aColdUserIsScoredByThePriorBeforeAnyRelease() throws Exception {
    HttpResponse<String> r = post("{\"userId\":\"stranger\",\"candidates\":[\"1\",\"2\"]}");
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode body = json(r);
    assertThat(body.get("modelVersion").asText()).isEqualTo("prior");
    assertThat(body.get("prior").asBoolean()).isTrue();
    assertThat(body.get("scores").get(0).get("score").asDouble()).isEqualTo(0.3);
    assertThat(body.get("scores").get(1).get("score").asDouble()).isEqualTo(0.3);
  }

  @Test
  void redirectsToTheHolderAndAnswers503WhileNobodyCan() throws Exception {
    HttpResponse<String> r = post("{\"userId\":\"bob\",\"candidates\":[\"1\"]}");
    assertThat(r.statusCode()).isEqualTo(307);
    assertThat(r.headers().firstValue("Location")).hasValue("http://scorer-2:8080/score");
    assertThat(json(r).get("instance").asText()).isEqualTo("scorer-2:8080");

    HttpResponse<String> busy = post("{\"userId\":\"carol\",\"candidates\":[\"1\"]}");
    assertThat(busy.statusCode()).isEqualTo(503);
    assertThat(json(busy).get("error").asText()).isEqualTo("rebalancing");

    storesDown.set(true);
    HttpResponse<String> restoring = post("{\"userId\":\"alice\",\"candidates\":[\"1\"]}");
    assertThat(restoring.statusCode()).isEqualTo(503);
    assertThat(json(restoring).get("error").asText()).contains("not queryable");
    assertThat(((PrometheusMeterRegistry) metrics.registry()).scrape())
        .contains("ctr_score_requests_total{outcome=\"redirect\"} 1.0")
        .contains("ctr_score_requests_total{outcome=\"unavailable\"} 2.0");
  }

  @Test
  void badBodiesAre400WithAReasonAndTooManyCandidates413() throws Exception {
    Map<String, String> bad = new java.util.LinkedHashMap<>();
    bad.put("not json", "not JSON");
    bad.put("[1,2]", "JSON object");
    bad.put("{\"candidates\":[\"1\"]}", "userId is missing");
    bad.put("{\"userId\":7,\"candidates\":[\"1\"]}", "userId must be a string");
    bad.put("{\"userId\":\"\",\"candidates\":[\"1\"]}", "userId must not be empty");
    bad.put("{\"userId\":\"" + "x".repeat(MAX_KEY_BYTES + 1) + "\",\"candidates\":[\"1\"]}", "more than max.key.bytes");
    bad.put("{\"userId\":\"a\"}", "candidates must be an array");
    bad.put("{\"userId\":\"a\",\"candidates\":\"1\"}", "candidates must be an array");
    bad.put("{\"userId\":\"a\",\"candidates\":[]}", "must not be empty");
    bad.put("{\"userId\":\"a\",\"candidates\":[\"1\",2]}", "candidates[1] must be a string");
    bad.put("{\"userId\":\"a\",\"candidates\":[\"1\",\"\"]}", "candidates[1] must not be empty");
    bad.put("{\"userId\":\"a\",\"candidates\":[\"1\",\"2\",\"1\"]}", "candidates[2] \"1\" is a duplicate");
    bad.put("{\"userId\":\"a\",\"candidates\":[\"1\"],\"user\":\"b\"}", "unknown field \"user\"");
    bad.put("{\"userId\":\"a\",\"candidates\":[\"1\"],\"impressionIds\":[]}", "as long as candidates");
    for (Map.Entry<String, String> e : bad.entrySet()) {
      HttpResponse<String> r = post(e.getKey());
      assertThat(r.statusCode()).as(e.getKey()).isEqualTo(400);
      assertThat(json(r).get("error").asText()).as(e.getKey()).contains(e.getValue());
    }
    HttpResponse<String> many = post("{\"userId\":\"a\",\"candidates\":[\"1\",\"2\",\"3\",\"4\",\"5\"]}");
    assertThat(many.statusCode()).isEqualTo(413);
    assertThat(json(many).get("error").asText()).contains("5 candidates, more than score.max.candidates 4");
    HttpResponse<String> huge = post("{\"userId\":\"a\",\"candidates\":[\"" + "y".repeat(200_000) + "\"]}");
    assertThat(huge.statusCode()).isEqualTo(413);
    assertThat(calls).as("nothing invalid reaches the model").isEmpty();

    HttpResponse<String> get = client.send(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + server.port() + "/score")).GET().build(), HttpResponse.BodyHandlers.ofString());
    assertThat(get.statusCode()).isEqualTo(405);
    assertThat(get.headers().firstValue("Allow")).hasValue("POST");
    assertThat(((PrometheusMeterRegistry) metrics.registry()).scrape())
        .contains("ctr_score_requests_total{outcome=\"too_large\"} 2.0")
        .contains("ctr_score_requests_total{outcome=\"bad_request\"} " + (bad.size() + 1) + ".0");
  }

  @Test
  void validRequestsParse() throws Exception {
    ScoreRequest r = ScoreRequest.parse("{\"userId\":\"é\",\"candidates\":[\"1\",\"2\"],\"impressionIds\":[\"i1\",\"i2\"]}"
        .getBytes(StandardCharsets.UTF_8), MAX_CANDIDATES, MAX_KEY_BYTES);
    assertThat(r.userId()).isEqualTo("é");
    assertThat(r.candidates()).containsExactly("1", "2");
    assertThat(r.impressionIds()).containsExactly("i1", "i2");
    assertThatThrownBy(() -> ScoreRequest.parse("{\"userId\":\"\\ud800\",\"candidates\":[\"1\"]}"
        .getBytes(StandardCharsets.UTF_8), MAX_CANDIDATES, MAX_KEY_BYTES))
        .isInstanceOf(ScoreRequest.Invalid.class).hasMessageContaining("not valid Unicode");
  }

  @Test
  void aModelThatGivesNoProbabilityIs500AndMarksItUnhealthy() throws Exception {
    provider.release("bad", () -> new BatchScorer() {
      @Override
      public float[] score(List<FeatureRow> rows) {
        float[] out = new float[rows.size()];
        java.util.Arrays.fill(out, Float.NaN);
        return out;
      }

      @Override
      public String modelVersion() {
        return "bad";
      }

      @Override
      public void close() {}
    });
    HttpResponse<String> r = post("{\"userId\":\"alice\",\"candidates\":[\"1\"]}");
    assertThat(r.statusCode()).isEqualTo(500);
    assertThat(json(r).get("error").asText()).contains("non-finite");
    assertThat(metrics.unhealthyModel("bad")).isPresent();
  }
}
