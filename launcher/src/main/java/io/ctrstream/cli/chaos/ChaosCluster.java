package io.ctrstream.cli.chaos;

import io.ctrstream.cli.bench.BenchCluster;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.TopicSpec;
import io.ctrstream.schemas.Topics;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the chaos runs share: the cluster, the scorer's settings, the catalog, clean-up. */
final class ChaosCluster {
  private static final Logger LOG = LoggerFactory.getLogger(ChaosCluster.class);

  private ChaosCluster() {}

  /** Adds the problems of the cluster options to {@code p}. */
  static void problems(List<String> p, String bootstrapServers, Path kafkaProperties,
      Optional<Short> replicationFactor) {
    if (bootstrapServers != null && bootstrapServers.isBlank()) {
      p.add("bootstrap servers must not be blank (leave them out for an in-process broker)");
    }
    if (bootstrapServers == null && (kafkaProperties != null || replicationFactor.isPresent())) {
      p.add("Kafka properties and a replication factor are for a running cluster: give its"
          + " bootstrap servers too");
    }
    if (kafkaProperties != null && !Files.isReadable(kafkaProperties)) {
      p.add("Kafka properties file " + kafkaProperties + " cannot be read");
    }
    if (replicationFactor.isPresent() && replicationFactor.get() < 1) {
      p.add("replication factor must be >= 1, got " + replicationFactor.get());
    }
  }

  /** A broker in this process, or the running cluster (topics prefixed ctr-chaos-<ms>-). */
  static BenchCluster open(String bootstrapServers, Path kafkaProperties,
      Optional<Short> replicationFactor) {
    return bootstrapServers == null
        ? BenchCluster.inProcess(EmbeddedKafka.builder(), "chaos-")
        : BenchCluster.external("chaos", bootstrapServers, kafkaProperties, replicationFactor);
  }

  /** The scorer's settings on {@code kafka}: its own application id, no HTTP port clash. */
  static Map<String, String> scorerSettings(BenchCluster kafka, Topics topics, Path stateDir,
      Path kafkaProperties) {
    Map<String, String> settings = new HashMap<>(Map.of(
        "bootstrap.servers", kafka.bootstrapServers(),
        "application.id", kafka.namePrefix() + "scorer",
        "topic.prefix", topics.prefix(),
        "state.dir", stateDir.toString(),
        "http.port", "0"));
    if (kafkaProperties != null) {
      settings.put("kafka.properties", kafkaProperties.toString());
    }
    return settings;
  }

  /**
   * As the input chaos: acks=all, not idempotent, one request in flight, no retries (a record
   * sent twice would be two records, and the checks count exactly).
   */
  static Map<String, Object> producerConfig(BenchCluster kafka) {
    Map<String, Object> c = new HashMap<>(kafka.clientConfig());
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    c.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    c.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    c.put(ProducerConfig.RETRIES_CONFIG, 0);
    c.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, 8 << 20);
    return c;
  }

  static KafkaProducer<byte[], byte[]> producer(BenchCluster kafka) {
    return new KafkaProducer<>(producerConfig(kafka), new ByteArraySerializer(), new ByteArraySerializer());
  }

  static <V> void send(KafkaProducer<byte[], byte[]> producer, TopicSpec<String, V> topic,
      String key, V value) {
    producer.send(new ProducerRecord<>(topic.name(), key.getBytes(StandardCharsets.UTF_8),
        topic.valueSerde().serialize(value)));
  }

  /** Users {@code u0..} and movies {@code 1..} of {@link ChaosModels}. */
  static void publishCatalog(KafkaProducer<byte[], byte[]> producer, Topics topics, int users,
      int movies) {
    for (int m = 1; m <= movies; m++) {
      send(producer, topics.movies(), Integer.toString(m), ChaosModels.movie(m));
    }
    for (int u = 0; u < users; u++) {
      send(producer, topics.users(), "u" + u, ChaosModels.user(u));
    }
  }

  static void awaitRunning(KafkaStreams streams, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (streams.state() != KafkaStreams.State.RUNNING) {
      if (System.nanoTime() > deadline || streams.state() == KafkaStreams.State.ERROR) {
        throw new IllegalStateException("the scorer is " + streams.state() + " after "
            + timeout.toSeconds() + " s");
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }

  static void deleteTree(Path root) {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException | UncheckedIOException e) {
      LOG.warn("could not delete the chaos run's files in {}: {}", root, e.getMessage());
    }
  }
}
