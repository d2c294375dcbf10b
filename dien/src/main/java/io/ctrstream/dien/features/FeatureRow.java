package io.ctrstream.dien.features;

import java.util.List;
import java.util.Objects;

/**
 * One row to score or train on, in raw ids: the plain data where the streaming layer and the
 * model meet. Nothing here is a model index, so a model with a new vocabulary works on old state.
 *
 * @param userId the user (not a model feature in the reference layout; kept for tracing)
 * @param age the user's age in years, or {@code null} when unknown (imputed by the encoder)
 * @param gender the user's gender code, or {@code null} when unknown
 * @param occupation the user's occupation, or {@code null} when unknown
 * @param zipCode the user's zip code, or {@code null} when unknown
 * @param movieId the candidate movie
 * @param genres the candidate movie's genres (may be empty)
 * @param history the user's highly rated movies, oldest first (may be empty: a cold user)
 * @param negatives one sampled movie per history entry, aligned with {@code history}
 * @param userRatings how many ratings the user had given before this row, or {@code null} when
 *     unknown (read as 0); a feature only of encoders with {@code userStats}
 * @param userPositives how many of those were high (rating &gt;= 4), or {@code null} (read as 0)
 * @param movieRatings how many ratings the candidate movie had received (from all users) when
 *     the row was served, or {@code null} when unknown
 * @param moviePositives how many of those were high, or {@code null} when unknown
 * @param userGenre how the user has rated the candidate's genres lately, or {@code null} when
 *     unknown
 */
public record FeatureRow(
    String userId,
    Double age,
    String gender,
    String occupation,
    String zipCode,
    String movieId,
    List<String> genres,
    List<String> history,
    List<String> negatives,
    Integer userRatings,
    Integer userPositives,
    Integer movieRatings,
    Integer moviePositives,
    UserGenreStats userGenre) {

  /** A row without the user's rating counts (the reference's layout has none). */
  public FeatureRow(String userId, Double age, String gender, String occupation, String zipCode,
      String movieId, List<String> genres, List<String> history, List<String> negatives) {
    this(userId, age, gender, occupation, zipCode, movieId, genres, history, negatives, null, null);
  }

  /** A row with the user's rating counts but without the served movie and genre statistics. */
  public FeatureRow(String userId, Double age, String gender, String occupation, String zipCode,
      String movieId, List<String> genres, List<String> history, List<String> negatives,
      Integer userRatings, Integer userPositives) {
    this(userId, age, gender, occupation, zipCode, movieId, genres, history, negatives,
        userRatings, userPositives, null, null, null);
  }

  public FeatureRow {
    Objects.requireNonNull(movieId, "movieId must not be null");
    genres = genres == null ? List.of() : List.copyOf(genres);
    history = history == null ? List.of() : List.copyOf(history);
    negatives = negatives == null ? List.of() : List.copyOf(negatives);
  }
}
