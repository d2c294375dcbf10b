package io.ctrstream.trainer.movielens;

import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.features.LabeledRow;
import java.util.List;
import java.util.Objects;

/**
 * One line of the reference CSV: a user's last rating with the history that preceded it.
 *
 * @param rating the star rating of the candidate ({@code ratting} in the file, sic); NaN if absent
 * @param timestamp unix seconds of the candidate rating
 * @param history up to 10 highly rated movies before the candidate, oldest first
 * @param negatives movies the user never rated, one per history entry
 * @param label 1 when {@code rating >= 4}
 */
public record ReferenceRow(
    String userId,
    String movieId,
    double rating,
    long timestamp,
    List<String> history,
    List<String> negatives,
    String gender,
    Double age,
    String occupation,
    String zipCode,
    String title,
    List<String> genres,
    int label) {

  public ReferenceRow {
    Objects.requireNonNull(userId, "userId must not be null");
    Objects.requireNonNull(movieId, "movieId must not be null");
    history = List.copyOf(history);
    negatives = List.copyOf(negatives);
    genres = List.copyOf(genres);
    if (label != 0 && label != 1) {
      throw new IllegalArgumentException("label must be 0 or 1, got " + label);
    }
  }

  /** The model's view of this row; its timestamp in epoch milliseconds, as events carry. */
  public LabeledRow toLabeledRow() {
    return new LabeledRow(
        new FeatureRow(
            userId, age, gender, occupation, zipCode, movieId, genres, history, negatives),
        label,
        timestamp * 1000L);
  }
}
