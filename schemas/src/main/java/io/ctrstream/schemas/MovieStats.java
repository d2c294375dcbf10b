package io.ctrstream.schemas;

import java.util.List;

/**
 * Value of the compacted {@code movie-stats} topic, key movieId (schema {@code
 * schemas/movie-stats.schema.json}): how many ratings a movie has received from all users, and how
 * many of them were high (rating &gt;= {@value Rating#POSITIVE_THRESHOLD}). Written by the scorer's
 * own topology as ratings arrive; every scorer task reads it back through a global store.
 *
 * @param ratings ratings counted so far
 * @param positives how many of them were high; not more than {@code ratings}
 * @param updatedAt timestamp of the latest rating counted (the rating's event time), epoch ms
 */
public record MovieStats(String movieId, Long ratings, Long positives, Long updatedAt)
    implements WireValue {

  /** The stats of a movie with no rating counted yet. */
  public static MovieStats none(String movieId) {
    return new MovieStats(movieId, 0L, 0L, 0L);
  }

  /** The stats after one more rating: saturating counts, the latest event time kept. */
  public MovieStats plus(Rating rating) {
    return plus(rating, Rating.POSITIVE_THRESHOLD);
  }

  /** As {@link #plus(Rating)}, a rating at or above {@code threshold} counting as high. */
  public MovieStats plus(Rating rating, double threshold) {
    long r = ratings == Long.MAX_VALUE ? ratings : ratings + 1;
    long p = rating.positive(threshold) && positives < r ? positives + 1 : positives;
    return new MovieStats(movieId, r, p, Math.max(updatedAt, rating.timestamp()));
  }

  @Override
  public List<String> validate() {
    Checks c = new Checks()
        .id("movieId", movieId)
        .range("ratings", ratings, 0, Long.MAX_VALUE)
        .range("positives", positives, 0, Long.MAX_VALUE)
        .epochMillis("updatedAt", updatedAt);
    if (ratings != null && positives != null && positives > ratings) {
      c.rule(false, "positives must not exceed ratings, got " + positives + " of " + ratings);
    }
    return c.done();
  }
}
