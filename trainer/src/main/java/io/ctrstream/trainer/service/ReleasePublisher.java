package io.ctrstream.trainer.service;

import io.ctrstream.schemas.ModelRelease;
import io.ctrstream.schemas.TopicSpec;
import io.ctrstream.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalInt;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.ConfigEntry;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes one {@link ModelRelease} on the compacted {@code model-releases} topic (key model name)
 * in a Kafka transaction: the record counts only once committed (scorers read read_committed), so a
 * crash or error before the commit releases nothing, and the next producer with the same
 * transactional id aborts what a crashed one left open.
 *
 * <p>The record's size is checked before a producer exists: over the limit (the configured {@code
 * max.request.size}, or the topic's {@code max.message.bytes} when smaller) it is refused with
 * {@link ReleaseTooLargeException} and nothing is sent. A missing topic is created with the
 * registry's configs and {@code max.message.bytes} equal to the limit, when allowed.
 *
 * <p>With a history topic ({@code model-release-history}), the same record (unpinned) goes there
 * too, key {@code model/version}, in the same transaction: every release stays retrievable.
 */
public final class ReleasePublisher {

  private static final Logger LOG = LoggerFactory.getLogger(ReleasePublisher.class);

  /** Room for the record batch header and the record's own framing. */
  static final int RECORD_OVERHEAD_BYTES = 512;

  private final Map<String, Object> clientConfig;
  private final TopicSpec<String, ModelRelease> topic;
  private final TopicSpec<String, ModelRelease> history;
  private final String transactionalId;
  private final int maxBytes;
  private final boolean createTopic;
  private final Duration timeout;

  /**
   * @param topic {@code model-releases}
   * @param history {@code model-release-history}; null to write none
   */
  public ReleasePublisher(
      Map<String, Object> clientConfig,
      TopicSpec<String, ModelRelease> topic,
      TopicSpec<String, ModelRelease> history,
      String transactionalId,
      int maxBytes,
      boolean createTopic,
      Duration timeout) {
    this.clientConfig = Map.copyOf(clientConfig);
    this.topic = topic;
    this.history = history;
    this.transactionalId = transactionalId;
    this.maxBytes = maxBytes;
    this.createTopic = createTopic;
    this.timeout = timeout;
  }

  /**
   * The serialised value, checked against {@code limit}.
   *
   * @throws ReleaseTooLargeException naming the limit when key + value + overhead exceed it
   */
  static byte[] encode(
      TopicSpec<String, ModelRelease> topic, ModelRelease release, int limit, String limitName)
      throws ReleaseTooLargeException {
    byte[] value = topic.valueSerde().serialize(release);
    long size =
        value.length
            + release.modelName().getBytes(StandardCharsets.UTF_8).length
            + RECORD_OVERHEAD_BYTES;
    if (size > limit) {
      throw new ReleaseTooLargeException(
          String.format(
              "release %s of %s is %,d bytes as a record (bundle %,d bytes base64), over the limit"
                  + " of %,d bytes (%s); nothing was sent. Raise --max-release-bytes and the"
                  + " topic's max.message.bytes together, or shrink the model (embedding size,"
                  + " vocabulary min count)",
              release.version(),
              release.modelName(),
              size,
              release.bundle() == null ? 0 : release.bundle().length(),
              limit,
              limitName),
          size,
          limit);
    }
    return value;
  }

