package io.ctrstream.streams.errors;

import io.ctrstream.schemas.FailureKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where a record goes that Kafka Streams' exception handlers (and the global catalog, which has
 * no downstream) cannot send through the topology: {@code dead-letters}, written by a producer of
 * its own. The running scorer hands its sink to the handlers under {@link #CONFIG} in the
 * Streams properties; without one (a test driver) the record is only logged.
 */
public interface ErrorSink {
  /** Streams property under which the handlers find the sink instance. */
  String CONFIG = "ctr.error.sink";

  /** A sink that only logs (no producer to write with). */
  ErrorSink LOG_ONLY = new ErrorSink() {
    private final Logger log = LoggerFactory.getLogger(ErrorSink.class);

    @Override
    public void deadLetter(String topic, int partition, long offset, FailureKind kind, String reason,
        byte[] key, byte[] value) {
      log.warn("record {}-{}@{} skipped, no dead-letter writer: {}: {}", topic, partition, offset,
          kind.wireName(), LogSafe.quote(reason));
    }
  };

  /**
   * Dead-letters the record at {@code topic-partition@offset} with its raw key and value (bounded
   * by {@code dead.letter.max.payload.bytes}); never throws.
   */
  void deadLetter(String topic, int partition, long offset, FailureKind kind, String reason, byte[] key,
      byte[] value);
}
