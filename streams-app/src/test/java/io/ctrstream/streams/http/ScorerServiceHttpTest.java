package io.ctrstream.streams.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Json;
import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.Rating;
import io.ctrstream.schemas.TopicSpec;
import io.ctrstream.schemas.UserProfile;
import io.ctrstream.streams.ScorerApp;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.streams.release.TinyBundles;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the service wiring on a real in-process broker: {@link ScorerApp#service} creates its
 * missing topics, loads the release already on {@code model-releases} before Streams starts, binds
 * HTTP on a free port and advertises it as {@code application.server}; /health turns 200 once
 * Streams runs, /model shows the loaded manifest, /metrics carries Kafka Streams' own metrics and
 * ours, and /users/{id} answers a user's history through interactive queries (404 for a stranger).
 */
class ScorerServiceHttpTest {
  @TempDir Path stateDir;

  private final HttpClient client = HttpClient.newHttpClient();

  private HttpResponse<String> get(int port, String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theServiceAnswersHealthModelMetricsAndUsers() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().start()) {
      Map<String, String> v = new HashMap<>();
      v.put("bootstrap.servers", kafka.bootstrapServers());
      v.put("application.id", "http-service-test");
      v.put("topic.prefix", "httptest.");
      v.put("state.dir", stateDir.toString());
      v.put("history.length", "3");
      v.put("http.port", "0");
      v.put("event.time.earliest.ms", "0"); // the rating below is at 1970-01-01T00:00:01Z
      ScorerConfig config = ScorerConfig.fromMap(v);
      assertThat(ScorerApp.createMissingTopics(config, config.topics(), (short) 1))
          .contains("httptest.model-releases", "httptest.ratings");
      assertThat(ScorerApp.createMissingTopics(config, config.topics(), (short) 1)).isEmpty();

      ModelBundle a = TinyBundles.bundle("v-a", 1, 1_000L);
      Map<String, Object> p = new HashMap<>(kafka.clientConfig());
      p.put(ProducerConfig.ACKS_CONFIG, "all");
      try (KafkaProducer<String, byte[]> producer =
          new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer())) {
        send(producer, config.topics().modelReleases(), TinyBundles.MODEL, TinyBundles.release(a));
        producer.flush();

        try (ScorerApp app = ScorerApp.service(config)) {
          int port = app.httpPort().orElseThrow();
          assertThat(app.config().advertisedEndpoint()).isEqualTo("127.0.0.1:" + port);
          app.start();
          assertThat(app.modelVersion()).as("the release present at start is loaded first").isEqualTo("v-a");
          await().atMost(Duration.ofSeconds(90)).until(() -> app.streams().state() == KafkaStreams.State.RUNNING);

          HttpResponse<String> health = get(port, "/health");
          assertThat(health.statusCode()).isEqualTo(200);
          assertThat(Json.mapper().readTree(health.body()).get("modelVersion").asText()).isEqualTo("v-a");
          assertThat(Json.mapper().readTree(get(port, "/model").body()).get("version").asText()).isEqualTo("v-a");

          send(producer, config.topics().movies(), "1", new Movie("1", "one", List.of("Comedy")));
          send(producer, config.topics().movies(), "2", new Movie("2", "two", List.of("Drama")));
          send(producer, config.topics().users(), "u1", new UserProfile("u1", "F", 30, "writer", "12345"));
          send(producer, config.topics().ratings(), "u1", new Rating("u1", "1", 5.0, 1_000L));
          producer.flush();

          await().atMost(Duration.ofSeconds(60)).ignoreExceptions().untilAsserted(() -> {
            HttpResponse<String> r = get(port, "/users/u1");
            assertThat(r.statusCode()).isEqualTo(200);
            JsonNode u = Json.mapper().readTree(r.body());
            assertThat(u.get("profile").get("age").asInt()).isEqualTo(30);
            assertThat(u.get("history").get(0).get("movieId").asText()).isEqualTo("1");
            assertThat(u.get("negatives").get(0).asText()).isEqualTo("2");
          });
          assertThat(get(port, "/users/nobody").statusCode()).isEqualTo(404);

          String metrics = get(port, "/metrics").body();
          assertThat(metrics).contains("kafka_stream_").contains("ctr_model_swaps_total 1.0")
              .containsPattern("ctr_model_info\\{version=\"v-a\"} 1");
        }
      }
    }
  }

  private static <V> void send(KafkaProducer<String, byte[]> producer, TopicSpec<String, V> topic, String key, V value) {
    producer.send(new ProducerRecord<>(topic.name(), null, 1_000L, key, topic.valueSerde().serialize(value)));
  }
}
