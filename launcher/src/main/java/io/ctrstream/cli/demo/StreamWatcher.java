package io.ctrstream.cli.demo;

import io.ctrstream.schemas.DeadLetter;
import io.ctrstream.schemas.Feedback;
import io.ctrstream.schemas.ModelRelease;
import io.ctrstream.schemas.Score;
import io.ctrstream.schemas.TopicSpec;
import io.ctrstream.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the outputs of the loop and keeps the tallies the demo checks.
 *
 * <p>Input: {@code scores}, {@code feedback}, {@code dead-letters} and {@code model-releases}
 * (keys are strings, values JSON), every partition from the beginning, {@code read_committed} (so
 * it sees what the exactly-once scorer committed, never an aborted attempt), no consumer group.
 * Scores are counted per impressionId so a duplicate or a missing one shows; feedback records are
 * kept (label, served score, model version) for the online AUCs. A value that does not decode is
 * counted as undecodable, never fatal.
 *
 * <p>Thread-safety: one thread of its own polls; the readers ({@link #snapshot()}, {@link
 * #feedback()}, ...) may be called from any thread.
 */
final class StreamWatcher implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(StreamWatcher.class);

  /**
   * One feedback record as the AUCs need it; {@code impressionId}, {@code modelVersion} null and
   * {@code servedScore} NaN for organic feedback (a rating that joined no impression).
   */
  record Served(String impressionId, String userId, String movieId, long timestamp, int label,
      double servedScore, String modelVersion) {}

  /** One release seen on model-releases, with when (wall clock) it was seen. */
  record Release(String version, long createdAt, Map<String, Double> metrics, long seenAtMillis) {}

  /** The counts at one moment. */
  record Snapshot(long scores, long distinctScored, long duplicateScores, long feedback,
      long deadLetters, long releases, long undecodable, String lastScoredVersion,
      Map<String, Long> scoresByVersion) {}

  private final KafkaConsumer<String, byte[]> consumer;
  private final Topics topics;
  private final Thread thread;
  private final CountDownLatch drained = new CountDownLatch(1);
  private volatile boolean drainRequested;
  private volatile boolean closed;
  private volatile Throwable failure;

  // guarded by this
  private final Map<String, Integer> scoreCount = new HashMap<>();
  private final Map<String, Long> scoresByVersion = new TreeMap<>();
  private long scores;
  private long duplicateScores;
  private String lastScoredVersion = Score.PRIOR_VERSION;
  private final List<Served> feedback = new ArrayList<>();
  private final List<String> deadLetterReasons = new ArrayList<>();
  private long deadLetters;
  private final Map<String, Release> releases = new LinkedHashMap<>();
  private long undecodable;

  StreamWatcher(String bootstrapServers, Topics topics) {
    Map<String, Object> c = new HashMap<>();
    c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    c.put(ConsumerConfig.CLIENT_ID_CONFIG, "ctr-demo-watcher");
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    // a release record holds a whole model bundle
    c.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 64 * 1024 * 1024);
    c.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 * 1024 * 1024);
    this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    this.topics = topics;
    this.thread = new Thread(this::loop, "ctr-demo-watcher");
    this.thread.setDaemon(true);
  }

  /** Assigns every partition of the watched topics (they must exist) and starts polling. */
  void start() {
    List<TopicPartition> partitions = new ArrayList<>();
    for (TopicSpec<String, ?> t : List.of(topics.scores(), topics.feedback(), topics.deadLetters(),
        topics.modelReleases())) {
      List<PartitionInfo> infos = consumer.partitionsFor(t.name(), Duration.ofSeconds(30));
      if (infos == null || infos.isEmpty()) {
        throw new IllegalStateException("topic " + t.name() + " does not exist; create the topics first");
      }
      infos.forEach(p -> partitions.add(new TopicPartition(p.topic(), p.partition())));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    thread.start();
  }

  private void loop() {
    try {
      while (!closed) {
        var records = consumer.poll(Duration.ofMillis(200));
        for (ConsumerRecord<String, byte[]> r : records) {
          accept(r);
        }
        if (drainRequested && drained.getCount() > 0 && atEnd()) {
          drained.countDown();
        }
      }
    } catch (WakeupException e) {
      if (!closed) {
        LOG.error("watcher woken up unexpectedly", e);
      }
    } catch (RuntimeException | Error e) {
      failure = e;
      LOG.error("the demo's watcher stopped reading", e);
    } finally {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  /** Whether the position of every partition is at its (last stable) end offset. */
  private boolean atEnd() {
    Set<TopicPartition> assigned = consumer.assignment();
    Map<TopicPartition, Long> end = consumer.endOffsets(assigned, Duration.ofSeconds(10));
    for (TopicPartition tp : assigned) {
      if (consumer.position(tp, Duration.ofSeconds(10)) < end.getOrDefault(tp, 0L)) {
        return false;
      }
    }
    return true;
  }

  private void accept(ConsumerRecord<String, byte[]> r) {
    if (r.value() == null) {
      return; // a tombstone on the compacted releases topic
    }
    String topic = r.topic();
    try {
      if (topic.equals(topics.scores().name())) {
        Score s = topics.scores().valueSerde().deserializer().deserialize(topic, r.value());
        synchronized (this) {
          scores++;
          int n = scoreCount.merge(s.impressionId(), 1, Integer::sum);
          if (n > 1) {
            duplicateScores++;
          }
          scoresByVersion.merge(s.modelVersion(), 1L, Long::sum);
          lastScoredVersion = s.modelVersion();
        }
      } else if (topic.equals(topics.feedback().name())) {
        Feedback f = topics.feedback().valueSerde().deserializer().deserialize(topic, r.value());
        Served served = new Served(f.impressionId(), f.userId(), f.movieId(),
            f.timestamp() == null ? 0 : f.timestamp(), f.label() == null ? 0 : f.label(),
            f.servedScore() == null ? Double.NaN : f.servedScore(),
            f.modelVersion());
        synchronized (this) {
          feedback.add(served);
        }
      } else if (topic.equals(topics.deadLetters().name())) {
        DeadLetter d = topics.deadLetters().valueSerde().deserializer().deserialize(topic, r.value());
        synchronized (this) {
          deadLetters++;
          if (deadLetterReasons.size() < 10) {
            deadLetterReasons.add(d.sourceTopic() + ": " + d.reason());
          }
        }
      } else if (topic.equals(topics.modelReleases().name())) {
        ModelRelease m =
            topics.modelReleases().valueSerde().deserializer().deserialize(topic, r.value());
        synchronized (this) {
          releases.putIfAbsent(m.version(), new Release(m.version(),
              m.createdAt() == null ? 0 : m.createdAt(),
              m.metrics() == null ? Map.of() : m.metrics(), System.currentTimeMillis()));
        }
      }
    } catch (RuntimeException e) {
      synchronized (this) {
        undecodable++;
      }
      LOG.warn("cannot decode {}-{}@{}: {}", topic, r.partition(), r.offset(), e.toString());
    }
  }

  /** Why the watcher stopped reading, if it did; its tallies are then incomplete. */
  java.util.Optional<Throwable> failure() {
    return java.util.Optional.ofNullable(failure);
  }

  synchronized Snapshot snapshot() {
    return new Snapshot(scores, scoreCount.size(), duplicateScores, feedback.size(), deadLetters,
        releases.size(), undecodable, lastScoredVersion, new TreeMap<>(scoresByVersion));
  }

  /** Feedback records in arrival order. */
  synchronized List<Served> feedback() {
    return List.copyOf(feedback);
  }

  /** Releases in arrival order. */
  synchronized List<Release> releases() {
    return List.copyOf(releases.values());
  }

  /** The first few dead letters, as "topic: reason". */
  synchronized List<String> deadLetterReasons() {
    return List.copyOf(deadLetterReasons);
  }

  /** ImpressionIds scored more than once, with how often. */
  synchronized Map<String, Integer> duplicates() {
    Map<String, Integer> out = new TreeMap<>();
    scoreCount.forEach((id, n) -> {
      if (n > 1) {
        out.put(id, n);
      }
    });
    return out;
  }

  /** Whether this impression has a score. */
  synchronized boolean scored(String impressionId) {
    return scoreCount.containsKey(impressionId);
  }

  /**
   * Waits until the watcher has read every partition to its end, as seen after this call (call
   * it once the producers have stopped, so that the ends are final).
   */
  boolean awaitDrained(Duration timeout) throws InterruptedException {
    drainRequested = true;
    return drained.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (!thread.isAlive()) {
      consumer.close(Duration.ofSeconds(5));
      return;
    }
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
