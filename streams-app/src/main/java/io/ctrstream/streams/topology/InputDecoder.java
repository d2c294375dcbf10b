package io.ctrstream.streams.topology;

import io.ctrstream.schemas.Decoded;
import io.ctrstream.schemas.FailureKind;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.streams.errors.LogSafe;
import io.ctrstream.streams.metrics.ScorerMetrics;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.ToLongFunction;
import org.apache.kafka.common.utils.Utils;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gate of one input topic. Input: raw bytes (key userId, decoded as strict UTF-8 by the
 * source: a malformed key never gets here, the deserialization handler dead-letters it). Output: a
 * {@link UserEvent} to the {@link UserEventProcessor}, or a dead letter to {@code dead-letters}
 * when the key is missing or too long, the value is oversized, not JSON, wrongly typed, invalid, its event
 * time is out of range (before {@code event.time.earliest.ms} or more than {@code
 * event.time.max.future.ms} ahead of the wall clock), or its userId is not exactly the key. Reads
 * and writes no store. A user or movie the scorer has not seen is not an error.
 *
 * <p>A record on another partition than the Java client's partitioner (murmur2) gives its key is
 * still used, but counted ({@code ctr.wrong.partition}) and warned about at most once a minute per
 * topic: its user's profile, ratings and impressions may then meet in different tasks (kcat's
 * default partitioner is not murmur2).
 */
final class InputDecoder<V> implements Processor<String, byte[], String, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(InputDecoder.class);
  private static final long WARN_EVERY_MS = 60_000;

  private final JsonSerde<V> serde;
  private final Function<V, String> userIdOf;
  private final Function<V, UserEvent> toEvent;
  private final Function<String, UserEvent> onTombstone;
  private final ToLongFunction<V> eventTimeOf;
  private final ScorerMetrics metrics;
  private final InputRules rules;
  private final List<String> eventTargets;
  private ProcessorContext<String, Object> context;
  private DeadLetters deadLetters;
  private long lastWrongPartitionWarning = Long.MIN_VALUE;

  /** A gate that checks only the value size (keys up to the same size, any event time). */
  InputDecoder(
      JsonSerde<V> serde,
      Function<V, String> userIdOf,
      Function<V, UserEvent> toEvent,
      Function<String, UserEvent> onTombstone,
      ScorerMetrics metrics,
      int maxValueBytes) {
    this(serde, userIdOf, toEvent, onTombstone, null, metrics, InputRules.valueSizeOnly(maxValueBytes));
  }

  /**
   * @param onTombstone the event for a null value (a deletion on a compacted topic), or null when
   *     a null value is itself an error
   * @param eventTimeOf the value's event time, checked against the rules; null when it has none
   */
  InputDecoder(
      JsonSerde<V> serde,
      Function<V, String> userIdOf,
      Function<V, UserEvent> toEvent,
      Function<String, UserEvent> onTombstone,
      ToLongFunction<V> eventTimeOf,
      ScorerMetrics metrics,
      InputRules rules) {
    this(serde, userIdOf, toEvent, onTombstone, eventTimeOf, metrics, rules,
        List.of(Nodes.USER_EVENTS));
  }

  /** As above, forwarding each valid event to every one of {@code eventTargets}. */
  InputDecoder(
      JsonSerde<V> serde,
      Function<V, String> userIdOf,
      Function<V, UserEvent> toEvent,
      Function<String, UserEvent> onTombstone,
      ToLongFunction<V> eventTimeOf,
      ScorerMetrics metrics,
      InputRules rules,
      List<String> eventTargets) {
    this.eventTargets = List.copyOf(eventTargets);
    this.serde = Objects.requireNonNull(serde);
    this.userIdOf = Objects.requireNonNull(userIdOf);
    this.toEvent = Objects.requireNonNull(toEvent);
    this.onTombstone = onTombstone;
    this.eventTimeOf = eventTimeOf;
    this.metrics = Objects.requireNonNull(metrics);
    this.rules = Objects.requireNonNull(rules);
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    this.deadLetters = new DeadLetters(context, metrics, rules.deadLetterBytes());
  }

  @Override
  public void process(Record<String, byte[]> record) {
    byte[] value = record.value();
    String key = record.key();
    if (key == null) {
      deadLetters.send(record, FailureKind.INVALID_KEY,
          "key is missing (null); the topic is keyed by userId");
      return;
    }
    byte[] keyBytes = key.getBytes(StandardCharsets.UTF_8);
    if (keyBytes.length > rules.maxKeyBytes()) {
      deadLetters.send(record, FailureKind.INVALID_KEY,
          "key is " + keyBytes.length + " bytes, more than max.key.bytes " + rules.maxKeyBytes());
      return;
    }
    checkPartition(keyBytes);
    if (value == null && onTombstone != null) {
      context.forward(record.withValue((Object) onTombstone.apply(key)), Nodes.USER_EVENTS);
      return;
    }
    if (value != null && value.length > rules.maxValueBytes()) {
      deadLetters.send(record, FailureKind.OVERSIZED,
          "value is " + value.length + " bytes, more than max.value.bytes " + rules.maxValueBytes());
      return;
    }
    Decoded<V> decoded = serde.decode(value);
    if (decoded instanceof Decoded.Failed<V> failed) {
      deadLetters.send(record, failed.kind(), failed.reason());
      return;
    }
    V v = ((Decoded.Ok<V>) decoded).value();
    String userId = userIdOf.apply(v);
    if (!userId.equals(key)) {
      deadLetters.send(record, FailureKind.KEY_MISMATCH,
          "key " + LogSafe.quote(key) + " disagrees with userId " + LogSafe.quote(userId)
              + " (the topics are partitioned by userId)");
      return;
    }
    if (eventTimeOf != null) {
      String problem = rules.eventTimeProblem(eventTimeOf.applyAsLong(v), context.currentSystemTimeMs());
      if (problem != null) {
        deadLetters.send(record, FailureKind.TIMESTAMP_OUT_OF_RANGE, problem);
        return;
      }
    }
    Record<String, Object> event = record.withValue((Object) toEvent.apply(v));
    for (String target : eventTargets) {
      context.forward(event, target);
    }
  }

  /** Counts (and now and then warns about) a record whose key murmur2 puts on another partition. */
  private void checkPartition(byte[] keyBytes) {
    RecordMetadata meta = context.recordMetadata().orElse(null);
    if (keyBytes == null || meta == null || rules.partitions() <= 0 || meta.partition() >= rules.partitions()) {
      return; // a topic with more partitions than the registry's: no basis to judge
    }
    int expected = Utils.toPositive(Utils.murmur2(keyBytes)) % rules.partitions();
    if (expected == meta.partition()) {
      return;
    }
    metrics.wrongPartition(meta.topic(), meta.partition(), expected);
    long now = context.currentSystemTimeMs();
    if (lastWrongPartitionWarning == Long.MIN_VALUE || now - lastWrongPartitionWarning >= WARN_EVERY_MS) {
      lastWrongPartitionWarning = now;
      LOG.warn("topic {} partition {} holds key {} that the Java client's partitioner (murmur2) puts on partition "
              + "{}: a user's events then meet in different tasks; produce with murmur2 (kcat: -X "
              + "partitioner=murmur2_random). Further cases are counted in ctr_wrong_partition.",
          meta.topic(), meta.partition(), LogSafe.quote(new String(keyBytes, StandardCharsets.UTF_8)), expected);
    }
  }
}
