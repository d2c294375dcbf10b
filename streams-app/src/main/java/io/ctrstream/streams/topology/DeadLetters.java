package io.ctrstream.streams.topology;

import io.ctrstream.schemas.DeadLetter;
import io.ctrstream.schemas.FailureKind;
import io.ctrstream.streams.metrics.ScorerMetrics;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Routes one unusable input record to the dead-letter sink: counted, logged, never thrown. */
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

  void send(Record<String, byte[]> record, FailureKind kind, String reason) {
    RecordMetadata meta = context.recordMetadata().orElse(null);
    String topic = meta == null ? "unknown" : meta.topic();
    int partition = meta == null ? 0 : meta.partition();
    long offset = meta == null ? 0 : Math.max(0, meta.offset());
    DeadLetter letter = DeadLetter.of(topic, partition, offset, kind, reason, record.key(),
        record.value(), maxPayloadBytes, context.currentSystemTimeMs());
    LOG.warn("dead letter from {}-{}@{}: {}: {}", topic, partition, offset, kind.wireName(), letter.reason());
    metrics.deadLetter(topic, kind);
    context.forward(record.withValue((Object) letter), Nodes.DEAD_LETTERS_SINK);
  }
}
