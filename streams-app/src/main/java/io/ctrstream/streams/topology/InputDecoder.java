package io.ctrstream.streams.topology;

import io.ctrstream.schemas.Decoded;
import io.ctrstream.schemas.FailureKind;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.streams.metrics.ScorerMetrics;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;

/**
 * The gate of one input topic. Input: raw bytes (key userId). Output: a {@link UserEvent} to the
 * {@link UserEventProcessor}, or a dead letter to {@code dead-letters} when the value is
 * oversized, not JSON, wrongly typed, invalid, or its userId disagrees with the key. Reads and
 * writes no store. A user or movie the scorer has not seen is not an error.
 */
final class InputDecoder<V> implements Processor<String, byte[], String, Object> {
  private final JsonSerde<V> serde;
  private final Function<V, String> userIdOf;
  private final Function<V, UserEvent> toEvent;
  private final Function<String, UserEvent> onTombstone;
  private final ScorerMetrics metrics;
  private final int maxValueBytes;
  private final List<String> eventTargets;
  private ProcessorContext<String, Object> context;
  private DeadLetters deadLetters;

  /**
   * @param onTombstone the event for a null value (a deletion on a compacted topic), or null when
   *     a null value is itself an error
   */
  InputDecoder(
      JsonSerde<V> serde,
      Function<V, String> userIdOf,
      Function<V, UserEvent> toEvent,
      Function<String, UserEvent> onTombstone,
      ScorerMetrics metrics,
      int maxValueBytes) {
    this(serde, userIdOf, toEvent, onTombstone, metrics, maxValueBytes, List.of(Nodes.USER_EVENTS));
  }

  /** As above, forwarding every valid event to each of {@code eventTargets} (node names). */
  InputDecoder(
      JsonSerde<V> serde,
      Function<V, String> userIdOf,
      Function<V, UserEvent> toEvent,
      Function<String, UserEvent> onTombstone,
      ScorerMetrics metrics,
      int maxValueBytes,
      List<String> eventTargets) {
    this.eventTargets = List.copyOf(eventTargets);
    this.serde = Objects.requireNonNull(serde);
    this.userIdOf = Objects.requireNonNull(userIdOf);
    this.toEvent = Objects.requireNonNull(toEvent);
    this.onTombstone = onTombstone;
    this.metrics = Objects.requireNonNull(metrics);
    this.maxValueBytes = maxValueBytes;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    this.deadLetters = new DeadLetters(context, metrics, maxValueBytes);
  }

  @Override
  public void process(Record<String, byte[]> record) {
    byte[] value = record.value();
    if (value == null && onTombstone != null && record.key() != null) {
      context.forward(record.withValue((Object) onTombstone.apply(record.key())), Nodes.USER_EVENTS);
      return;
    }
    if (value != null && value.length > maxValueBytes) {
      deadLetters.send(record, FailureKind.OVERSIZED,
          "value is " + value.length + " bytes, more than max.value.bytes " + maxValueBytes);
      return;
    }
    Decoded<V> decoded = serde.decode(value);
    if (decoded instanceof Decoded.Failed<V> failed) {
      deadLetters.send(record, failed.kind(), failed.reason());
      return;
    }
    V v = ((Decoded.Ok<V>) decoded).value();
    String userId = userIdOf.apply(v);
    if (!userId.equals(record.key())) {
      deadLetters.send(record, FailureKind.KEY_MISMATCH,
          "key " + quote(record.key()) + " disagrees with userId " + quote(userId)
              + " (the topics are partitioned by userId)");
      return;
    }
    Record<String, Object> event = record.withValue((Object) toEvent.apply(v));
    for (String target : eventTargets) {
      context.forward(event, target);
    }
  }

  private static String quote(String s) {
    return s == null ? "null" : "\"" + s + "\"";
  }
}
