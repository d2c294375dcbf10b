package io.ctrstream.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Proves that the in-process broker is a working Kafka: topics are created with the asked
 * partitions and configs (idempotently), a record round-trips through a producer and a consumer
 * group, and transactions work (committed records are visible to read_committed consumers, aborted
 * ones are not), which is what exactly_once_v2 in the scorer needs.
 */
class EmbeddedKafkaTest {

  private static EmbeddedKafka kafka;

  @BeforeAll
  static void start() {
    kafka = EmbeddedKafka.builder().start();
    System.out.printf(
        "embedded Kafka started at %s in %d ms%n",
        kafka.bootstrapServers(), kafka.startupTime().toMillis());
  }

  @AfterAll
  static void stop() {
    if (kafka != null) {
      kafka.close();
    }
  }

  @Test
  void createTopicsCreatesWithPartitionsAndConfigAndIsIdempotent() throws Exception {
    NewTopic compacted =
        new NewTopic("t-compact-" + UUID.randomUUID(), 3, (short) 1)
            .configs(Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT));
    NewTopic plain = new NewTopic("t-plain-" + UUID.randomUUID(), 2, (short) 1);

    assertThat(kafka.createTopics(List.of(compacted, plain)))
        .containsExactlyInAnyOrder(compacted.name(), plain.name());
    // Second call: nothing new, no exception.
    assertThat(kafka.createTopics(List.of(compacted, plain))).isEmpty();

    try (Admin admin = Admin.create(kafka.clientConfig())) {
      Map<String, TopicDescription> described =
          admin.describeTopics(List.of(compacted.name(), plain.name())).allTopicNames().get();
      assertThat(described.get(compacted.name()).partitions()).hasSize(3);
      assertThat(described.get(plain.name()).partitions()).hasSize(2);
      var resource =
          new org.apache.kafka.common.config.ConfigResource(
              org.apache.kafka.common.config.ConfigResource.Type.TOPIC, compacted.name());
      String policy =
          admin
              .describeConfigs(List.of(resource))
              .all()
              .get()
              .get(resource)
              .get(TopicConfig.CLEANUP_POLICY_CONFIG)
              .value();
      assertThat(policy).isEqualTo(TopicConfig.CLEANUP_POLICY_COMPACT);
    }
  }

  @Test
  void recordRoundTripsThroughProducerAndConsumerGroup() throws Exception {
    String topic = "t-roundtrip-" + UUID.randomUUID();
    kafka.createTopics(List.of(new NewTopic(topic, 1, (short) 1)));

    RecordMetadata sent;
    try (KafkaProducer<String, String> producer = producer(Map.of())) {
      sent = producer.send(new ProducerRecord<>(topic, "user-7", "{\"movieId\":\"42\"}")).get();
    }
    assertThat(sent.offset()).isZero();

    try (KafkaConsumer<String, String> consumer = consumer("read_uncommitted")) {
      consumer.subscribe(List.of(topic));
      List<ConsumerRecord<String, String>> seen = pollUntil(consumer, 1);
      assertThat(seen).hasSize(1);
      assertThat(seen.get(0).key()).isEqualTo("user-7");
      assertThat(seen.get(0).value()).isEqualTo("{\"movieId\":\"42\"}");
    }
  }

  @Test
  void transactionalCommitIsVisibleAndAbortIsNot() throws Exception {
    String topic = "t-tx-" + UUID.randomUUID();
    kafka.createTopics(List.of(new NewTopic(topic, 1, (short) 1)));

    try (KafkaProducer<String, String> producer =
        producer(Map.of(ProducerConfig.TRANSACTIONAL_ID_CONFIG, "tx-" + UUID.randomUUID()))) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "k", "aborted"));
      producer.abortTransaction();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "k", "committed"));
      producer.commitTransaction();
    }

    try (KafkaConsumer<String, String> consumer = consumer("read_committed")) {
      consumer.subscribe(List.of(topic));
      List<ConsumerRecord<String, String>> seen = pollUntil(consumer, 1);
      assertThat(seen).extracting(ConsumerRecord::value).containsExactly("committed");
    }
  }

  private static List<ConsumerRecord<String, String>> pollUntil(
      KafkaConsumer<String, String> consumer, int count) {
    List<ConsumerRecord<String, String>> seen = new ArrayList<>();
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              consumer.poll(Duration.ofMillis(200)).forEach(seen::add);
              return seen.size() >= count;
            });
    // One more poll proves nothing extra (e.g. an aborted record) shows up afterwards.
    consumer.poll(Duration.ofMillis(500)).forEach(seen::add);
    return seen;
  }

  private static KafkaProducer<String, String> producer(Map<String, Object> extra) {
    Map<String, Object> config = kafka.clientConfig();
    config.put(ProducerConfig.ACKS_CONFIG, "all");
    config.putAll(extra);
    return new KafkaProducer<>(config, new StringSerializer(), new StringSerializer());
  }

  private static KafkaConsumer<String, String> consumer(String isolation) {
    Map<String, Object> config = kafka.clientConfig();
    config.put(ConsumerConfig.GROUP_ID_CONFIG, "g-" + UUID.randomUUID());
    config.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    return new KafkaConsumer<>(config, new StringDeserializer(), new StringDeserializer());
  }
}
