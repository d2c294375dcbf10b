package io.ctrstream.schemas;

import java.util.List;

/**
 * How the user had rated the candidate's genres when an example was served: the six values of
 * the model's {@code UserGenreStats}, part of the {@code feedback} value. Per genre the scorer keeps
 * decayed counts of the user's ratings and high ratings at two decays (recent 0.8, long 0.95 per
 * rating); {@code *Ratings} and {@code *Positives} are their means over the candidate's genres (0
 * for a candidate without genres), {@code *Total} the decayed count of all the user's ratings.
 */
public record UserGenre(
    Double recentPositives,
    Double recentRatings,
    Double recentTotal,
    Double longPositives,
    Double longRatings,
    Double longTotal)
    implements WireValue {

  @Override
  public List<String> validate() {
    return new Checks()
        .range("recentPositives", recentPositives, 0, Double.MAX_VALUE)
        .range("recentRatings", recentRatings, 0, Double.MAX_VALUE)
        .range("recentTotal", recentTotal, 0, Double.MAX_VALUE)
        .range("longPositives", longPositives, 0, Double.MAX_VALUE)
        .range("longRatings", longRatings, 0, Double.MAX_VALUE)
        .range("longTotal", longTotal, 0, Double.MAX_VALUE)
        .done();
  }
}
