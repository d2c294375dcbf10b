package io.ctrstream.streams.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the service settings: docker-compose's variable names work (CTR_NUM_STANDBY_REPLICAS as
 * an alias that yields to CTR_STANDBY_REPLICAS), application.server is the advertised endpoint
 * (the bind address unless it is a wildcard), and a Kafka client properties file reaches the
 * Streams properties without overriding what the scorer sets itself.
 */
class ScorerConfigServiceSettingsTest {
  @TempDir Path dir;

  @Test
  void composeVariableNamesAreRead() throws IOException {
    ScorerConfig c = ScorerConfig.load(null, Map.of(
        "CTR_BOOTSTRAP_SERVERS", "kafka:9092", "CTR_APPLICATION_ID", "scorer-x",
        "CTR_PROCESSING_GUARANTEE", "at_least_once", "CTR_NUM_STANDBY_REPLICAS", "1",
        "CTR_BATCH_SIZE", "64", "CTR_BATCH_MAX_WAIT_MS", "20", "CTR_HTTP_PORT", "8080",
        "CTR_STATE_DIR", "/var/lib/ctr", "CTR_HTTP_HOST", "0.0.0.0", "CTR_TOPIC_PREFIX", "p."));
    assertThat(c.standbyReplicas()).isEqualTo(1);
    assertThat(c.applicationId()).isEqualTo("scorer-x");
    assertThat(c.maxBatchWaitMs()).isEqualTo(20);
    assertThat(c.stateDir()).isEqualTo("/var/lib/ctr");
    assertThat(c.httpHost()).isEqualTo("0.0.0.0");
    assertThat(c.advertisedEndpoint()).doesNotStartWith("0.0.0.0").endsWith(":8080");
    assertThat(ScorerConfig.load(null, Map.of("CTR_NUM_STANDBY_REPLICAS", "1", "CTR_STANDBY_REPLICAS", "2"))
        .standbyReplicas()).isEqualTo(2);
  }

  @Test
  void applicationServerIsTheAdvertisedEndpoint() {
    ScorerConfig c = ScorerConfig.defaults().with(Map.of("http.port", "9001"));
    assertThat(c.toStreamsProperties().get(StreamsConfig.APPLICATION_SERVER_CONFIG)).isEqualTo("127.0.0.1:9001");
    ScorerConfig behindWildcard = c.with(Map.of("http.host", "0.0.0.0", "http.advertised.host", "scorer-3"));
    assertThat(behindWildcard.toStreamsProperties().get(StreamsConfig.APPLICATION_SERVER_CONFIG))
        .isEqualTo("scorer-3:9001");
    assertThatThrownBy(() -> behindWildcard.with(Map.of("http.advertised.host", "scorer-3:80")))
        .hasMessageContaining("http.advertised.host must be a host name without port");
  }

  @Test
  void kafkaClientPropertiesReachEveryClientButNotOverTheScorersOwn() throws IOException {
    Path file = dir.resolve("client.properties");
    Files.writeString(file, "security.protocol=SASL_SSL\nsasl.mechanism=PLAIN\nprocessing.guarantee=at_least_once\n");
    ScorerConfig c = ScorerConfig.defaults().with(Map.of("kafka.properties", file.toString()));
    Properties p = c.toStreamsProperties();
    assertThat(p.get(CommonClientConfigs.SECURITY_PROTOCOL_CONFIG)).isEqualTo("SASL_SSL");
    assertThat(p.get("sasl.mechanism")).isEqualTo("PLAIN");
    assertThat(p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
    ScorerConfig missing = ScorerConfig.defaults().with(Map.of("kafka.properties", dir.resolve("nope").toString()));
    assertThatThrownBy(missing::kafkaClientProperties).hasMessageContaining("kafka.properties file")
        .hasMessageContaining("nope");
  }
}
