package io.ctrstream.trainer.replay;

import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.Rating;
import io.ctrstream.schemas.UserProfile;
import io.ctrstream.trainer.movielens.MovieLensUser;
import java.util.Comparator;

/**
 * MovieLens rows as wire values. Ids become decimal strings, seconds become epoch milliseconds,
 * and every impression gets a deterministic id so that a second replay of the same data produces
 * the same records.
 */
final class WireRecords {

  /**
   * The replay order: by time, ties broken by user then movie so that the order (and therefore
   * every topic's content) does not depend on the file's line order.
   */
  static final Comparator<io.ctrstream.trainer.movielens.Rating> TIME_ORDER =
      Comparator.comparingLong(io.ctrstream.trainer.movielens.Rating::timestamp)
          .thenComparingInt(io.ctrstream.trainer.movielens.Rating::userId)
          .thenComparingInt(io.ctrstream.trainer.movielens.Rating::movieId);

  private WireRecords() {}

  static String id(int id) {
    return Integer.toString(id);
  }

  /** A profile; an age that is not a whole number of years in [0, 150] becomes unknown. */
  static UserProfile user(MovieLensUser u) {
    Integer age = null;
    if (u.age() != null && u.age() >= 0 && u.age() <= 150) {
      age = (int) Math.round(u.age());
    }
    return new UserProfile(id(u.userId()), u.gender(), age, u.occupation(), u.zipCode());
  }

  static Movie movie(io.ctrstream.trainer.movielens.Movie m) {
    return new Movie(id(m.movieId()), m.title(), m.genres());
  }

  /** The rating's time in epoch ms; MovieLens stores unix seconds. */
  static long ratingMillis(io.ctrstream.trainer.movielens.Rating r) {
    return Math.multiplyExact(r.timestamp(), 1000L);
  }

  static Rating rating(io.ctrstream.trainer.movielens.Rating r) {
    return rating(r, ratingMillis(r));
  }

  /** The rating stamped with {@code timestamp} (epoch ms) instead of its own time. */
  static Rating rating(io.ctrstream.trainer.movielens.Rating r, long timestamp) {
    return new Rating(id(r.userId()), id(r.movieId()), (double) r.rating(), timestamp);
  }

  /**
   * The impression that precedes a rating: the same user and movie, shown 1 ms before it was
   * rated (so event time says "shown, then rated"; 0 stays 0), with id {@code
   * imp-<user>-<movie>-<rating ms>}.
   */
  static Impression impression(io.ctrstream.trainer.movielens.Rating r) {
    return impression(r, Math.max(0, ratingMillis(r) - 1));
  }

  /**
   * The impression stamped with {@code timestamp} (epoch ms). Its id keeps the data set's rating
   * time, so ids are the same whatever time the replay stamps.
   */
  static Impression impression(io.ctrstream.trainer.movielens.Rating r, long timestamp) {
    return new Impression(
        impressionId(r.userId(), r.movieId(), ratingMillis(r)),
        id(r.userId()),
        id(r.movieId()),
        timestamp);
  }

  static String impressionId(int userId, int movieId, long ratedAtMillis) {
    return "imp-" + userId + "-" + movieId + "-" + ratedAtMillis;
  }
}
