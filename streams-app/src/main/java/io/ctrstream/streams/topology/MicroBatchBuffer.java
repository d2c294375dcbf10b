package io.ctrstream.streams.topology;

import io.ctrstream.schemas.Impression;
import io.ctrstream.streams.state.BufferedImpression;
import io.ctrstream.streams.state.CompositeKey;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Impressions accepted but not yet scored, in arrival order.
 *
 * <p>The logged store {@code score-buffer} (key: zero-padded sequence number) is what makes the
 * buffer durable: an impression acknowledged at a commit is in the changelog, and if the process
 * dies before its batch is scored, the restored buffer is read back on init and scored by the next
 * flush. While the task runs the store is only written (one put per impression, one delete per
 * scored one); what a flush scores comes from the in-memory copy kept beside it. Reading the store
 * back on every flush would cost a range scan (which Kafka Streams meters by registering and
 * unregistering an open-iterator metric each time) and a deserialisation per row.
 *
 * <p>The buffer also knows which (user, movie) pairs it holds, so a rating can tell in O(1)
 * whether its impression is still waiting for its batch.
 */
final class MicroBatchBuffer {
  private final KeyValueStore<String, BufferedImpression> store;
  private final List<KeyValue<String, BufferedImpression>> entries = new ArrayList<>();
  private final Set<String> pairs = new HashSet<>(); // (user, movie) keys; cleared with the rest
  private long nextSequence;
  private long oldestAcceptedAt;

  /**
   * @param now wall-clock time used as the acceptance time of impressions restored from the store
   */
  MicroBatchBuffer(KeyValueStore<String, BufferedImpression> store, long now) {
    this.store = store;
    try (KeyValueIterator<String, BufferedImpression> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, BufferedImpression> kv = it.next();
        nextSequence = Math.max(nextSequence, Long.parseLong(kv.key) + 1);
        track(kv);
      }
    }
    oldestAcceptedAt = entries.isEmpty() ? Long.MAX_VALUE : now;
  }

  /** Adds an impression; {@code now} (wall clock) dates it for {@link #oldestAcceptedAt()}. */
  void append(BufferedImpression impression, long now) {
    KeyValue<String, BufferedImpression> kv = KeyValue.pair(key(nextSequence++), impression);
    store.put(kv.key, kv.value);
    if (entries.isEmpty()) {
      oldestAcceptedAt = now;
    }
    track(kv);
  }

  int size() {
    return entries.size();
  }

  boolean isEmpty() {
    return entries.isEmpty();
  }

  /** Whether an impression of this movie to this user is waiting in the buffer. */
  boolean holds(String userId, String movieId) {
    return pairs.contains(CompositeKey.of(userId, movieId));
  }

  /** Wall-clock time the oldest buffered impression was accepted; {@code Long.MAX_VALUE} when empty. */
  long oldestAcceptedAt() {
    return oldestAcceptedAt;
  }

  /** Everything buffered, oldest first (a copy); still buffered until {@link #clear}. */
  List<KeyValue<String, BufferedImpression>> contents() {
    return new ArrayList<>(entries);
  }

  /** Removes everything buffered (it has been scored), from the store too. */
  void clear() {
    for (KeyValue<String, BufferedImpression> kv : entries) {
      store.delete(kv.key);
    }
    entries.clear();
    pairs.clear();
    oldestAcceptedAt = Long.MAX_VALUE;
  }

  private void track(KeyValue<String, BufferedImpression> kv) {
    entries.add(kv);
    Impression i = kv.value.impression();
    pairs.add(CompositeKey.of(i.userId(), i.movieId()));
  }

  private static String key(long sequence) {
    return String.format(Locale.ROOT, "%019d", sequence);
  }
}
