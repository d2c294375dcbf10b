package io.ctrstream.streams.errors;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstream.schemas.FailureKind;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler.ProcessingHandlerResponse;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.ProductionExceptionHandlerResponse;
import org.apache.kafka.streams.errors.ProductionExceptionHandler.SerializationExceptionOrigin;
import org.apache.kafka.streams.processor.TaskId;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.Test;

/**
 * Proves the exception handlers: a processing exception and an output that cannot be serialised
 * or written dead-letter the source record (raw key and value, coordinates, reason) and let the
 * thread continue; a retriable send error is retried; a failed changelog write fails the task.
 */
class DeadLetterExceptionHandlersTest {
  record Letter(String topic, int partition, long offset, FailureKind kind, String reason, String key, String value) {}

  private final List<Letter> letters = new ArrayList<>();
  private final ErrorSink sink = (t, p, o, k, r, key, value) -> letters.add(new Letter(t, p, o, k, r,
      new String(key, StandardCharsets.UTF_8), new String(value, StandardCharsets.UTF_8)));

  private static ErrorHandlerContext context(String topic) {
    return new ErrorHandlerContext() {
      public String topic() {
        return topic;
      }

      public int partition() {
        return 2;
      }

      public long offset() {
        return 41;
      }

      public Headers headers() {
        return new RecordHeaders();
      }

      public String processorNodeId() {
        return "user-events";
      }

      public TaskId taskId() {
        return new TaskId(0, 2);
      }

      public long timestamp() {
        return 5;
      }

      public byte[] sourceRawKey() {
        return "42".getBytes(StandardCharsets.UTF_8);
      }

      public byte[] sourceRawValue() {
        return "{\"x\":1}".getBytes(StandardCharsets.UTF_8);
      }
    };
  }

  @Test
  void processingExceptionDeadLettersTheSourceRecordAndContinues() {
    var h = new DeadLetterExceptionHandlers.Processing();
    h.configure(Map.of(ErrorSink.CONFIG, sink));
    assertThat(h.handle(context("impressions"), new Record<>("42", "v", 5), new IllegalStateException("bug")))
        .isEqualTo(ProcessingHandlerResponse.CONTINUE);
    assertThat(letters).containsExactly(new Letter("impressions", 2, 41, FailureKind.PROCESSING_ERROR,
        "processing failed in user-events: IllegalStateException: bug", "42", "{\"x\":1}"));
    assertThat(h.handle(context(null), null, new IllegalStateException("in a punctuation")))
        .isEqualTo(ProcessingHandlerResponse.CONTINUE);
    assertThat(letters).hasSize(1);
  }

  @Test
  void productionErrorsDeadLetterOrRetryOrFailTheChangelog() {
    var h = new DeadLetterExceptionHandlers.Production();
    h.configure(Map.of(ErrorSink.CONFIG, sink));
    ProducerRecord<byte[], byte[]> score = new ProducerRecord<>("scores", new byte[1], new byte[1]);
    assertThat(h.handle(context("impressions"), score, new RecordTooLargeException("too large")))
        .isEqualTo(ProductionExceptionHandlerResponse.CONTINUE);
    assertThat(h.handleSerializationException(context("impressions"), new ProducerRecord<>("scores", "k", "v"),
        new IllegalArgumentException("bad score"), SerializationExceptionOrigin.VALUE))
        .isEqualTo(ProductionExceptionHandlerResponse.CONTINUE);
    assertThat(letters).extracting(Letter::kind).containsOnly(FailureKind.PRODUCTION_ERROR);
    assertThat(letters.get(0).reason()).contains("could not write scores").contains("too large");
    assertThat(letters.get(1).reason()).contains("serialise the value for scores");
    assertThat(h.handle(context("impressions"), score, new TimeoutException("slow")))
        .isEqualTo(ProductionExceptionHandlerResponse.RETRY);
    assertThat(h.handle(context("impressions"), new ProducerRecord<>("app-user-state-changelog", new byte[1],
        new byte[1]), new RecordTooLargeException("x"))).isEqualTo(ProductionExceptionHandlerResponse.FAIL);
    assertThat(letters).hasSize(2);
  }
}
