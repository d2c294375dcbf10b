package io.ctrstream.dien.release;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.features.FeatureSpec;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Proves which feature layouts the scorer accepts: the one its rows carry (and subsets of it),
 * not one that asks for a column the topology never fills, another transform or format; a longer
 * model history is flagged, not refused.
 */
class ServableSpecTest {
  private final ServableSpec servable = new ServableSpec(10);

  private static FeatureSpec spec(List<String> numeric, List<String> categorical, String history, int t) {
    return new FeatureSpec(FeatureSpec.VERSION, numeric, FeatureSpec.MEAN_IMPUTE_QUANTILE_UNIFORM, categorical,
        "movieId", "genres", 6, history, "negHistMovieIds", t, "PER_COLUMN");
  }

  @Test
  void theTopologysLayoutAndItsSubsetsAreServable() {
    assertThat(servable.problems(ReleaseFixtures.encoder().spec())).isEmpty();
    assertThat(servable.problems(spec(List.of(), List.of("movieId"), "histHighRatedMovieIds", 10))).isEmpty();
    assertThat(servable.problems(FeatureEncoder.spec(FeatureEncoder.Options.builder().optUserStats(true).build())))
        .as("the user's rating counts are served").isEmpty();
    assertThat(servable.problems(FeatureEncoder.spec(FeatureEncoder.Options.builder().optUserStats(true)
        .optItemStats(true).build()))).as("movie statistics come with the bundle").isEmpty();
    assertThat(servable.problems(FeatureEncoder.spec(FeatureEncoder.Options.builder().optUserStats(true)
        .optHistoryAffinity(true).optItemStats(true).build())))
        .as("the history's genre affinity comes from the bundle's movie-to-genres table").isEmpty();
  }

  @Test
  void foreignColumnsTransformsAndFormatsAreNot() {
    assertThat(servable.problems(spec(List.of("age", "income"), List.of("movieId", "country"),
        "clicks", 10)))
        .containsExactly(
            "numeric column income (the scorer produces [age, userPositiveRate, userRatingCount,"
                + " historyGenreAffinity, moviePositiveRate, movieRatingCount, wideMovieRate,"
                + " wideMovieCount, wideUserRate, wideUserCount, wideGenreRecentRate,"
                + " wideGenreLongRate, wideGenreRecentShare, wideGenreLongShare])",
            "categorical column country (the scorer produces [gender, movieId, occupation, zipCode])",
            "history column clicks (the scorer produces histHighRatedMovieIds)");
    FeatureSpec other = new FeatureSpec(2, List.of("age"), "log", List.of("movieId"), "movieId", "genres", 6,
        "histHighRatedMovieIds", "negHistMovieIds", 10, "PER_COLUMN");
    assertThat(servable.problems(other)).hasSize(2);
  }

  @Test
  void theWideColumnsAreServed() {
    // the scorer serves the movie counts and the user's genre statistics they are computed from
    List<String> numeric = new java.util.ArrayList<>(List.of("age"));
    numeric.addAll(io.ctrstream.dien.features.FeatureEncoder.WIDE);
    assertThat(servable.problems(spec(numeric, List.of("movieId"), "histHighRatedMovieIds", 10)))
        .isEmpty();
  }

  @Test
  void aLongerModelHistoryIsFlaggedOnly() {
    FeatureSpec longer = spec(List.of("age"), List.of("movieId"), "histHighRatedMovieIds", 20);
    assertThat(servable.problems(longer)).isEmpty();
    assertThat(servable.historyShorterThan(longer)).isTrue();
    assertThat(servable.historyShorterThan(spec(List.of(), List.of("movieId"), "histHighRatedMovieIds", 10))).isFalse();
  }
}
