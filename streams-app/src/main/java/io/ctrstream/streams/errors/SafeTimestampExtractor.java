package io.ctrstream.streams.errors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * The record's own timestamp, unless it is invalid: negative, or more than {@link
 * #MAX_AHEAD_MS} ahead of the wall clock. An invalid one is replaced by the partition's time, or
 * the wall clock when the partition has none yet.
 *
 * <p>{@code UsePartitionTimeOnInvalidTimestamp} throws on a partition's first record when it is
 * negative, which killed the stream thread and, replaced, killed it again on the same record. A
 * timestamp near Long.MAX_VALUE moved stream time there, and a stream-time punctuator's next time
 * (stream time + interval) overflowed, so the task punctuated forever. The event time the scorer
 * validates is the value's {@code timestamp} field, not this one.
 */
public final class SafeTimestampExtractor implements TimestampExtractor {
  /** Record timestamps further ahead of the wall clock than this (a year) are invalid. */
  public static final long MAX_AHEAD_MS = 365L * 86_400_000L;

  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    long ts = record.timestamp();
    long now = System.currentTimeMillis();
    if (ts >= 0 && ts <= now + MAX_AHEAD_MS) {
      return ts;
    }
    return partitionTime >= 0 && partitionTime <= now + MAX_AHEAD_MS ? partitionTime : now;
  }
}
