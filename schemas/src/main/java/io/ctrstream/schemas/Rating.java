package io.ctrstream.schemas;

import java.util.List;

/**
 * Value of the {@code ratings} topic, key userId (schema {@code schemas/ratings.schema.json}).
 * A rating of {@value #POSITIVE_THRESHOLD} or more is a positive, as in the DIEN MovieLens example.
 *
 * @param rating stars, 0.5 to 5
 * @param timestamp epoch ms when it was rated
 */
public record Rating(String userId, String movieId, Double rating, Long timestamp)
    implements WireValue {

  /**
   * Ratings at or above this are positives (label 1) and enter the user's history, unless the
   * scorer is configured otherwise ({@code rating.positive.threshold}).
   */
  public static final double POSITIVE_THRESHOLD = 4.0;

  /** Whether this rating counts as a positive at the default threshold. */
  public boolean positive() {
    return positive(POSITIVE_THRESHOLD);
  }

  /** Whether this rating counts as a positive: at or above {@code threshold}. */
  public boolean positive(double threshold) {
    return rating != null && rating >= threshold;
  }

  @Override
  public List<String> validate() {
    return new Checks()
        .id("userId", userId)
        .id("movieId", movieId)
        .range("rating", rating, 0.5, 5)
        .epochMillis("timestamp", timestamp)
        .done();
  }
}
