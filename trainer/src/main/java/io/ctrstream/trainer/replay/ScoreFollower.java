package io.ctrstream.trainer.replay;

import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.Score;
import io.ctrstream.schemas.TopicSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the {@code scores} topic from its current end as a downstream client does
 * ({@code read_committed}, no consumer group) and hands over the impression id of every score it
 * sees, so the replayer can send a rating only once the impression it follows has been scored.
 * Values that are not scores are skipped (the replayer only waits for ids it knows).
 */
final class ScoreFollower implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ScoreFollower.class);

  private final KafkaConsumer<String, byte[]> consumer;
  private final JsonSerde<Score> serde;
  private final BlockingQueue<String> scored = new LinkedBlockingQueue<>();
  private final Thread thread;
  private volatile boolean running = true;
  private volatile Exception failure;

  /**
   * Assigns every partition of {@code scores} at its end offset before returning, so that every
   * score of an impression sent afterwards is seen.
   */
  ScoreFollower(String bootstrapServers, Map<String, Object> clientProperties,
      TopicSpec<String, Score> scores, Duration timeout) {
    Map<String, Object> c = new LinkedHashMap<>(clientProperties);
    c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, "ctr-replay-scores");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 50);
    c.remove(ConsumerConfig.GROUP_ID_CONFIG);
    this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    this.serde = scores.valueSerde();
    try {
      List<PartitionInfo> infos = consumer.partitionsFor(scores.name(), timeout);
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException("topic " + scores.name() + " does not exist; the replayer"
            + " waits for scores there (start the scorer, or replay without waiting for scores)");
      }
      List<TopicPartition> partitions = new ArrayList<>();
      infos.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
      consumer.assign(partitions);
      consumer.seekToEnd(partitions);
      partitions.forEach(p -> consumer.position(p, timeout)); // resolve the end now, not lazily
    } catch (RuntimeException e) {
      consumer.close(Duration.ofSeconds(1));
      throw e;
    }
    this.thread = new Thread(this::loop, "ctr-replay-scores");
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    try {
      while (running) {
        for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(100))) {
          String id = impressionId(r.value());
          if (id != null) {
            scored.add(id);
          }
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (KafkaException | IllegalStateException e) {
      failure = e;
      LOG.error("following the scores topic failed; ratings are sent after their wait runs out", e);
    }
  }

  private String impressionId(byte[] value) {
    try {
      return serde.deserialize(value).impressionId();
    } catch (RuntimeException e) {
      return null;
    }
  }

  /**
   * Moves the impression ids scored since the last call into {@code into}, waiting up to {@code
   * wait} for the first one; returns how many.
   */
  int drain(List<String> into, Duration wait) throws InterruptedException {
    String first = scored.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
    if (first == null) {
      return 0;
    }
    into.add(first);
    return 1 + scored.drainTo(into);
  }

  /** The failure that stopped following, if any (the replay then goes on by timeouts). */
  Exception failure() {
    return failure;
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      consumer.close(Duration.ofSeconds(5));
    } catch (KafkaException e) {
      LOG.debug("closing the scores follower", e);
    }
  }
}
