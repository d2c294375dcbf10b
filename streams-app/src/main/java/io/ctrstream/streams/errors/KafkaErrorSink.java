package io.ctrstream.streams.errors;

import io.ctrstream.schemas.DeadLetter;
import io.ctrstream.schemas.FailureKind;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.streams.metrics.ScorerMetrics;
import java.time.Duration;
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scorer's {@link ErrorSink}: a producer of its own (idempotent, acks=all, outside the stream
 * threads' transactions) writing bounded {@link DeadLetter}s to {@code dead-letters}, key the
 * original key as kept. Outside the transaction on purpose: the record it reports is skipped by
 * the transaction that failed on it, so the dead letter must not depend on that transaction. A
 * dead letter that cannot be written is logged and counted ({@code
 * ctr.errors.skipped{stage="dead-letter-write"}}). Thread-safe (a Kafka producer is).
 */
public final class KafkaErrorSink implements ErrorSink, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(KafkaErrorSink.class);

  private final String topic;
  private final int maxPayloadBytes;
  private final ScorerMetrics metrics;
  private final JsonSerde<DeadLetter> serde = JsonSerde.of(DeadLetter.class);
  private final KafkaProducer<byte[], byte[]> producer;

  public KafkaErrorSink(ScorerConfig config, ScorerMetrics metrics) {
    this.topic = config.topics().deadLetters().name();
    this.maxPayloadBytes = config.deadLetterMaxPayloadBytes();
    this.metrics = metrics;
    Properties p = new Properties();
    p.putAll(config.kafkaClientProperties());
    p.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ProducerConfig.CLIENT_ID_CONFIG, config.applicationId() + "-dead-letters");
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    this.producer = new KafkaProducer<>(p, new ByteArraySerializer(), new ByteArraySerializer());
  }

  @Override
  public void deadLetter(String sourceTopic, int partition, long offset, FailureKind kind, String reason,
      byte[] key, byte[] value) {
    try {
      DeadLetter letter = DeadLetter.ofRaw(sourceTopic == null ? "unknown" : sourceTopic, Math.max(0, partition),
          Math.max(0, offset), kind, reason, key, value, maxPayloadBytes, System.currentTimeMillis());
      LOG.warn("dead letter from {}-{}@{}: {}: {}", sourceTopic, partition, offset, kind.wireName(),
          LogSafe.quote(letter.reason()));
      metrics.deadLetter(letter.sourceTopic(), kind);
      producer.send(new ProducerRecord<>(topic, letter.keyBytes(), serde.serialize(letter)), (md, e) -> {
        if (e != null) {
          LOG.error("dead letter of {}-{}@{} not written: {}", sourceTopic, partition, offset, e.toString());
          metrics.errorSkipped("dead-letter-write");
        }
      });
    } catch (RuntimeException e) {
      LOG.error("dead letter of {}-{}@{} not written", sourceTopic, partition, offset, e);
      metrics.errorSkipped("dead-letter-write");
    }
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
  }
}
