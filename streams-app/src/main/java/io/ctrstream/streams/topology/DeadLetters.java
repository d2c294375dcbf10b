package io.ctrstream.streams.topology;

import io.ctrstream.schemas.DeadLetter;
import io.ctrstream.schemas.FailureKind;
import io.ctrstream.streams.errors.LogSafe;
import io.ctrstream.streams.metrics.ScorerMetrics;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Routes one unusable input record to the dead-letter sink: counted, logged (escaped), never
 * thrown. The dead letter's key is the original key as kept: bounded like its payload, so a huge
 * key cannot make the dead letter too large to write.
 */
final class DeadLetters {
  private static final Logger LOG = LoggerFactory.getLogger(DeadLetters.class);

  private final ProcessorContext<String, Object> context;
  private final ScorerMetrics metrics;
  private final int maxPayloadBytes;

  DeadLetters(ProcessorContext<String, Object> context, ScorerMetrics metrics, int maxPayloadBytes) {
    this.context = context;
    this.metrics = metrics;
    this.maxPayloadBytes = maxPayloadBytes;
  }

  /** Dead-letters the record being processed, at its own coordinates. */
  void send(Record<String, byte[]> record, FailureKind kind, String reason) {
    RecordMetadata meta = context.recordMetadata().orElse(null);
    String topic = meta == null ? "unknown" : meta.topic();
    int partition = meta == null ? 0 : meta.partition();
    long offset = meta == null ? 0 : Math.max(0, meta.offset());
    send(topic, partition, offset, record.key(), record.value(), record.timestamp(), kind, reason);
  }

  /** Dead-letters a record read earlier, at the coordinates given. */
  void send(String topic, int partition, long offset, String key, byte[] value, long timestamp, FailureKind kind,
      String reason) {
    DeadLetter letter = DeadLetter.ofRaw(topic, partition, Math.max(0, offset), kind, reason,
        key == null ? null : key.getBytes(StandardCharsets.UTF_8), value, maxPayloadBytes,
        context.currentSystemTimeMs());
    LOG.warn("dead letter from {}-{}@{}: {}: {}", topic, partition, offset, kind.wireName(),
        LogSafe.quote(letter.reason()));
    metrics.deadLetter(topic, kind);
    context.forward(new Record<>(letter.key(), (Object) letter, Math.max(0, timestamp)), Nodes.DEAD_LETTERS_SINK);
  }
}
