package io.ctrstream.streams.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Json;
import io.ctrstream.schemas.Score;
import io.ctrstream.streams.ScorerApp;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.state.UserState;
import io.ctrstream.streams.topology.FeatureAssembler;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves that {@code POST /score} scores as the stream path does, on a real broker with the
 * service (release follower, HTTP, a tiny real DIEN released through {@code model-releases}): a
 * user rates movies (history, negatives, genre counters, movie stats); once that state is
 * visible, impressions of the same (user, movie) pairs are scored by the stream, and one request
 * for the same movies answers the same scores (within 1e-6) with the same model version, for a
 * known user and for a cold one.
 */
@ExtendWith(SharedBroker.class)
class ScoreRequestIntegrationTest {
  @TempDir Path stateDir;

  private final HttpClient client = HttpClient.newHttpClient();

  private JsonNode post(int port, String body) throws Exception {
    HttpResponse<String> r = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/score"))
        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return Json.mapper().readTree(r.body());
  }

  @Test
  void aRequestScoresWhatTheStreamScoresForTheSameUserAndMovies(EmbeddedKafka kafka) throws Exception {
    ModelBundle model = TinyDien.bundle("dien-r", 12, 3, System.currentTimeMillis());
    List<String> candidates = List.of("m4", "m5", "m6", "m1", "m11", "unknown-movie");
    long t0 = 1_767_225_600_000L;
    try (ScoringFlow flow = new ScoringFlow(kafka, "score-request")) {
      flow.release(TinyDien.release(model));
      for (int m = 0; m < 12; m++) {
        flow.movie("m" + m, TinyDien.GENRES.get(m % 3));
      }
      flow.user("u1", "F", 30, "occ1", "zip2");
      flow.flush();
      ScoringFlow.Reader<Score> scores = flow.reader(flow.topics.scores(), true);
      try (ScorerApp app = ScorerApp.builder().setConfig(flow.config("app", stateDir, Map.of()))
          .optFollowReleases(true).optHttp(true).optMetrics(ScorerMetrics.prometheus()).build()) {
        app.start();
        ScoringFlow.awaitRunning(app.streams());
        int port = app.httpPort().orElseThrow();
        flow.rating("u1", "m1", 5.0, t0);
        flow.rating("u1", "m2", 4.0, t0 + 1);
        flow.rating("u1", "m3", 2.0, t0 + 2);
        flow.rating("u2", "m4", 5.0, t0 + 3);
        flow.flush();
        // The user's state and every movie's stats are in place before anything is scored.
        await().atMost(ScoringFlow.WAIT).ignoreExceptions().until(() -> {
          FeatureAssembler f = FeatureAssembler.queryable(app.streams());
          return f.assemble("m3", UserState.EMPTY).movieRatings() == 1
              && f.assemble("m4", UserState.EMPTY).movieRatings() == 1
              && post(port, "{\"userId\":\"u1\",\"candidates\":[\"m1\"]}").get("modelVersion").asText().equals("dien-r");
        });
        await().atMost(ScoringFlow.WAIT).ignoreExceptions().until(() -> {
          HttpResponse<String> u = client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/users/u1"))
              .build(), HttpResponse.BodyHandlers.ofString());
          return u.statusCode() == 200 && Json.mapper().readTree(u.body()).get("history").size() == 2;
        });

        int k = 0;
        for (String movie : candidates) {
          flow.impression("i-u1-" + k++, "u1", movie, t0 + 100 + k);
          flow.impression("i-cold-" + k, "cold", movie, t0 + 100 + k);
        }
        flow.flush();
        await().atMost(ScoringFlow.WAIT).pollInSameThread()
            .until(() -> scores.values().size() >= 2 * candidates.size());
        Map<String, Score> streamed = new HashMap<>();
        scores.values().forEach(s -> streamed.put(s.userId() + "/" + s.movieId(), s));

        String list = "[\"" + String.join("\",\"", candidates) + "\"]";
        for (String user : List.of("u1", "cold")) {
          JsonNode answer = post(port, "{\"userId\":\"" + user + "\",\"candidates\":" + list + "}");
          assertThat(answer.get("userId").asText()).isEqualTo(user);
          assertThat(answer.get("modelVersion").asText()).isEqualTo("dien-r");
          assertThat(answer.get("prior").asBoolean()).isFalse();
          JsonNode got = answer.get("scores");
          assertThat(got).hasSize(candidates.size());
          for (int i = 0; i < candidates.size(); i++) {
            String movie = candidates.get(i);
            Score s = streamed.get(user + "/" + movie);
            assertThat(s.modelVersion()).isEqualTo("dien-r");
            assertThat(got.get(i).get("movieId").asText()).isEqualTo(movie);
            assertThat(got.get(i).get("score").asDouble()).as(user + "/" + movie).isCloseTo(s.score(), within(1e-6));
          }
        }
        JsonNode known = post(port, "{\"userId\":\"u1\",\"candidates\":" + list + "}");
        JsonNode cold = post(port, "{\"userId\":\"cold\",\"candidates\":" + list + "}");
        assertThat(known.get("scores")).as("the user's history changes the scores").isNotEqualTo(cold.get("scores"));
      }
    }
  }
}
