package io.ctrstream.streams.topology;

import io.ctrstream.schemas.Impression;
import io.ctrstream.streams.state.BufferedImpression;
import io.ctrstream.streams.state.CompositeKey;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * One task's impressions accepted but not yet sent out with their score, in arrival order: first
 * those already scored (by a {@link ThreadBatch} call, which may have been made by another task of
 * the same stream thread) and waiting for this task to emit them, then those not yet scored.
 *
 * <p>The logged store {@code score-buffer} (key: zero-padded sequence number) is what makes the
 * buffer durable: an impression acknowledged at a commit is in the changelog, and if the process
 * dies before its score is emitted, the restored buffer is read back on init and scored again by
 * the next flush (scores held in memory are never relied on across a restart). While the task
 * runs the store is only written (one put per impression, one delete per emitted one); what a
 * flush scores comes from the in-memory copy kept beside it. Reading the store back on every
 * flush would cost a range scan (which Kafka Streams meters by registering and unregistering an
 * open-iterator metric each time) and a deserialisation per row.
 *
 * <p>The buffer also knows which (user, movie) pairs it holds, so a rating can tell in O(1)
 * whether its impression is still waiting for its score to go out.
 */
final class MicroBatchBuffer {
  private final KeyValueStore<String, BufferedImpression> store;
  private final List<KeyValue<String, BufferedImpression>> entries = new ArrayList<>();
  private final List<Long> acceptedAt = new ArrayList<>(); // wall clock, beside entries
  private final Map<String, Integer> pairs = new HashMap<>(); // (user, movie) key -> entries held
  private final List<Scored> scored = new ArrayList<>(); // scores of entries[0 .. scored.size())
  private long nextSequence;

  /** The score of one buffered impression, and the model that gave it; {@code failure} when it gave none. */
  record Scored(float probability, String modelVersion, String failure) {}

  /**
   * An impression with its score, ready to be emitted; {@code failure} says why the model gave no
   * score for it (the probability is then NaN), null when it did.
   */
  record Ready(BufferedImpression impression, float probability, String modelVersion, String failure) {}

  /**
   * @param now wall-clock time used as the acceptance time of impressions restored from the store
   */
  MicroBatchBuffer(KeyValueStore<String, BufferedImpression> store, long now) {
    this.store = store;
    try (KeyValueIterator<String, BufferedImpression> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, BufferedImpression> kv = it.next();
        nextSequence = Math.max(nextSequence, Long.parseLong(kv.key) + 1);
        track(kv, now);
      }
    }
  }

  /** Adds an impression; {@code now} (wall clock) dates it for {@link #oldestUnscoredAt()}. */
  void append(BufferedImpression impression, long now) {
    KeyValue<String, BufferedImpression> kv = KeyValue.pair(key(nextSequence++), impression);
    store.put(kv.key, kv.value);
    track(kv, now);
  }

  /** Impressions held, scored or not. */
  int size() {
    return entries.size();
  }

  boolean isEmpty() {
    return entries.isEmpty();
  }

  /** Impressions not yet scored. */
  int unscoredCount() {
    return entries.size() - scored.size();
  }

  /** Whether some impressions are scored and wait to be emitted by this task. */
  boolean hasScored() {
    return !scored.isEmpty();
  }

  /** Whether an impression of this movie to this user is held (scored or not). */
  boolean holds(String userId, String movieId) {
    return pairs.containsKey(CompositeKey.of(userId, movieId));
  }

  /** Wall-clock time the oldest unscored impression was accepted; {@code Long.MAX_VALUE} if none. */
  long oldestUnscoredAt() {
    return unscoredCount() == 0 ? Long.MAX_VALUE : acceptedAt.get(scored.size());
  }

  /** The impressions not yet scored, oldest first (a copy). */
  List<BufferedImpression> unscored() {
    List<BufferedImpression> out = new ArrayList<>(unscoredCount());
    for (int i = scored.size(); i < entries.size(); i++) {
      out.add(entries.get(i).value);
    }
    return out;
  }

  /**
   * Records the scores of the impressions {@link #unscored()} returned, in the same order; the
   * impressions stay buffered (and in the store) until {@link #takeScored()}.
   */
  void markScored(float[] probabilities, int from, int count, String modelVersion) {
    markScored(probabilities, null, from, count, modelVersion);
  }

  /**
   * As {@link #markScored(float[], int, int, String)}, with {@code failures[from + i]} (when the
   * array is given) saying why the model gave no score for impression i.
   */
  void markScored(float[] probabilities, String[] failures, int from, int count, String modelVersion) {
    if (count != unscoredCount()) {
      throw new IllegalStateException(count + " scores for " + unscoredCount() + " unscored impressions");
    }
    for (int i = 0; i < count; i++) {
      scored.add(new Scored(probabilities[from + i], modelVersion, failures == null ? null : failures[from + i]));
    }
  }

  /** Whether an impression with this id, of this movie to this user, is held (scored or not). */
  boolean holdsImpression(String userId, String movieId, String impressionId) {
    if (!holds(userId, movieId)) {
      return false;
    }
    for (KeyValue<String, BufferedImpression> kv : entries) {
      Impression i = kv.value.impression();
      if (i.impressionId().equals(impressionId) && i.userId().equals(userId) && i.movieId().equals(movieId)) {
        return true;
      }
    }
    return false;
  }

  /** Whether an impression with this id to this user is held (scored or not), whatever its movie. */
  boolean holdsImpressionId(String userId, String impressionId) {
    for (KeyValue<String, BufferedImpression> kv : entries) {
      Impression i = kv.value.impression();
      if (i.impressionId().equals(impressionId) && i.userId().equals(userId)) {
        return true;
      }
    }
    return false;
  }

  /** Removes the scored impressions (memory and store) and returns them with their scores, oldest first. */
  List<Ready> takeScored() {
    int n = scored.size();
    List<Ready> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      KeyValue<String, BufferedImpression> kv = entries.get(i);
      Scored s = scored.get(i);
      out.add(new Ready(kv.value, s.probability(), s.modelVersion(), s.failure()));
      store.delete(kv.key);
      Impression imp = kv.value.impression();
      pairs.computeIfPresent(CompositeKey.of(imp.userId(), imp.movieId()), (k, c) -> c == 1 ? null : c - 1);
    }
    entries.subList(0, n).clear();
    acceptedAt.subList(0, n).clear();
    scored.clear();
    return out;
  }

  private void track(KeyValue<String, BufferedImpression> kv, long now) {
    entries.add(kv);
    acceptedAt.add(now);
    Impression i = kv.value.impression();
    pairs.merge(CompositeKey.of(i.userId(), i.movieId()), 1, Integer::sum);
  }

  private static String key(long sequence) {
    return String.format(Locale.ROOT, "%019d", sequence);
  }
}
