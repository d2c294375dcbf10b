package io.ctrstream.trainer.service;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

/**
 * Reads offset ranges of single partitions with an assigned (group-less) consumer. Only committed
 * records are seen (read_committed): a release or an example of an aborted or open transaction
 * never counts, and the end offsets are the last stable offsets.
 */
public final class TopicRanges {

  private TopicRanges() {}

  /** A group-less, read_committed consumer of raw bytes; the caller closes it. */
  public static KafkaConsumer<byte[], byte[]> consumer(Map<String, Object> clientConfig) {
    Map<String, Object> c = new java.util.HashMap<>(clientConfig);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, IsolationLevel.READ_COMMITTED.toString());
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    // a trainer must never create the topics it reads: the registry's configs would be lost
    c.put(ConsumerConfig.ALLOW_AUTO_CREATE_TOPICS_CONFIG, false);
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    return new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
  }

  /** The topic's partitions, empty when it does not exist. */
  static List<TopicPartition> partitions(Consumer<?, ?> consumer, String topic, Duration timeout) {
    List<PartitionInfo> infos = consumer.listTopics(timeout).get(topic);
    if (infos == null) {
      return List.of();
    }
    return infos.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
  }

  /**
   * Committed records with offsets in {@code [from, to)} of one partition, in offset order.
   *
   * @throws IllegalStateException when the range is not read within {@code timeout}
   */
  static List<ConsumerRecord<byte[], byte[]>> read(
      Consumer<byte[], byte[]> consumer, TopicPartition tp, long from, long to, Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
    scan(consumer, tp, from, to, timeout, out::add);
    return out;
  }

  /**
   * Hands each committed record with an offset in {@code [from, to)} of one partition to {@code
   * each}, in offset order, keeping none (for ranges too large to hold, such as releases).
   *
   * @throws IllegalStateException when the range is not read within {@code timeout}
   */
  static void scan(
      Consumer<byte[], byte[]> consumer,
      TopicPartition tp,
      long from,
      long to,
      Duration timeout,
      java.util.function.Consumer<ConsumerRecord<byte[], byte[]>> each) {
    if (from >= to) {
      return;
    }
    consumer.assign(List.of(tp));
    consumer.seek(tp, from);
    long deadline = System.nanoTime() + timeout.toNanos();
    // markers and aborted records take offsets too: the position, not a count, says when to stop
    while (consumer.position(tp, timeout) < to) {
      ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(200));
      for (ConsumerRecord<byte[], byte[]> r : batch.records(tp)) {
        if (r.offset() >= from && r.offset() < to) {
          each.accept(r);
        }
      }
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            "could not read "
                + tp
                + " offsets "
                + from
                + ".."
                + to
                + " within "
                + timeout.toSeconds()
                + " s (at "
                + consumer.position(tp)
                + ")");
      }
    }
  }
}
