package io.ctrstream.streams.errors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Optional;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.common.record.TimestampType;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.UsePartitionTimeOnInvalidTimestamp;
import org.junit.jupiter.api.Test;

/**
 * Proves that a negative record timestamp on a partition's first record (no partition time yet)
 * does not throw, as the extractor used before did, and that a timestamp at the end of time does
 * not become stream time.
 */
class SafeTimestampExtractorTest {
  private static ConsumerRecord<Object, Object> at(long ts) {
    return new ConsumerRecord<>("impressions", 0, 0, ts, TimestampType.CREATE_TIME, 0, 0, "k", "v",
        new RecordHeaders(), Optional.empty());
  }

  @Test
  void negativeTimestampOnAFirstRecordTakesTheWallClockInsteadOfThrowing() {
    assertThatThrownBy(() -> new UsePartitionTimeOnInvalidTimestamp().extract(at(-5), -1))
        .isInstanceOf(StreamsException.class);
    long before = System.currentTimeMillis();
    assertThat(new SafeTimestampExtractor().extract(at(-5), -1)).isGreaterThanOrEqualTo(before);
    assertThat(new SafeTimestampExtractor().extract(at(-5), 1_000)).isEqualTo(1_000);
    assertThat(new SafeTimestampExtractor().extract(at(7), 1_000)).isEqualTo(7);
  }

  @Test
  void timestampAtTheEndOfTimeIsInvalid() {
    assertThat(new SafeTimestampExtractor().extract(at(Long.MAX_VALUE), 1_000)).isEqualTo(1_000);
    long before = System.currentTimeMillis();
    assertThat(new SafeTimestampExtractor().extract(at(Long.MAX_VALUE - 5), -1)).isGreaterThanOrEqualTo(before)
        .isLessThan(Long.MAX_VALUE / 2);
  }
}
