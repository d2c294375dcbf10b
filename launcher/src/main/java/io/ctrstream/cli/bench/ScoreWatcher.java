package io.ctrstream.cli.bench;

import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.Score;
import io.ctrstream.schemas.TopicSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;

/**
 * Reads the scores topic as a downstream client would (read_committed: a score counts once its
 * transaction is committed) on a thread of its own, and sorts what it sees by the phase letter
 * that starts each impression id: {@code w} warm-up, {@code p} peak, {@code l} latency.
 *
 * <p>Peak: first and last {@code scoredAt} (the scorer's wall clock when the batch was scored).
 * Latency: the time this reader sees a score minus the score record's timestamp, which is the
 * impression record's timestamp, set by the producer at send time: produce to visible score, in
 * milliseconds. Beside it, produce to scored ({@code scoredAt} minus the same stamp), which splits the
 * latency into processing and commit.
 */
final class ScoreWatcher implements AutoCloseable {
  private final KafkaConsumer<String, byte[]> consumer;
  private final JsonSerde<Score> serde;
  private final Thread thread;
  private final Map<Character, AtomicLong> counts = new HashMap<>();
  private final AtomicLong firstPeakScoredAt = new AtomicLong(Long.MAX_VALUE);
  private final AtomicLong lastPeakScoredAt = new AtomicLong(Long.MIN_VALUE);
  private final Histogram latency = new Histogram(60_000L, 3);
  private final Histogram untilScored = new Histogram(60_000L, 3);
  private volatile boolean running = true;
  private volatile Throwable failure;

  ScoreWatcher(Map<String, Object> clientConfig, TopicSpec<String, Score> scores) {
    for (char phase : new char[] {'w', 'p', 'l'}) {
      counts.put(phase, new AtomicLong());
    }
    Map<String, Object> c = new HashMap<>(clientConfig);
    c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
    this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), new ByteArrayDeserializer());
    this.serde = scores.valueSerde();
    List<TopicPartition> partitions = new ArrayList<>();
    for (int p = 0; p < scores.partitions(); p++) {
      partitions.add(new TopicPartition(scores.name(), p));
    }
    consumer.assign(partitions);
    consumer.seekToBeginning(partitions);
    this.thread = new Thread(this::loop, "bench-score-watcher");
    thread.setDaemon(true);
    thread.start();
  }

  private void loop() {
    try {
      while (running) {
        var records = consumer.poll(Duration.ofMillis(100));
        long seenAt = System.currentTimeMillis();
        for (ConsumerRecord<String, byte[]> r : records) {
          Score s = serde.deserialize(r.value());
          char phase = s.impressionId().charAt(0);
          AtomicLong count = counts.get(phase);
          if (count == null) {
            continue;
          }
          if (phase == 'p') {
            firstPeakScoredAt.accumulateAndGet(s.scoredAt(), Math::min);
            lastPeakScoredAt.accumulateAndGet(s.scoredAt(), Math::max);
          } else if (phase == 'l') {
            synchronized (latency) {
              latency.recordValue(Math.min(latency.getHighestTrackableValue(),
                  Math.max(0, seenAt - r.timestamp())));
              untilScored.recordValue(Math.min(untilScored.getHighestTrackableValue(),
                  Math.max(0, s.scoredAt() - r.timestamp())));
            }
          }
          count.incrementAndGet();
        }
      }
    } catch (WakeupException e) {
      // closing
    } catch (RuntimeException e) {
      failure = e;
    }
  }

  /** Committed scores seen so far of one phase ({@code w}, {@code p} or {@code l}). */
  long count(char phase) {
    if (failure != null) {
      throw new IllegalStateException("the score reader failed: " + failure.getMessage(), failure);
    }
    return counts.get(phase).get();
  }

  /** Milliseconds from the first to the last peak-phase score (scorer wall clock). */
  long peakSpanMs() {
    return lastPeakScoredAt.get() - firstPeakScoredAt.get();
  }

  /** A copy of the latency histogram (ms). */
  Histogram latency() {
    synchronized (latency) {
      return latency.copy();
    }
  }

  /**
   * A copy of the produce-to-scored histogram (ms): the part of the latency before the score's
   * transaction commits (queueing, micro-batch wait, model); the rest is the commit.
   */
  Histogram untilScored() {
    synchronized (latency) {
      return untilScored.copy();
    }
  }

  @Override
  public void close() {
    running = false;
    consumer.wakeup();
    try {
      thread.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
  }
}
