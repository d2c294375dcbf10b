package io.ctrstream.streams.errors;

import io.ctrstream.schemas.FailureKind;
import java.util.Map;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.errors.RetriableException;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kafka Streams' exception handlers (KIP-1033 processing, KIP-210/KIP-1065 production, KIP-161
 * deserialization): the record that caused the error goes to {@code dead-letters} through the
 * {@link ErrorSink} found under {@link ErrorSink#CONFIG}, and the thread continues. Without them
 * an exception killed the stream thread; its replacement read the same record and died again,
 * forever, and nothing after that record was scored.
 *
 * <p>Exceptions: a retriable send error is retried; a failed write to a changelog topic fails
 * (continuing would make the local state disagree with its log); an error in a punctuation (no
 * source record) is logged and counted, since there is nothing to dead-letter.
 */
public final class DeadLetterExceptionHandlers {
  private static final Logger LOG = LoggerFactory.getLogger(DeadLetterExceptionHandlers.class);

  private DeadLetterExceptionHandlers() {}

  static ErrorSink sinkOf(Map<String, ?> configs) {
    return configs.get(ErrorSink.CONFIG) instanceof ErrorSink s ? s : ErrorSink.LOG_ONLY;
  }

  static String describe(Exception e) {
    String m = e.getMessage();
    return e.getClass().getSimpleName() + (m == null ? "" : ": " + m);
  }

  /** An exception thrown by a processor (or punctuator) of the topology. */
  public static final class Processing implements ProcessingExceptionHandler {
    private ErrorSink sink = ErrorSink.LOG_ONLY;

    @Override
    public void configure(Map<String, ?> configs) {
      sink = sinkOf(configs);
    }

    @Override
    public ProcessingHandlerResponse handle(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
      if (context.topic() == null) {
        LOG.error("processing failed in node {} of task {} outside any record (punctuation); going on",
            context.processorNodeId(), context.taskId(), exception);
        return ProcessingHandlerResponse.CONTINUE;
      }
      LOG.error("processing failed on {}-{}@{} in node {}; dead-lettering the record and going on",
          context.topic(), context.partition(), context.offset(), context.processorNodeId(), exception);
      sink.deadLetter(context.topic(), context.partition(), context.offset(), FailureKind.PROCESSING_ERROR,
          "processing failed in " + context.processorNodeId() + ": " + describe(exception),
          context.sourceRawKey(), context.sourceRawValue());
      return ProcessingHandlerResponse.CONTINUE;
    }
  }

  /** An output that could not be serialised or written. */
  public static final class Production implements ProductionExceptionHandler {
    private ErrorSink sink = ErrorSink.LOG_ONLY;

    @Override
    public void configure(Map<String, ?> configs) {
      sink = sinkOf(configs);
    }

    @Override
    public ProductionExceptionHandlerResponse handle(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record,
        Exception exception) {
      if (exception instanceof RetriableException) {
        return ProductionExceptionHandlerResponse.RETRY;
      }
      if (record.topic().endsWith("-changelog")) {
        LOG.error("writing to changelog {} failed; the task fails (its state must match its log)",
            record.topic(), exception);
        return ProductionExceptionHandlerResponse.FAIL;
      }
      return skip(context, record.topic(), exception, "write");
    }

    @Override
    @SuppressWarnings("rawtypes")
    public ProductionExceptionHandlerResponse handleSerializationException(ErrorHandlerContext context,
        ProducerRecord record, Exception exception, SerializationExceptionOrigin origin) {
      return skip(context, record.topic(), exception, "serialise the " + origin.name().toLowerCase(java.util.Locale.ROOT) + " for");
    }

    private ProductionExceptionHandlerResponse skip(ErrorHandlerContext context, String outputTopic,
        Exception exception, String what) {
      String reason = "could not " + what + " " + outputTopic + ": " + describe(exception);
      if (context.topic() == null) {
        LOG.error("{} (no source record, nothing to dead-letter); going on", reason, exception);
        return ProductionExceptionHandlerResponse.CONTINUE;
      }
      LOG.error("{}; dead-lettering the source record {}-{}@{} and going on", reason, context.topic(),
          context.partition(), context.offset(), exception);
      sink.deadLetter(context.topic(), context.partition(), context.offset(), FailureKind.PRODUCTION_ERROR,
          reason, context.sourceRawKey(), context.sourceRawValue());
      return ProductionExceptionHandlerResponse.CONTINUE;
    }
  }

  /** A record whose key or value the source's deserializer refused (the scorer reads bytes, so rare). */
  public static final class Deserialization implements DeserializationExceptionHandler {
    private ErrorSink sink = ErrorSink.LOG_ONLY;

    @Override
    public void configure(Map<String, ?> configs) {
      sink = sinkOf(configs);
    }

    @Override
    public DeserializationHandlerResponse handle(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record,
        Exception exception) {
      FailureKind kind = exception instanceof StrictUtf8Deserializer.MalformedKeyException
          ? FailureKind.INVALID_KEY : FailureKind.NOT_JSON;
      sink.deadLetter(record.topic(), record.partition(), record.offset(), kind,
          "could not deserialise: " + describe(exception), record.key(), record.value());
      return DeserializationHandlerResponse.CONTINUE;
    }
  }
}
