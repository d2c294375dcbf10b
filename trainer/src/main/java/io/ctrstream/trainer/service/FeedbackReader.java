package io.ctrstream.trainer.service;

import io.ctrstream.schemas.Decoded;
import io.ctrstream.schemas.Feedback;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.TopicSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a bounded window of the {@code feedback} topic (key userId, value {@link Feedback}), newest
 * first: from each partition's end offset backwards, in chunks, until the window is covered,
 * committed records only. Never writes, never joins a group, never commits offsets.
 *
 * <ul>
 *   <li>Last K records: each partition contributes up to its last K valid records; of all of them
 *       the K with the latest event time are kept.
 *   <li>Last D of event time: the newest event time T over all partitions is found first; each
 *       partition is then read back until a chunk holds a record older than T - D (event time in a
 *       partition is nearly, not strictly, ordered; a straggler older than the chunk before is
 *       missed, which a window does not mind). Records at or after T - D are kept, at most the
 *       configured cap (newest first).
 * </ul>
 *
 * <p>A record that does not decode or validate is skipped and counted, its partition and offset
 * logged: bad input never stops training. So is one whose event time is more than {@link
 * #MAX_FUTURE} ahead of the wall clock (the scorer dead-letters such events; one written by
 * anyone else must not move a duration window's end, which would leave the window empty, nor take
 * the place of the newest records).
 */
final class FeedbackReader {

  private static final Logger LOG = LoggerFactory.getLogger(FeedbackReader.class);
  private static final int DURATION_CHUNK = 10_000;
  private static final int LOGGED_INVALID = 5;
  /** Event times further ahead of the wall clock than this are invalid (the scorer's default skew). */
  static final Duration MAX_FUTURE = Duration.ofDays(1);

  private final Consumer<byte[], byte[]> consumer;
  private final TopicSpec<String, Feedback> topic;
  private final Duration timeout;
  private final JsonSerde<Feedback> serde;

  FeedbackReader(
      Consumer<byte[], byte[]> consumer, TopicSpec<String, Feedback> topic, Duration timeout) {
    this.consumer = consumer;
    this.topic = topic;
    this.timeout = timeout;
    this.serde = topic.valueSerde();
  }

  /**
   * What a window read found.
   *
   * @param feedback the valid examples of the window, oldest event time first
   * @param invalid records in the ranges read that did not decode or validate
   * @param endOffsets each partition's end (last stable) offset when read; empty when the topic
   *     does not exist
   */
  record Window(List<Feedback> feedback, long invalid, Map<TopicPartition, Long> endOffsets) {
    Window {
      feedback = List.copyOf(feedback);
      endOffsets = Map.copyOf(endOffsets);
    }

    /** Offsets the topic has grown by since {@code before} (transaction markers included). */
    long newSince(Map<TopicPartition, Long> before) {
      long n = 0;
      for (Map.Entry<TopicPartition, Long> e : endOffsets.entrySet()) {
        n += e.getValue() - before.getOrDefault(e.getKey(), 0L);
      }
      return n;
    }
  }

  /** Only the end offsets (cheap): to count what arrived since the last run. */
  Map<TopicPartition, Long> endOffsets() {
    List<TopicPartition> partitions = TopicRanges.partitions(consumer, topic.name(), timeout);
    return partitions.isEmpty() ? Map.of() : consumer.endOffsets(partitions, timeout);
  }

