package io.ctrstream.streams.state;

import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.features.UserGenreStats;
import io.ctrstream.schemas.Profile;
import io.ctrstream.schemas.UserGenre;
import java.util.List;

/**
 * The features of one (user, movie) pair as they were assembled, kept so that the feedback
 * example carries exactly what was scored.
 *
 * @param genres the candidate movie's genres (empty for a movie not in the catalog)
 * @param history the user's highly rated movies, oldest first
 * @param negatives one negative per history entry, aligned
 * @param userRatings the user's ratings so far; null in features buffered before it was served
 * @param userPositives how many of them were high; null likewise
 * @param movieRatings the candidate's ratings from all users in {@code movie-stats} (0 when it has
 *     none counted); null in features buffered before it was served
 * @param moviePositives how many of them were high; null likewise
 * @param userGenre the user's genre statistics for the candidate's genres; null likewise
 */
public record ServedFeatures(Profile profile, List<String> genres, List<String> history,
    List<String> negatives, Integer userRatings, Integer userPositives, Integer movieRatings,
    Integer moviePositives, UserGenre userGenre) {

  public ServedFeatures {
    profile = profile == null ? Profile.UNKNOWN : profile;
    genres = genres == null ? List.of() : List.copyOf(genres);
    history = history == null ? List.of() : List.copyOf(history);
    negatives = negatives == null ? List.of() : List.copyOf(negatives);
  }

  /** Features without the movie and genre statistics. */
  public ServedFeatures(Profile profile, List<String> genres, List<String> history,
      List<String> negatives, Integer userRatings, Integer userPositives) {
    this(profile, genres, history, negatives, userRatings, userPositives, null, null, null);
  }

  /** The row the model scores: where the streaming layer meets the model. */
  public FeatureRow toRow(String userId, String movieId) {
    return new FeatureRow(
        userId,
        profile.age() == null ? null : profile.age().doubleValue(),
        profile.gender(),
        profile.occupation(),
        profile.zipCode(),
        movieId,
        genres,
        history,
        negatives,
        userRatings,
        userPositives,
        movieRatings,
        moviePositives,
        userGenre == null ? null : new UserGenreStats(userGenre.recentPositives(),
            userGenre.recentRatings(), userGenre.recentTotal(), userGenre.longPositives(),
            userGenre.longRatings(), userGenre.longTotal()));
  }
}
