package io.ctrstream.dien.features;

/**
 * How the user has rated the candidate's genres lately, as the scorer keeps it: per genre, a
 * decayed count of the user's ratings and of the high ones, at two speeds. Each of the user's
 * ratings multiplies every counter by the decay ({@link #RECENT_DECAY} or {@link #LONG_DECAY})
 * and then adds 1 (and 1 for a high rating) to the counters of the rated movie's genres, so the
 * recent counters describe the last few ratings and the long ones the last few dozen.
 *
 * <p>{@code *Positives} and {@code *Ratings} are the means of the per-genre counters over the
 * candidate's genres (0 for a candidate without genres); {@code *Total} is the decayed count of
 * all the user's ratings, so {@code recentRatings / recentTotal} is the share of the user's
 * recent attention that went to genres like the candidate's, and {@code recentPositives /
 * recentRatings} how the user liked them.
 */
public record UserGenreStats(
    double recentPositives,
    double recentRatings,
    double recentTotal,
    double longPositives,
    double longRatings,
    double longTotal) {

  /** Per-rating decay of the recent counters (half-life about 3 ratings). */
  public static final double RECENT_DECAY = 0.8;
  /** Per-rating decay of the long counters (half-life about 13.5 ratings). */
  public static final double LONG_DECAY = 0.95;

  /** A user with no ratings yet. */
  public static final UserGenreStats EMPTY = new UserGenreStats(0, 0, 0, 0, 0, 0);

  public UserGenreStats {
    check("recentPositives", recentPositives);
    check("recentRatings", recentRatings);
    check("recentTotal", recentTotal);
    check("longPositives", longPositives);
    check("longRatings", longRatings);
    check("longTotal", longTotal);
  }

  private static void check(String name, double v) {
    if (!Double.isFinite(v) || v < 0) {
      throw new IllegalArgumentException(name + " must be finite and >= 0, got " + v);
    }
  }
}