  /**
   * Publishes {@code release} and returns once the transaction is committed.
   *
   * @throws ReleaseTooLargeException before sending anything, when the record is too large
   * @throws IllegalStateException when Kafka refuses or does not answer; the transaction is
   *     aborted, so nothing is released
   */
  public RecordMetadata publish(ModelRelease release) throws ReleaseTooLargeException {
    int limit = maxBytes;
    String limitName = "max.request.size = --max-release-bytes";
    for (TopicSpec<String, ModelRelease> t : history == null ? List.of(topic) : List.of(topic, history)) {
      OptionalInt topicLimit = prepareTopic(t);
      if (topicLimit.isPresent() && topicLimit.getAsInt() < limit) {
        limit = topicLimit.getAsInt();
        limitName = "max.message.bytes of topic " + t.name();
      }
    }
    byte[] value = encode(topic, release, limit, limitName);
    byte[] key = release.modelName().getBytes(StandardCharsets.UTF_8);
    byte[] historyValue = history == null ? null : history.valueSerde().serialize(release.withPinned(false));
    byte[] historyKey = Topics.historyKey(release.modelName(), release.version()).getBytes(StandardCharsets.UTF_8);

    Map<String, Object> c = new HashMap<>(clientConfig);
    c.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, transactionalId);
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    c.put(ProducerConfig.MAX_REQUEST_SIZE_CONFIG, maxBytes);
    c.put(ProducerConfig.BUFFER_MEMORY_CONFIG, Math.max(32L * 1024 * 1024, 2L * maxBytes));
    c.put(ProducerConfig.MAX_BLOCK_MS_CONFIG, timeout.toMillis());
    int requestTimeout = (int) Math.min(timeout.toMillis(), 30_000L);
    c.put(ProducerConfig.REQUEST_TIMEOUT_MS_CONFIG, requestTimeout);
    // must cover linger.ms + request.timeout.ms, or the producer refuses its config
    c.put(ProducerConfig.DELIVERY_TIMEOUT_MS_CONFIG, requestTimeout + 60_000);
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer())) {
      // fences an earlier trainer with this id and aborts anything it left open
      producer.initTransactions();
      producer.beginTransaction();
      try {
        var sent = producer.send(new ProducerRecord<>(topic.name(), key, value));
        if (history != null) {
          producer.send(new ProducerRecord<>(history.name(), historyKey, historyValue))
              .get(timeout.toMillis() + 30_000, TimeUnit.MILLISECONDS);
        }
        RecordMetadata meta = sent.get(timeout.toMillis() + 30_000, TimeUnit.MILLISECONDS);
        producer.commitTransaction();
        LOG.info(
            "released {} {} ({} bytes) at {} offset {}",
            release.modelName(),
            release.version(),
            value.length,
            topic.name(),
            meta.offset());
        return meta;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        abort(producer);
        throw new IllegalStateException("interrupted while releasing " + release.version(), e);
      } catch (ExecutionException | TimeoutException | KafkaException e) {
        if (!(e instanceof ProducerFencedException)) {
          abort(producer);
        }
        Throwable cause = e instanceof ExecutionException ? e.getCause() : e;
        throw new IllegalStateException(
            "releasing " + release.version() + " failed, nothing was released: " + cause, cause);
      }
    }
  }

  private static void abort(KafkaProducer<byte[], byte[]> producer) {
    try {
      producer.abortTransaction();
    } catch (KafkaException e) {
      // closing the producer without a commit aborts too (on the next initTransactions)
      LOG.warn("could not abort the release transaction: {}", e.toString());
    }
  }

  /** Creates the topic if missing (when allowed) and returns its max.message.bytes if known. */
  private OptionalInt prepareTopic(TopicSpec<String, ModelRelease> topic) {
    try (Admin admin = Admin.create(clientConfig)) {
      ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic.name());
      try {
        Config config =
            admin
                .describeConfigs(List.of(resource))
                .all()
                .get(timeout.toMillis(), TimeUnit.MILLISECONDS)
                .get(resource);
        ConfigEntry entry =
            config == null ? null : config.get(TopicConfig.MAX_MESSAGE_BYTES_CONFIG);
        return entry == null || entry.value() == null
            ? OptionalInt.empty()
            : OptionalInt.of(Integer.parseInt(entry.value()));
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          // no describe permission: the producer's limit alone applies, the broker still checks
          LOG.warn("cannot read the configs of {}: {}", topic.name(), e.getCause().toString());
          return OptionalInt.empty();
        }
      }
      if (!createTopic) {
        throw new IllegalStateException(
            "topic "
                + topic.name()
                + " does not exist; create it"
                + " compacted with max.message.bytes="
                + maxBytes
                + " or allow its creation");
      }
      Map<String, String> configs = new HashMap<>(topic.configs());
      configs.put(TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(maxBytes));
      NewTopic request =
          new NewTopic(
                  topic.name(),
                  java.util.Optional.of(topic.partitions()),
                  java.util.Optional.<Short>empty())
              .configs(configs);
      try {
        admin.createTopics(List.of(request)).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
        LOG.info("created {} (compacted, max.message.bytes {})", topic.name(), maxBytes);
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof TopicExistsException)) {
          throw new IllegalStateException(
              "could not create " + topic.name() + ": " + e.getCause().getMessage(), e.getCause());
        }
      }
      return OptionalInt.of(maxBytes);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while preparing " + topic.name(), e);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "Kafka did not answer within "
              + timeout.toSeconds()
              + " s while preparing "
              + topic.name(),
          e);
    }
  }
}
