package io.ctrstream.streams.state;

import io.ctrstream.schemas.Profile;
import java.util.ArrayList;
import java.util.List;

/**
 * Everything the scorer knows about one user that feature assembly needs, in one store value so
 * an impression costs one read of it: the profile and the last N highly rated movies (oldest
 * first) with their aligned negatives, how many ratings, and high ratings, the user has given, and
 * the user's decayed genre counters ({@link GenreCounters}). The set of rated movies lives in its
 * own store, read only when a rating arrives.
 *
 * @param profile the user's attributes; {@link Profile#UNKNOWN} when never seen
 * @param ratings how many ratings the user has given (0 in state written before it was counted)
 * @param positives how many of them were high (rating &gt;= 4)
 * @param genreCounters the decayed genre counters (empty in state written before they were kept)
 * @param lastEventAt event time of the user's latest profile or rating, or of an impression that
 *     moved it by a retention step (see {@code UserRetention}); null in state written before it
 *     was kept, and for a user the scorer has not seen
 */
public record UserState(Profile profile, List<HistoryEntry> history, Integer ratings, Integer positives,
    GenreCounters genreCounters, Long lastEventAt) {

  /** A user the scorer has not seen: unknown profile, empty history (a cold user). */
  public static final UserState EMPTY = new UserState(Profile.UNKNOWN, List.of(), 0, 0, GenreCounters.EMPTY, null);

  public UserState {
    profile = profile == null ? Profile.UNKNOWN : profile;
    history = history == null ? List.of() : List.copyOf(history);
    // Boxed so state written before the counts existed (no such fields) reads as 0, not an error.
    ratings = ratings == null ? 0 : Math.max(0, ratings);
    positives = positives == null ? 0 : Math.max(0, Math.min(positives, ratings));
    genreCounters = genreCounters == null ? GenreCounters.EMPTY : genreCounters;
  }

  /** A state with no rating counted. */
  public UserState(Profile profile, List<HistoryEntry> history) {
    this(profile, history, 0, 0);
  }

  /** A state with rating counts but no genre counters. */
  public UserState(Profile profile, List<HistoryEntry> history, Integer ratings, Integer positives) {
    this(profile, history, ratings, positives, GenreCounters.EMPTY);
  }

  /** A state with no event time. */
  public UserState(Profile profile, List<HistoryEntry> history, Integer ratings, Integer positives,
      GenreCounters genreCounters) {
    this(profile, history, ratings, positives, genreCounters, null);
  }

  public UserState withProfile(Profile newProfile) {
    return new UserState(newProfile, history, ratings, positives, genreCounters, lastEventAt);
  }

  /** The state with an event at {@code eventTime}: the latest event time stands (out-of-order events do not move it back). */
  public UserState seenAt(long eventTime) {
    long latest = lastEventAt == null ? eventTime : Math.max(lastEventAt, eventTime);
    return new UserState(profile, history, ratings, positives, genreCounters, latest);
  }

  /** History movie ids, oldest first. */
  public List<String> historyIds() {
    return history.stream().map(HistoryEntry::movieId).toList();
  }

  /** Negatives, aligned with {@link #historyIds()}. */
  public List<String> negativeIds() {
    return history.stream().map(HistoryEntry::negative).toList();
  }

  /** The state after a rating of a movie with no known genres. */
  public UserState afterRating(
      String movieId, long timestamp, boolean positive, String negative, int maxLength) {
    return afterRating(movieId, timestamp, positive, negative, maxLength, List.of());
  }

  /**
   * The state after a rating. A movie rated again leaves the history first (its old rating no
   * longer stands); a positive then enters it in timestamp order with its negative; only the
   * last {@code maxLength} remain. The genre counters decay and count the movie's genres.
   *
   * @param negative the negative drawn for this movie; used only when {@code positive}
   * @param movieGenres the rated movie's genres in the catalog now (empty when unknown)
   */
  public UserState afterRating(String movieId, long timestamp, boolean positive, String negative,
      int maxLength, List<String> movieGenres) {
    List<HistoryEntry> next = new ArrayList<>(history.size() + 1);
    for (HistoryEntry e : history) {
      if (!e.movieId().equals(movieId)) {
        next.add(e);
      }
    }
    if (positive) {
      int at = next.size();
      // Out-of-order ratings go where their timestamp puts them; equal timestamps keep arrival order.
      while (at > 0 && next.get(at - 1).timestamp() > timestamp) {
        at--;
      }
      next.add(at, new HistoryEntry(movieId, timestamp, negative));
    }
    if (next.size() > maxLength) {
      next = next.subList(next.size() - maxLength, next.size());
    }
    return new UserState(profile, next, saturatedIncrement(ratings),
        positive ? saturatedIncrement(positives) : positives,
        genreCounters.afterRating(movieGenres, positive), lastEventAt);
  }

  /**
   * The state after a click on a movie: the movie enters the history in timestamp order with its
   * negative, as a high rating does (an entry of the same movie leaves first); only the last
   * {@code maxLength} remain. A click is not a rating: the rating counts and the genre counters
   * stay as they are.
   */
  public UserState afterClick(String movieId, long timestamp, String negative, int maxLength) {
    List<HistoryEntry> next = new ArrayList<>(history.size() + 1);
    for (HistoryEntry e : history) {
      if (!e.movieId().equals(movieId)) {
        next.add(e);
      }
    }
    int at = next.size();
    while (at > 0 && next.get(at - 1).timestamp() > timestamp) {
      at--;
    }
    next.add(at, new HistoryEntry(movieId, timestamp, negative));
    if (next.size() > maxLength) {
      next = next.subList(next.size() - maxLength, next.size());
    }
    return new UserState(profile, next, ratings, positives, genreCounters, lastEventAt);
  }

  private static int saturatedIncrement(int n) {
    return n == Integer.MAX_VALUE ? n : n + 1;
  }

  /** Whether nothing is left worth keeping (not named isEmpty: Jackson would store it). */
  public boolean holdsNothing() {
    return history.isEmpty() && ratings == 0 && Profile.UNKNOWN.equals(profile);
  }
}
