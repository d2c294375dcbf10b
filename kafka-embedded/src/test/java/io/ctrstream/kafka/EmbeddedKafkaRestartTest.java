package io.ctrstream.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.DescribeClusterResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * A broker restart ({@link EmbeddedKafka#restartBroker(Duration)}) keeps the data: a topic's
 * records, a group's committed offset, the cluster id, the node id and the client address; and
 * the broker takes produce requests and transactions again afterwards.
 */
class EmbeddedKafkaRestartTest {

  @Test
  void restartOnAFixedPortKeepsRecordsOffsetsAndClusterId() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().optPort(port).start()) {
      assertThat(kafka.bootstrapServers()).isEqualTo("localhost:" + port);
      checkRestartKeepsData(kafka);
    }
  }

  @Test
  void restartOnARandomPortComesBackOnTheSamePort() throws Exception {
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().start()) {
      checkRestartKeepsData(kafka);
    }
  }

  @Test
  void stopAndStartAreIdempotentAndRefusedOnceClosed() throws IOException {
    EmbeddedKafka kafka = EmbeddedKafka.builder().start();
    kafka.close();
    assertThat(kafka.brokerRunning()).isFalse();
    assertThatThrownBy(kafka::stopBroker).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(kafka::startBroker).isInstanceOf(IllegalStateException.class);
  }

  private static void checkRestartKeepsData(EmbeddedKafka kafka) throws Exception {
    String topic = "restart-me";
    kafka.createTopics(List.of(new NewTopic(topic, 2, (short) 1)));
    List<String> before = new ArrayList<>();
    try (KafkaProducer<String, String> producer = producer(kafka, null)) {
      for (int i = 0; i < 100; i++) {
        producer.send(new ProducerRecord<>(topic, "k" + i, "v" + i)).get();
        before.add("v" + i);
      }
    }
    String clusterId;
    int nodeId;
    try (Admin admin = Admin.create(kafka.clientConfig())) {
      DescribeClusterResult d = admin.describeCluster();
      clusterId = d.clusterId().get();
      nodeId = d.nodes().get().iterator().next().id();
      admin.alterConsumerGroupOffsets("restart-group",
          Map.of(new TopicPartition(topic, 0), new OffsetAndMetadata(7))).all().get();
    }

    Duration took = kafka.restartBroker(Duration.ofMillis(500));
    assertThat(took).isGreaterThanOrEqualTo(Duration.ofMillis(500));
    assertThat(kafka.brokerRunning()).isTrue();

    try (Admin admin = Admin.create(kafka.clientConfig())) {
      DescribeClusterResult d = admin.describeCluster();
      assertThat(d.clusterId().get()).isEqualTo(clusterId);
      assertThat(d.nodes().get()).singleElement().satisfies(n -> assertThat(n.id()).isEqualTo(nodeId));
      assertThat(admin.listConsumerGroupOffsets("restart-group").partitionsToOffsetAndMetadata()
          .get().get(new TopicPartition(topic, 0)).offset()).isEqualTo(7);
    }
    assertThat(readAll(kafka, topic, "read_uncommitted", 100)).containsExactlyInAnyOrderElementsOf(before);

    // Plain and transactional produce work on the restarted broker.
    try (KafkaProducer<String, String> producer = producer(kafka, "restart-tx")) {
      producer.initTransactions();
      producer.beginTransaction();
      producer.send(new ProducerRecord<>(topic, "k-tx", "v-tx"));
      producer.commitTransaction();
    }
    List<String> after = readAll(kafka, topic, "read_committed", 101);
    assertThat(after).hasSize(101).contains("v-tx").containsAll(before);
  }

  private static KafkaProducer<String, String> producer(EmbeddedKafka kafka, String txId) {
    Map<String, Object> c = new HashMap<>(kafka.clientConfig());
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    if (txId != null) {
      c.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, txId);
    }
    return new KafkaProducer<>(c, new StringSerializer(), new StringSerializer());
  }

  private static List<String> readAll(EmbeddedKafka kafka, String topic, String isolation,
      int expected) {
    Map<String, Object> c = new HashMap<>(kafka.clientConfig());
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, isolation);
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    List<String> values = new ArrayList<>();
    try (KafkaConsumer<String, String> consumer =
        new KafkaConsumer<>(c, new StringDeserializer(), new StringDeserializer())) {
      List<TopicPartition> all = List.of(new TopicPartition(topic, 0), new TopicPartition(topic, 1));
      consumer.assign(all);
      consumer.seekToBeginning(all);
      long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
      while (values.size() < expected && System.nanoTime() < deadline) {
        consumer.poll(Duration.ofMillis(200)).forEach(r -> values.add(r.value()));
      }
      // a moment more, so that a duplicate would show
      consumer.poll(Duration.ofMillis(300)).forEach(r -> values.add(r.value()));
    }
    return values;
  }
}
