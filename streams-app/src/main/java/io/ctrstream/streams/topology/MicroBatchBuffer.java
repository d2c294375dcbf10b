package io.ctrstream.streams.topology;

import io.ctrstream.streams.state.BufferedImpression;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Impressions accepted but not yet scored, in arrival order, in the logged store {@code
 * score-buffer} (key: zero-padded sequence number). Because the store is logged, an impression
 * acknowledged at a commit is in the changelog; if the process dies before its batch is scored,
 * the restored buffer is scored by the next flush. The size and next sequence are recovered from
 * the store on init.
 *
 * <p>Reads start at the oldest live sequence, never at the start of the store: the buffer is a
 * queue, so RocksDB holds a tombstone for every impression already scored until compaction, and an
 * iterator from the first key would walk all of them on every flush (quadratic in the stream).
 */
final class MicroBatchBuffer {
  private final KeyValueStore<String, BufferedImpression> store;
  private long firstSequence = Long.MAX_VALUE;
  private long nextSequence;
  private int size;

  MicroBatchBuffer(KeyValueStore<String, BufferedImpression> store) {
    this.store = store;
    try (KeyValueIterator<String, BufferedImpression> it = store.all()) {
      while (it.hasNext()) {
        KeyValue<String, BufferedImpression> kv = it.next();
        long sequence = Long.parseLong(kv.key);
        firstSequence = Math.min(firstSequence, sequence);
        nextSequence = Math.max(nextSequence, sequence + 1);
        size++;
      }
    }
  }

  void append(BufferedImpression impression) {
    if (size == 0) {
      firstSequence = nextSequence;
    }
    store.put(key(nextSequence++), impression);
    size++;
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** Everything buffered, oldest first; still in the store until {@link #remove}. */
  List<KeyValue<String, BufferedImpression>> contents() {
    List<KeyValue<String, BufferedImpression>> out = new ArrayList<>(size);
    if (size == 0) {
      return out;
    }
    try (KeyValueIterator<String, BufferedImpression> it =
        store.range(key(firstSequence), key(nextSequence - 1))) {
      it.forEachRemaining(out::add);
    }
    return out;
  }

  void remove(List<KeyValue<String, BufferedImpression>> scored) {
    for (KeyValue<String, BufferedImpression> kv : scored) {
      store.delete(kv.key);
      size--;
      firstSequence = Math.max(firstSequence, Long.parseLong(kv.key) + 1);
    }
  }

  private static String key(long sequence) {
    return String.format(Locale.ROOT, "%019d", sequence);
  }
}
