package io.ctrstream.streams.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the configuration's precedence (defaults, then file, then environment), its validation
 * messages, and the Kafka Streams properties it implies (exactly-once, bounded RocksDB).
 */
class ScorerConfigTest {
  @TempDir Path dir;

  @Test
  void defaultsAreTheDocumentedOnes() {
    ScorerConfig c = ScorerConfig.defaults();
    assertThat(c.historyLength()).isEqualTo(10);
    assertThat(c.processingGuarantee()).isEqualTo(StreamsConfig.EXACTLY_ONCE_V2);
    assertThat(c.httpHost()).isEqualTo("127.0.0.1");
    assertThat(c.topicPrefix()).isEmpty();
    assertThat(ScorerConfig.SETTINGS).hasSize(c.asMap().size());
    assertThat(ScorerConfig.SETTINGS).allSatisfy(s -> assertThat(s.description()).isNotBlank());
  }

  @Test
  void environmentOverridesFileOverridesDefaults() throws IOException {
    Path file = dir.resolve("scorer.properties");
    Files.writeString(file, "bootstrap.servers=file:9092\nhistory.length=7\nbatch.size=16\n");
    ScorerConfig c = ScorerConfig.load(file,
        Map.of("CTR_BOOTSTRAP_SERVERS", "env:9092", "CTR_TOPIC_PREFIX", "dev.", "PATH", "/bin"));
    assertThat(c.bootstrapServers()).isEqualTo("env:9092");
    assertThat(c.historyLength()).isEqualTo(7);
    assertThat(c.batchSize()).isEqualTo(16);
    assertThat(c.topicPrefix()).isEqualTo("dev.");
    assertThat(c.topics().impressions().name()).isEqualTo("dev.impressions");
    assertThat(c.maxBatchWaitMs()).isEqualTo(50);
  }

  @Test
  void badValuesStopTheStartWithWhatToChange() throws IOException {
    assertThatThrownBy(() -> ScorerConfig.fromMap(Map.of("history.length", "0")))
        .hasMessageContaining("history.length must be > 0, got 0");
    assertThatThrownBy(() -> ScorerConfig.fromMap(Map.of("batch.size", "many")))
        .hasMessageContaining("batch.size must be an integer, got \"many\"");
    assertThatThrownBy(() -> ScorerConfig.fromMap(Map.of("processing.guarantee", "exactly_once")))
        .hasMessageContaining("processing.guarantee must be exactly_once_v2 or at_least_once");
    assertThatThrownBy(() -> ScorerConfig.fromMap(Map.of("prior.probability", "1")))
        .hasMessageContaining("prior.probability must be in (0, 1), got 1.0");
    Path file = dir.resolve("typo.properties");
    Files.writeString(file, "histroy.length=3\n");
    assertThatThrownBy(() -> ScorerConfig.load(file, Map.of()))
        .hasMessageContaining("unknown setting \"histroy.length\"");
  }

  @Test
  void sessionTimeoutAndStaticMembershipReachTheMainConsumer() {
    Properties dynamic = ScorerConfig.defaults().toStreamsProperties();
    assertThat(dynamic.get(StreamsConfig.mainConsumerPrefix("session.timeout.ms"))).isEqualTo(45_000);
    assertThat(dynamic.get(StreamsConfig.mainConsumerPrefix("heartbeat.interval.ms"))).isEqualTo(3_000);
    assertThat(dynamic).doesNotContainKey(StreamsConfig.mainConsumerPrefix("group.instance.id"));

    Properties fixed = ScorerConfig.fromMap(Map.of("session.timeout.ms", "6000", "instance.id", "scorer-0"))
        .toStreamsProperties();
    assertThat(fixed.get(StreamsConfig.mainConsumerPrefix("session.timeout.ms"))).isEqualTo(6_000);
    assertThat(fixed.get(StreamsConfig.mainConsumerPrefix("heartbeat.interval.ms"))).isEqualTo(2_000);
    assertThat(fixed.get(StreamsConfig.mainConsumerPrefix("group.instance.id"))).isEqualTo("scorer-0");

    assertThatThrownBy(() -> ScorerConfig.fromMap(Map.of("session.timeout.ms", "0")))
        .hasMessageContaining("session.timeout.ms must be > 0, got 0");
    assertThatThrownBy(() -> ScorerConfig.fromMap(Map.of("instance.id", " scorer-0")))
        .hasMessageContaining("instance.id must be at most 200 characters without surrounding spaces");
  }

  @Test
  void streamsPropertiesCarryGuaranteeStandbysAndBoundedRocksDb() {
    ScorerConfig c = ScorerConfig.fromMap(Map.of("standby.replicas", "2", "rocksdb.memory.bytes", "33554432"));
    Properties p = c.toStreamsProperties();
    assertThat(p.get(StreamsConfig.PROCESSING_GUARANTEE_CONFIG)).isEqualTo("exactly_once_v2");
    assertThat(p.get(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG)).isEqualTo(2);
    assertThat(p.get(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG)).isEqualTo(BoundedRocksDbConfig.class);
    assertThat(p.get(ScorerConfig.ROCKSDB_MEMORY_PROPERTY)).isEqualTo("33554432");
    assertThat(p.get(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG))).isEqualTo("none");
  }

  @Test
  void compressionIsASettingThatKafkaAccepts() {
    Properties p = ScorerConfig.fromMap(Map.of("compression.type", "zstd")).toStreamsProperties();
    assertThat(p.get(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG))).isEqualTo("zstd");
    for (String type : ScorerConfig.COMPRESSION_TYPES) {
      // every value offered is one the producer's own validation takes
      ProducerConfig.configDef().parse(Map.of(ProducerConfig.COMPRESSION_TYPE_CONFIG, type,
          ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class,
          ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class));
    }
    assertThatThrownBy(() -> ScorerConfig.fromMap(Map.of("compression.type", "LZ4")))
        .hasMessageContaining("compression.type must be one of none, lz4, zstd, snappy, gzip, got LZ4");
  }

  @Test
  void withOverridesKeepsTheRest() {
    ScorerConfig c = ScorerConfig.defaults().with(Map.of("batch.size", "5"));
    assertThat(c.batchSize()).isEqualTo(5);
    assertThat(c.historyLength()).isEqualTo(10);
  }
}
