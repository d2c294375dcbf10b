package io.ctrstream.streams.topology;

import io.ctrstream.streams.state.CompositeKey;
import io.ctrstream.streams.state.UserState;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Forgets users with no event for {@code retentionMs} of event time, so that state, disk and
 * changelogs are bounded by the users active within the retention, not by every user ever seen.
 *
 * <p>A user's activity is kept in {@link UserState#lastEventAt()}. An expiry index ordered by
 * expiry time (as for pending impressions) lets {@link #expire(long)} find the due users with one
 * range scan. So that an impression does not cost a state write, activity is kept in steps of
 * {@code retentionMs / 100}: a user's state is written for an impression only when the impression
 * moves the user's activity into a later step, and the index gets one entry per step, at the end
 * of the step plus the retention, so an entry is never due before the user it names. When an
 * entry is due, the user is forgotten if their latest activity is more than the retention old;
 * otherwise a later entry exists and this one is dropped.
 *
 * <p>Forgetting deletes the user's state (profile, history, counters) and every rated-movie
 * record of the user; deletes reach the changelogs as tombstones, which compaction removes. A user
 * who comes back starts cold, and their profile counts again only when it is published again.
 */
final class UserRetention {
  /** Activity steps per retention period: at most one extra state write per user per step. */
  static final long STEPS = 100;

  private final KeyValueStore<String, UserState> users;
  private final KeyValueStore<String, Long> rated;
  private final KeyValueStore<String, String> expiryIndex;
  private final long retentionMs;
  private final long stepMs;

  /**
   * @param retentionMs how long a user is kept after their latest event; 0: for ever (nothing
   *     is indexed or expired)
   */
  UserRetention(KeyValueStore<String, UserState> users, KeyValueStore<String, Long> rated,
      KeyValueStore<String, String> expiryIndex, long retentionMs) {
    this.users = users;
    this.rated = rated;
    this.expiryIndex = expiryIndex;
    this.retentionMs = retentionMs;
    this.stepMs = Math.max(1, retentionMs / STEPS);
  }

  boolean enabled() {
    return retentionMs > 0;
  }

  /** How often, in stream time, {@link #expire(long)} should run. */
  long expireEveryMs() {
    return Math.min(stepMs, 60_000L);
  }

  /**
   * The state to store for a user whose state changes anyway (a profile or a rating) with an
   * event at {@code eventTime}: its activity moves on, and the index learns of a new step.
   */
  UserState changed(String userId, UserState before, UserState after, long eventTime) {
    if (!enabled()) {
      return after;
    }
    UserState next = after.seenAt(eventTime);
    index(userId, before.lastEventAt(), next.lastEventAt());
    return next;
  }

  /**
   * Records an impression's activity: writes the user's state only when the impression moves the
   * activity into a later step. A user with nothing stored has nothing to forget and is not
   * written.
   */
  void touched(String userId, UserState state, long eventTime) {
    if (!enabled() || state.holdsNothing()) {
      return;
    }
    Long last = state.lastEventAt();
    if (last != null && step(eventTime) <= step(last)) {
      return;
    }
    UserState next = state.seenAt(eventTime);
    users.put(userId, next);
    index(userId, last, next.lastEventAt());
  }

  private void index(String userId, Long before, long after) {
    if (before == null || step(after) != step(before)) {
      expiryIndex.put(pad(dueAt(after)) + "|" + userId, userId);
    }
  }

  /** When the index entry for activity at {@code t} is due: the end of its step plus the retention. */
  private long dueAt(long t) {
    return saturatedAdd(saturatedAdd(step(t) * stepMs, stepMs), retentionMs);
  }

  private long step(long t) {
    return Math.floorDiv(t, stepMs);
  }

  /**
   * Forgets every user whose latest activity is more than the retention before {@code streamTime};
   * returns how many.
   */
  int expire(long streamTime) {
    if (!enabled()) {
      return 0;
    }
    List<KeyValue<String, String>> due = new ArrayList<>();
    try (KeyValueIterator<String, String> it = expiryIndex.range(null, pad(streamTime))) {
      it.forEachRemaining(due::add);
    }
    int forgotten = 0;
    for (KeyValue<String, String> entry : due) {
      expiryIndex.delete(entry.key);
      String userId = entry.value;
      UserState state = users.get(userId);
      if (state == null) {
        continue; // already forgotten, or deleted as holding nothing
      }
      Long last = state.lastEventAt();
      // An entry is due at the end of its step plus the retention: the user is due unless a later
      // event moved them into a later step, which wrote a later entry.
      if (last == null || saturatedAdd(last, retentionMs) <= streamTime) {
        forget(userId);
        forgotten++;
      }
    }
    return forgotten;
  }

  private void forget(String userId) {
    users.delete(userId);
    List<String> keys = new ArrayList<>();
    try (KeyValueIterator<String, Long> it =
        rated.prefixScan(CompositeKey.userPrefix(userId), new StringSerializer())) {
      it.forEachRemaining(kv -> keys.add(kv.key));
    }
    keys.forEach(rated::delete);
  }

  private static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return b > 0 && sum < a ? Long.MAX_VALUE : sum;
  }

  private static String pad(long t) {
    return String.format(Locale.ROOT, "%019d", Math.max(0, t));
  }
}
