package io.ctrstream.streams.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.features.UserGenreStats;
import io.ctrstream.schemas.Feedback;
import io.ctrstream.schemas.MovieStats;
import io.ctrstream.schemas.UserGenre;
import io.ctrstream.streams.model.SwappableModelProvider;
import io.ctrstream.streams.state.StoreNames;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the real-time item and user-genre statistics on the real topology (TopologyTestDriver,
 * fake model): valid ratings, re-keyed by movieId through the named repartition topic, update each
 * movie's counts in {@code movie-rating-counts} and on {@code movie-stats}; an impression scored
 * later serves the candidate's counts (read back through the global store; 0 for a movie with
 * none) and the user's decayed genre statistics exactly as {@link UserGenreStats} defines them
 * (numbers worked by hand below), in the scored row and in its feedback; organic feedback carries
 * the values from just before its rating.
 */
class MovieAndGenreStatsTopologyTest {
  private static final double EPS = 1e-12;

  @TempDir Path stateDir;

  private final List<FakeScorer> made = new ArrayList<>();

  private Harness harness() {
    SwappableModelProvider provider = new SwappableModelProvider(0.3);
    provider.release("fake-v1", () -> {
      FakeScorer f = new FakeScorer("fake-v1");
      made.add(f);
      return f;
    });
    return new Harness(Harness.config(stateDir, Map.of()), provider);
  }

  private List<FeatureRow> rowsSeen() {
    return made.stream().flatMap(f -> f.batches.stream()).flatMap(List::stream).toList();
  }

  @Test
  void validRatingsUpdateEachMoviesCountsThroughTheRepartitionTopic() {
    try (Harness h = harness()) {
      h.rating("42", "1", 5, 100);
      h.rating("43", "1", 2, 200);
      h.rating("43", "2", 4, 150);
      h.ratings.pipeInput("44", "{\"userId\":\"44\",\"movieId\":\"1\",\"rating\":9,\"timestamp\":300}");
      h.rating("44", "1", 4, 50); // out of order: counted, updatedAt stays the latest

      assertThat(h.movieStats.readKeyValuesToList()).containsExactly(
          KeyValue.pair("1", new MovieStats("1", 1L, 1L, 100L)),
          KeyValue.pair("1", new MovieStats("1", 2L, 1L, 200L)),
          KeyValue.pair("2", new MovieStats("2", 1L, 1L, 150L)),
          KeyValue.pair("1", new MovieStats("1", 3L, 2L, 200L)));
      assertThat(h.deadLetters.readValuesToList()).as("the invalid rating is not counted").hasSize(1);
      KeyValueStore<String, MovieStats> counts = h.driver.getKeyValueStore(StoreNames.MOVIE_RATING_COUNTS);
      assertThat(counts.get("1")).isEqualTo(new MovieStats("1", 3L, 2L, 200L));
      KeyValueStore<String, MovieStats> global = h.driver.getKeyValueStore(StoreNames.MOVIE_STATS);
      assertThat(global.get("2")).as("read back by every task").isEqualTo(new MovieStats("2", 1L, 1L, 150L));
      assertThat(h.driver.producedTopicNames()).contains(
          StoreNames.repartitionTopic(h.config.applicationId(), StoreNames.MOVIE_RATINGS_REPARTITION),
          StoreNames.changelogTopic(h.config.applicationId(), StoreNames.MOVIE_RATING_COUNTS));
    }
  }

