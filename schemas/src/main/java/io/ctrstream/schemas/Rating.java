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

  /** Ratings at or above this are positives (label 1) and enter the user's history. */
  public static final double POSITIVE_THRESHOLD = 4.0;

  /** Whether this rating counts as a positive. */
  public boolean positive() {
    return rating != null && rating >= POSITIVE_THRESHOLD;
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