  /** The last {@code k} records by event time. */
  Window lastRecords(int k) {
    List<TopicPartition> partitions = TopicRanges.partitions(consumer, topic.name(), timeout);
    if (partitions.isEmpty()) {
      return new Window(List.of(), 0, Map.of());
    }
    Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, timeout);
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
    List<Positioned> all = new ArrayList<>();
    long[] invalid = {0};
    for (TopicPartition tp : partitions) {
      long first = begin.get(tp);
      long to = end.get(tp);
      List<Positioned> got = new ArrayList<>();
      // transaction markers use offsets: a range of k offsets may hold fewer than k records
      while (got.size() < k && to > first) {
        long from = Math.max(first, to - (k - got.size()));
        got.addAll(0, decode(tp, from, to, invalid));
        to = from;
      }
      all.addAll(got.size() > k ? got.subList(got.size() - k, got.size()) : got);
    }
    all.sort(Positioned.ORDER);
    List<Positioned> kept = all.size() > k ? all.subList(all.size() - k, all.size()) : all;
    return window(kept, invalid[0], end);
  }

  /** Records of the last {@code duration} of event time, at most {@code cap}. */
  Window lastDuration(Duration duration, int cap) {
    List<TopicPartition> partitions = TopicRanges.partitions(consumer, topic.name(), timeout);
    if (partitions.isEmpty()) {
      return new Window(List.of(), 0, Map.of());
    }
    Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, timeout);
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
    long[] invalid = {0};
    Map<TopicPartition, List<Positioned>> read = new LinkedHashMap<>();
    Map<TopicPartition, Long> readFrom = new HashMap<>();
    long newest = Long.MIN_VALUE;
    for (TopicPartition tp : partitions) {
      long from = Math.max(begin.get(tp), end.get(tp) - DURATION_CHUNK);
      List<Positioned> chunk = decode(tp, from, end.get(tp), invalid);
      read.put(tp, new ArrayList<>(chunk));
      readFrom.put(tp, from);
      for (Positioned p : chunk) {
        newest = Math.max(newest, p.feedback.timestamp());
      }
    }
    if (newest == Long.MIN_VALUE) {
      return window(List.of(), invalid[0], end);
    }
    long cutoff = newest - duration.toMillis();
    for (TopicPartition tp : partitions) {
      List<Positioned> got = read.get(tp);
      List<Positioned> chunk = got;
      long from = readFrom.get(tp);
      while (from > begin.get(tp) && got.size() < cap && !hasOlderThan(chunk, cutoff)) {
        long to = from;
        from = Math.max(begin.get(tp), to - DURATION_CHUNK);
        chunk = decode(tp, from, to, invalid);
        got.addAll(0, chunk);
      }
    }
    List<Positioned> all = new ArrayList<>();
    for (List<Positioned> list : read.values()) {
      for (Positioned p : list) {
        if (p.feedback.timestamp() >= cutoff) {
          all.add(p);
        }
      }
    }
    all.sort(Positioned.ORDER);
    if (all.size() > cap) {
      LOG.warn(
          "the last {} of feedback hold {} records; keeping the newest {} (maxWindowRecords)",
          duration,
          all.size(),
          cap);
      all = all.subList(all.size() - cap, all.size());
    }
    return window(all, invalid[0], end);
  }

  private static boolean hasOlderThan(List<Positioned> chunk, long cutoff) {
    return chunk.stream().anyMatch(p -> p.feedback.timestamp() < cutoff);
  }

  private Window window(List<Positioned> kept, long invalid, Map<TopicPartition, Long> end) {
    if (invalid > 0) {
      LOG.warn(
          "{} records of {} did not decode or validate and were skipped", invalid, topic.name());
    }
    return new Window(kept.stream().map(p -> p.feedback).toList(), invalid, end);
  }

  private List<Positioned> decode(TopicPartition tp, long from, long to, long[] invalid) {
    List<Positioned> out = new ArrayList<>();
    long notAfter = System.currentTimeMillis() + MAX_FUTURE.toMillis();
    for (ConsumerRecord<byte[], byte[]> r : TopicRanges.read(consumer, tp, from, to, timeout)) {
      Decoded<Feedback> d = serde.decode(r.value());
      String problem = null;
      if (d instanceof Decoded.Ok<Feedback> ok) {
        if (ok.value().timestamp() <= notAfter) {
          out.add(new Positioned(ok.value(), tp.partition(), r.offset()));
        } else {
          problem = "event time " + ok.value().timestamp() + " is more than " + MAX_FUTURE
              + " ahead of the wall clock";
        }
      } else if (d instanceof Decoded.Failed<Feedback> failed) {
        problem = failed.reason();
      }
      if (problem != null) {
        invalid[0]++;
        if (invalid[0] <= LOGGED_INVALID) {
          LOG.warn("skipping {} partition {} offset {}: {}", tp.topic(), tp.partition(), r.offset(),
              problem);
        }
      }
    }
    return out;
  }

  /** A decoded record and where it was, for a stable order among equal event times. */
  private record Positioned(Feedback feedback, int partition, long offset) {
    static final Comparator<Positioned> ORDER =
        Comparator.<Positioned>comparingLong(p -> p.feedback.timestamp())
            .thenComparingInt(Positioned::partition)
            .thenComparingLong(Positioned::offset);
  }
}
