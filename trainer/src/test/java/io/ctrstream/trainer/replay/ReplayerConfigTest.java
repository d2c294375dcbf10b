package io.ctrstream.trainer.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstream.schemas.Topics;
import io.ctrstream.trainer.movielens.MovieLensData;
import io.ctrstream.trainer.movielens.MovieLensFormat;
import io.ctrstream.trainer.movielens.Rating;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves, without a broker, what the builder refuses and with which message, that the producer
 * is idempotent with acks=all whatever the client properties say while security settings pass
 * through, that the limit keeps the earliest ratings, and how a --command-config file is read and
 * masked for logs.
 */
class ReplayerConfigTest {

  private static final MovieLensData DATA = new MovieLensData(MovieLensFormat.ML_100K,
      List.of(new Rating(1, 10, 4f, 300), new Rating(2, 10, 5f, 100), new Rating(1, 20, 1f, 200)),
      Map.of(), Map.of());

  private static Replayer.Builder valid() {
    return Replayer.builder()
        .setBootstrapServers("localhost:9092")
        .setTopics(Topics.defaults())
        .setDataset(DATA);
  }

  @Test
  void buildRefusesMissingOrImpossibleSettingsWithAHint() {
    assertThatThrownBy(() -> valid().setBootstrapServers(" ").build())
        .hasMessageContaining("bootstrapServers is required");
    assertThatThrownBy(() -> valid().setTopics(null).build())
        .hasMessageContaining("Topics.defaults()");
    assertThatThrownBy(() -> valid().setDataset(null).build())
        .hasMessageContaining("MovieLensReader.read");
    assertThatThrownBy(() -> valid().optSpeed(-5).build())
        .hasMessage("speed must be > 0 events/s (or unset for max), got -5.0");
    assertThatThrownBy(() -> valid().optLimit(0).build())
        .hasMessage("limit must be > 0 ratings (or unset for all), got 0");
    assertThatThrownBy(() -> valid().optPauseBetweenPhases(Duration.ofSeconds(-1)).build())
        .hasMessageContaining("pause between phases must be >= 0");
    assertThatThrownBy(() -> valid().optCheckpoints(Checkpoints.none(), null).build())
        .hasMessageContaining("Checkpoints.none()");
  }

  @Test
  void producerIsIdempotentWithAcksAllWhateverThePropertiesSay() {
    Map<String, Object> config = valid()
        .optProducerProperties(Map.of(
            "acks", "1",
            "enable.idempotence", "false",
            "max.in.flight.requests.per.connection", "5",
            "bootstrap.servers", "elsewhere:1",
            "security.protocol", "SASL_SSL",
            "linger.ms", "50"))
        .build()
        .producerConfig();

    assertThat(config)
        .containsEntry("acks", "all")
        .containsEntry("enable.idempotence", "true")
        .containsEntry("max.in.flight.requests.per.connection", "1")
        .containsEntry("bootstrap.servers", "localhost:9092")
        .containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("linger.ms", "50")
        .doesNotContainKeys("key.serializer", "value.serializer");
  }

  @Test
  void adminGetsTheSecuritySettingsButNoProducerDefaults() {
    Map<String, Object> config = valid()
        .optProducerProperties(Map.of("security.protocol", "SSL"))
        .build()
        .adminConfig();
    assertThat(config)
        .containsEntry("security.protocol", "SSL")
        .containsEntry("bootstrap.servers", "localhost:9092")
        .doesNotContainKeys("acks", "linger.ms");
  }

  @Test
  void limitKeepsTheEarliestRatingsInTimeOrder() {
    assertThat(valid().optLimit(2).build().events())
        .extracting(Rating::timestamp).containsExactly(100L, 200L);
    assertThat(valid().build().events())
        .extracting(Rating::timestamp).containsExactly(100L, 200L, 300L);
  }

  @Test
  void clientPropertiesAreReadTrimmedAndMaskedForLogs(@TempDir Path dir) throws IOException {
    Path file = dir.resolve("client.properties");
    Files.writeString(file, """
        # a SASL_SSL cluster
        security.protocol = SASL_SSL
        sasl.mechanism=PLAIN
        sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required \\
            username="u" password="p";
        ssl.truststore.password=changeit
        """);

    Map<String, Object> props = ClientProperties.load(file);

    assertThat(props).containsEntry("security.protocol", "SASL_SSL")
        .containsEntry("sasl.mechanism", "PLAIN")
        .containsEntry("ssl.truststore.password", "changeit");
    assertThat((String) props.get("sasl.jaas.config")).endsWith("username=\"u\" password=\"p\";");
    assertThat(ClientProperties.masked(props))
        .containsEntry("sasl.jaas.config", "[hidden]")
        .containsEntry("ssl.truststore.password", "[hidden]")
        .containsEntry("sasl.mechanism", "PLAIN");
    assertThatThrownBy(() -> ClientProperties.load(dir.resolve("absent.properties")))
        .hasMessageContaining("absent.properties does not exist");
  }
}
