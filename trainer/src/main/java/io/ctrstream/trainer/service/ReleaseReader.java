package io.ctrstream.trainer.service;

import io.ctrstream.schemas.Decoded;
import io.ctrstream.schemas.ModelRelease;
import io.ctrstream.schemas.TopicSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the live release of a model: the last committed record with its name as key on the
 * compacted {@code model-releases} topic (key model name, value {@link ModelRelease}), read whole
 * from the beginning (it holds one record per model once compacted). A tombstone withdraws the
 * model; a record that does not decode is skipped with a warning, as the scorers skip it.
 */
final class ReleaseReader {

  private static final Logger LOG = LoggerFactory.getLogger(ReleaseReader.class);

  private ReleaseReader() {}

  /** The latest release of {@code modelName}; empty when none (or the topic does not exist). */
  static Optional<ModelRelease> latest(
      Consumer<byte[], byte[]> consumer,
      TopicSpec<String, ModelRelease> topic,
      String modelName,
      Duration timeout) {
    List<TopicPartition> partitions = TopicRanges.partitions(consumer, topic.name(), timeout);
    if (partitions.isEmpty()) {
      return Optional.empty();
    }
    Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, timeout);
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
    ModelRelease latest = null;
    long latestAt = Long.MIN_VALUE;
    for (TopicPartition tp : partitions) {
      for (ConsumerRecord<byte[], byte[]> r :
          TopicRanges.read(consumer, tp, begin.get(tp), end.get(tp), timeout)) {
        if (r.key() == null || !modelName.equals(new String(r.key(), StandardCharsets.UTF_8))) {
          continue;
        }
        if (r.value() == null) {
          latest = null;
          latestAt = r.timestamp();
          continue;
        }
        Decoded<ModelRelease> d = topic.valueSerde().decode(r.value());
        if (d instanceof Decoded.Ok<ModelRelease> ok) {
          // one partition in the registry; with more, the newest record time wins
          if (partitions.size() == 1 || r.timestamp() >= latestAt) {
            latest = ok.value();
            latestAt = r.timestamp();
          }
        } else if (d instanceof Decoded.Failed<ModelRelease> f) {
          LOG.warn("skipping unreadable release at {} offset {}: {}", tp, r.offset(), f.reason());
        }
      }
    }
    return Optional.ofNullable(latest);
  }
}
