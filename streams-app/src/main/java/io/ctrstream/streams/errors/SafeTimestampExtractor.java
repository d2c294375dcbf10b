package io.ctrstream.streams.errors;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * The record's own timestamp; when it is invalid (negative), the partition's time, or the wall
 * clock when the partition has none yet. {@code UsePartitionTimeOnInvalidTimestamp} throws on a
 * partition's first record when it is invalid, which killed the stream thread and, replaced,
 * killed it again on the same record. The event time the scorer validates is the value's
 * {@code timestamp} field, not this one.
 */
public final class SafeTimestampExtractor implements TimestampExtractor {
  @Override
  public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
    long ts = record.timestamp();
    if (ts >= 0) {
      return ts;
    }
    return partitionTime >= 0 ? partitionTime : System.currentTimeMillis();
  }
}
