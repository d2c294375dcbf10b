package io.ctrstream.streams.topology;

import io.ctrstream.streams.config.ScorerConfig;

/**
 * What an input record must satisfy beyond its schema, from the scorer configuration.
 *
 * @param maxValueBytes larger values are dead-lettered unread
 * @param maxKeyBytes larger keys (UTF-8 bytes) are dead-lettered unread
 * @param deadLetterBytes what a dead letter keeps of key and of value (each)
 * @param earliestEventMs event timestamps before this are dead-lettered
 * @param maxFutureMs event timestamps further than this ahead of the wall clock are dead-lettered
 * @param partitions partitions the topic is created with (murmur2 check of the key's partition);
 *     0: no check
 */
record InputRules(
    int maxValueBytes, int maxKeyBytes, int deadLetterBytes, long earliestEventMs, long maxFutureMs, int partitions) {

  static InputRules of(ScorerConfig config, int partitions) {
    return new InputRules(config.maxValueBytes(), config.maxKeyBytes(),
        Math.min(config.maxValueBytes(), config.deadLetterMaxPayloadBytes()), config.eventTimeEarliestMs(),
        config.eventTimeMaxFutureMs(), partitions);
  }

  /** Only the value size: keys up to the same size, any event time, no partition check. */
  static InputRules valueSizeOnly(int maxValueBytes) {
    return new InputRules(maxValueBytes, maxValueBytes, maxValueBytes, Long.MIN_VALUE, Long.MAX_VALUE, 0);
  }

  /** Why {@code eventTime} is out of range at wall-clock {@code now}, or null when it is fine. */
  String eventTimeProblem(long eventTime, long now) {
    if (eventTime < earliestEventMs) {
      return "event timestamp " + eventTime + " is before event.time.earliest.ms " + earliestEventMs;
    }
    // Overflow-safe: now + maxFutureMs saturates instead of wrapping to a negative bound.
    long latest = now > Long.MAX_VALUE - maxFutureMs ? Long.MAX_VALUE : now + maxFutureMs;
    if (eventTime > latest) {
      return "event timestamp " + eventTime + " is more than event.time.max.future.ms " + maxFutureMs
          + " ahead of the wall clock " + now;
    }
    return null;
  }
}
