package io.ctrstream.streams.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Json;
import io.ctrstream.streams.ScorerApp;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.state.StoreNames;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsMetadata;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves that {@code POST /score} on an instance that does not hold the user answers 307 to the
 * holder's {@code /score}, and that following it gives the holder's answer (from the user's
 * history there): two scorer services of one application share the four partitions.
 */
@ExtendWith(SharedBroker.class)
class ScoreRequestForwardingIntegrationTest {
  @TempDir Path stateA;
  @TempDir Path stateB;

  private static HttpResponse<String> post(HttpClient client, String endpoint, String body) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://" + endpoint + "/score"))
        .timeout(Duration.ofSeconds(30)).POST(HttpRequest.BodyPublishers.ofString(body)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void anInstanceThatDoesNotHoldTheUserRedirectsToTheOneThatDoes(EmbeddedKafka kafka) throws Exception {
    ModelBundle model = TinyDien.bundle("dien-f", 12, 5, System.currentTimeMillis());
    HttpClient direct = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
    HttpClient following = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NORMAL).build();
    long t0 = 1_767_225_600_000L;
    try (ScoringFlow flow = new ScoringFlow(kafka, "score-forward")) {
      flow.release(TinyDien.release(model));
      for (int m = 0; m < 12; m++) {
        flow.movie("m" + m, TinyDien.GENRES.get(m % 3));
      }
      flow.flush();
      try (ScorerApp a = ScorerApp.builder().setConfig(flow.config("app", stateA, Map.of()))
              .optFollowReleases(true).optHttp(true).optMetrics(ScorerMetrics.prometheus()).build();
          ScorerApp b = ScorerApp.builder().setConfig(flow.config("app", stateB, Map.of()))
              .optFollowReleases(true).optHttp(true).optMetrics(ScorerMetrics.prometheus()).build()) {
        a.start();
        b.start();
        String endpointA = a.config().advertisedEndpoint();
        String endpointB = b.config().advertisedEndpoint();
        // Both instances run and each holds some partitions.
        await().atMost(ScoringFlow.WAIT).ignoreExceptions().until(() ->
            a.streams().state() == KafkaStreams.State.RUNNING && b.streams().state() == KafkaStreams.State.RUNNING
                && a.streams().metadataForAllStreamsClients().size() == 2
                && a.streams().metadataForAllStreamsClients().stream().allMatch(m -> !m.topicPartitions().isEmpty()));
        String userOnB = null;
        for (int u = 0; u < 100 && userOnB == null; u++) {
          String id = "u" + u;
          if (a.streams().queryMetadataForKey(StoreNames.USER_STATE, id, Serdes.String().serializer())
              .activeHost().port() == b.httpPort().orElseThrow()) {
            userOnB = id;
          }
        }
        assertThat(userOnB).as("some user is held by B").isNotNull();
        flow.rating(userOnB, "m1", 5.0, t0);
        flow.rating(userOnB, "m2", 5.0, t0 + 1);
        flow.flush();
        String user = userOnB;
        await().atMost(ScoringFlow.WAIT).ignoreExceptions().until(() -> {
          HttpResponse<String> r = direct.send(HttpRequest.newBuilder(URI.create("http://" + endpointB + "/users/" + user))
              .build(), HttpResponse.BodyHandlers.ofString());
          return r.statusCode() == 200 && Json.mapper().readTree(r.body()).get("history").size() == 2;
        });
        String body = "{\"userId\":\"" + user + "\",\"candidates\":[\"m4\",\"m5\",\"m1\"]}";
        HttpResponse<String> onHolder = post(direct, endpointB, body);
        assertThat(onHolder.statusCode()).as(onHolder.body()).isEqualTo(200);
        JsonNode holderAnswer = Json.mapper().readTree(onHolder.body());
        assertThat(holderAnswer.get("modelVersion").asText()).isEqualTo("dien-f");

        HttpResponse<String> elsewhere = post(direct, endpointA, body);
        assertThat(elsewhere.statusCode()).as(elsewhere.body()).isEqualTo(307);
        assertThat(elsewhere.headers().firstValue("Location")).hasValue("http://" + endpointB + "/score");

        HttpResponse<String> followed = post(following, endpointA, body);
        assertThat(followed.statusCode()).as(followed.body()).isEqualTo(200);
        assertThat(Json.mapper().readTree(followed.body())).isEqualTo(holderAnswer);

        JsonNode cold = Json.mapper().readTree(post(following, endpointA,
            "{\"userId\":\"nobody-at-all\",\"candidates\":[\"m4\",\"m5\",\"m1\"]}").body());
        assertThat(cold.get("scores")).as("the holder's history was used").isNotEqualTo(holderAnswer.get("scores"));
      }
    }
  }
}
