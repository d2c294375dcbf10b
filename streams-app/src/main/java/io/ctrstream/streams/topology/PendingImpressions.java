package io.ctrstream.streams.topology;

import io.ctrstream.streams.state.CompositeKey;
import io.ctrstream.streams.state.PendingImpression;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Impressions awaiting their rating, by (user, movie): the latest impression of a movie to a user
 * is the one a rating joins. An expiry index ordered by expiry time lets {@link
 * #expire(long)} drop what is past its window with one range scan instead of a full scan.
 */
final class PendingImpressions {
  private final KeyValueStore<String, PendingImpression> pending;
  private final KeyValueStore<String, String> expiryIndex;

  PendingImpressions(
      KeyValueStore<String, PendingImpression> pending, KeyValueStore<String, String> expiryIndex) {
    this.pending = pending;
    this.expiryIndex = expiryIndex;
  }

  PendingImpression get(String userId, String movieId) {
    return pending.get(CompositeKey.of(userId, movieId));
  }

  void put(String userId, String movieId, PendingImpression p) {
    String key = CompositeKey.of(userId, movieId);
    pending.put(key, p);
    expiryIndex.put(indexKey(p.expiresAt(), key), key);
  }

  /** Removes the pending impression of this pair (its rating arrived). The index entry expires later. */
  void remove(String userId, String movieId) {
    pending.delete(CompositeKey.of(userId, movieId));
  }

  /** Drops every pending impression whose window ended before {@code streamTime}; returns how many. */
  int expire(long streamTime) {
    List<KeyValue<String, String>> due = new ArrayList<>();
    try (KeyValueIterator<String, String> it = expiryIndex.range(null, pad(streamTime))) {
      it.forEachRemaining(due::add);
    }
    int expired = 0;
    for (KeyValue<String, String> kv : due) {
      long expiresAt = Long.parseLong(kv.key.substring(0, 19));
      PendingImpression p = pending.get(kv.value);
      // A newer impression of the same pair may have replaced this one: keep it.
      if (p != null && p.expiresAt() == expiresAt) {
        pending.delete(kv.value);
        expired++;
      }
      expiryIndex.delete(kv.key);
    }
    return expired;
  }

  private static String indexKey(long expiresAt, String compositeKey) {
    return pad(expiresAt) + "|" + compositeKey;
  }

  private static String pad(long t) {
    return String.format(Locale.ROOT, "%019d", Math.max(0, t));
  }
}