  @Test
  void anImpressionServesTheCandidatesCountsAndTheUsersGenreStatsInItsRowAndFeedback() {
    try (Harness h = harness()) {
      h.movie("1", "Comedy", "Drama");
      h.movie("2", "Drama");
      h.movie("3", "Comedy", "Drama", "Comedy"); // a repeated genre counts once
      h.movie("4", "Horror");
      // Other users' ratings of the candidate: 2 ratings, 1 high.
      h.rating("43", "3", 4, 10);
      h.rating("44", "3", 1, 20);
      // User 42, by hand (recent decay 0.8, long 0.95):
      // after 1 (Comedy, Drama, 5): C r=1 p=1, D r=1 p=1, totals 1 | 1
      // after 2 (Drama, 2):  recent C r=.8 p=.8, D r=1.8 p=.8, total 1.8
      //                      long   C r=.95 p=.95, D r=1.95 p=.95, total 1.95
      // after 4 (Horror, 4): recent C r=.64 p=.64, D r=1.44 p=.64, H 1 1, total 2.44
      //                      long   C r=.9025 p=.9025, D r=1.8525 p=.9025, H 1 1, total 2.8525
      h.rating("42", "1", 5, 100);
      h.rating("42", "2", 2, 200);
      h.rating("42", "4", 4, 300);
      h.feedback.readValuesToList();

      h.impression("i1", "42", "3", 1_000);
      h.impression("i2", "42", "99", 1_000); // not in the catalog, no stats
      h.driver.advanceWallClockTime(Duration.ofMillis(100));
      assertThat(h.scores.readValuesToList()).hasSize(2);

      // Candidate 3 (Comedy, Drama): means over the two genres, totals as they are.
      FeatureRow row = rowsSeen().get(0);
      assertThat(row.movieRatings()).isEqualTo(2);
      assertThat(row.moviePositives()).isEqualTo(1);
      assertStats(row.userGenre(), 0.64, 1.04, 2.44, 0.9025, 1.3775, 2.8525);
      FeatureRow unknown = rowsSeen().get(1);
      assertThat(unknown.movieRatings()).as("no stats yet: known zero").isZero();
      assertThat(unknown.moviePositives()).isZero();
      assertStats(unknown.userGenre(), 0, 0, 2.44, 0, 0, 2.8525);

      h.rating("43", "3", 5, 1_100); // after serving: must not leak into i1's example
      h.rating("42", "3", 4.5, 2_000);
      Feedback f = h.feedback.readValuesToList().get(1);
      assertThat(f.source()).isEqualTo(Feedback.Source.IMPRESSION);
      assertThat(f.impressionId()).isEqualTo("i1");
      assertThat(f.movieRatings()).isEqualTo(2);
      assertThat(f.moviePositives()).isEqualTo(1);
      assertStats(f.userGenre(), 0.64, 1.04, 2.44, 0.9025, 1.3775, 2.8525);
      assertThat(f.userGenre().recentRatings()).isEqualTo(row.userGenre().recentRatings());
    }
  }

  @Test
  void organicFeedbackCarriesTheValuesFromJustBeforeItsRating() {
    try (Harness h = harness()) {
      h.movie("3", "Comedy", "Drama");
      h.rating("43", "3", 4, 10);
      Feedback first = h.feedback.readValue();
      assertThat(first.source()).isEqualTo(Feedback.Source.ORGANIC);
      assertThat(first.movieRatings()).as("no rating of the movie before this one").isZero();
      assertThat(first.moviePositives()).isZero();
      assertStats(first.userGenre(), 0, 0, 0, 0, 0, 0);

      h.rating("43", "3", 1, 20);
      Feedback second = h.feedback.readValue();
      assertThat(second.movieRatings()).isEqualTo(1);
      assertThat(second.moviePositives()).isEqualTo(1);
      assertStats(second.userGenre(), 1, 1, 1, 1, 1, 1);
      // the low rating: recent C,D r=1.8 p=.8, total 1.8; long r=1.95 p=.95, total 1.95
      h.rating("43", "3", 3, 30);
      Feedback third = h.feedback.readValue();
      assertThat(third.movieRatings()).isEqualTo(2);
      assertThat(third.moviePositives()).isEqualTo(1);
      assertStats(third.userGenre(), 0.8, 1.8, 1.8, 0.95, 1.95, 1.95);
    }
  }

  private static void assertStats(UserGenreStats s, double rp, double rr, double rt, double lp,
      double lr, double lt) {
    assertThat(s).isNotNull();
    assertStats(new UserGenre(s.recentPositives(), s.recentRatings(), s.recentTotal(),
        s.longPositives(), s.longRatings(), s.longTotal()), rp, rr, rt, lp, lr, lt);
  }

  private static void assertStats(UserGenre s, double rp, double rr, double rt, double lp,
      double lr, double lt) {
    assertThat(s).isNotNull();
    assertThat(s.recentPositives()).as("recentPositives").isCloseTo(rp, within(EPS));
    assertThat(s.recentRatings()).as("recentRatings").isCloseTo(rr, within(EPS));
    assertThat(s.recentTotal()).as("recentTotal").isCloseTo(rt, within(EPS));
    assertThat(s.longPositives()).as("longPositives").isCloseTo(lp, within(EPS));
    assertThat(s.longRatings()).as("longRatings").isCloseTo(lr, within(EPS));
    assertThat(s.longTotal()).as("longTotal").isCloseTo(lt, within(EPS));
  }
}
