package io.ctrstream.streams.topology;

import io.ctrstream.streams.state.AttributedImpression;
import io.ctrstream.streams.state.CompositeKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Scored impressions awaiting a click, by (user, impression id), when click attribution is on.
 * Each impression is open for {@code windowMs} of event time after its timestamp; then {@link
 * #expire(long)} closes it (returning it, so that a non-click example can be emitted when it was
 * not clicked) and keeps the closed entry, without its features, for one more window so that a late
 * click is dead-lettered as expired rather than unknown. An expiry index ordered by due time (as
 * for pending impressions) finds what is due with one range scan.
 */
final class ClickAttribution {
  private final KeyValueStore<String, AttributedImpression> impressions;
  private final KeyValueStore<String, String> expiryIndex;
  private final long windowMs;

  ClickAttribution(KeyValueStore<String, AttributedImpression> impressions,
      KeyValueStore<String, String> expiryIndex, long windowMs) {
    this.impressions = impressions;
    this.expiryIndex = expiryIndex;
    this.windowMs = windowMs;
  }

  long windowMs() {
    return windowMs;
  }

  AttributedImpression get(String userId, String impressionId) {
    return impressions.get(CompositeKey.of(userId, impressionId));
  }

  /** Opens a scored impression for clicks; due at its {@code expiresAt}. */
  void open(AttributedImpression a) {
    String key = CompositeKey.of(a.userId(), a.impressionId());
    impressions.put(key, a);
    expiryIndex.put(indexKey(a.expiresAt(), key), key);
  }

  /** Records the click of an open impression. */
  void clicked(AttributedImpression a) {
    impressions.put(CompositeKey.of(a.userId(), a.impressionId()), a.withClick());
  }

  /**
   * Closes every open impression whose window ended at or before {@code streamTime} and forgets
   * every closed one a window later; returns the impressions closed now, in due order.
   */
  List<AttributedImpression> expire(long streamTime) {
    List<KeyValue<String, String>> due = new ArrayList<>();
    try (KeyValueIterator<String, String> it = expiryIndex.range(null, pad(streamTime))) {
      it.forEachRemaining(due::add);
    }
    List<AttributedImpression> closed = new ArrayList<>();
    for (KeyValue<String, String> kv : due) {
      expiryIndex.delete(kv.key);
      long dueAt = Long.parseLong(kv.key.substring(0, 19));
      AttributedImpression a = impressions.get(kv.value);
      if (a == null) {
        continue;
      }
      if (a.open() && a.expiresAt() == dueAt) {
        impressions.put(kv.value, a.closed());
        long forgetAt = UserEventProcessor.saturatedAdd(a.expiresAt(), windowMs);
        expiryIndex.put(indexKey(forgetAt, kv.value), kv.value);
        closed.add(a);
      } else if (!a.open() && UserEventProcessor.saturatedAdd(a.expiresAt(), windowMs) == dueAt) {
        impressions.delete(kv.value);
      }
      // Otherwise a newer impression with the same id replaced it; its own entry is due later.
    }
    return closed;
  }

  private static String indexKey(long dueAt, String compositeKey) {
    return pad(dueAt) + "|" + compositeKey;
  }

  private static String pad(long t) {
    return String.format(Locale.ROOT, "%019d", Math.max(0, t));
  }
}
