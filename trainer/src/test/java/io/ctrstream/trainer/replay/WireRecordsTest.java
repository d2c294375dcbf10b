package io.ctrstream.trainer.replay;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.Topics;
import io.ctrstream.schemas.UserProfile;
import io.ctrstream.trainer.movielens.MovieLensUser;
import io.ctrstream.trainer.movielens.Rating;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Proves the MovieLens-to-wire mapping: seconds become milliseconds, ids become decimal strings,
 * the impression precedes its rating by 1 ms with a deterministic id, ages outside the contract
 * become unknown, the values pass the contract's serdes, and the replay order breaks timestamp
 * ties by user then movie whatever the input order.
 */
class WireRecordsTest {

  private static final Topics TOPICS = Topics.defaults();

  @Test
  void ratingSecondsBecomeMillisAndTheImpressionComesOneMillisecondBefore() {
    Rating r = new Rating(196, 242, 3.0f, 881250949L);

    io.ctrstream.schemas.Rating rating = WireRecords.rating(r);
    Impression impression = WireRecords.impression(r);

    assertThat(rating).isEqualTo(new io.ctrstream.schemas.Rating("196", "242", 3.0, 881250949000L));
    assertThat(impression)
        .isEqualTo(new Impression("imp-196-242-881250949000", "196", "242", 881250948999L));
    // Both survive the contract's serdes unchanged.
    assertThat(TOPICS.ratings().valueSerde().fromJson(TOPICS.ratings().valueSerde().toJson(rating)))
        .isEqualTo(rating);
    assertThat(TOPICS.impressions().valueSerde().fromJson(
        TOPICS.impressions().valueSerde().toJson(impression))).isEqualTo(impression);
  }

  @Test
  void restampedEventsKeepTheDataSetIdsSoIdsAreTheSameInEveryReplay() {
    Rating r = new Rating(196, 242, 3.0f, 881250949L);
    assertThat(WireRecords.impression(r, 1_700_000_000_000L))
        .isEqualTo(new Impression("imp-196-242-881250949000", "196", "242", 1_700_000_000_000L));
    assertThat(WireRecords.rating(r, 1_700_000_000_001L).timestamp()).isEqualTo(1_700_000_000_001L);
  }

  @Test
  void anImpressionAtTheEpochDoesNotGoNegative() {
    assertThat(WireRecords.impression(new Rating(1, 2, 4f, 0L)).timestamp()).isZero();
  }

  @Test
  void halfStarsSurvive() {
    assertThat(WireRecords.rating(new Rating(1, 2, 3.5f, 1L)).rating()).isEqualTo(3.5);
  }

  @Test
  void profilesKeepKnownFieldsAndDropImpossibleAges() {
    assertThat(WireRecords.user(new MovieLensUser(7, "F", 24.0, "writer", "94043")))
        .isEqualTo(new UserProfile("7", "F", 24, "writer", "94043"));
    assertThat(WireRecords.user(new MovieLensUser(8, null, 999.0, null, null)))
        .isEqualTo(new UserProfile("8", null, null, null, null));
    assertThat(WireRecords.user(new MovieLensUser(9, "M", 17.6, "12", null)).age()).isEqualTo(18);
  }

  @Test
  void moviesKeepTitleAndGenres() {
    Movie m = WireRecords.movie(
        new io.ctrstream.trainer.movielens.Movie(
            50, "Star Wars (1977)", List.of("Action", "Sci-Fi")));
    assertThat(m).isEqualTo(new Movie("50", "Star Wars (1977)", List.of("Action", "Sci-Fi")));
    assertThat(m.validate()).isEmpty();
  }

  @Test
  void timeOrderBreaksTiesByUserThenMovie() {
    Rating a = new Rating(2, 20, 1f, 100L);
    Rating b = new Rating(1, 30, 1f, 100L);
    Rating c = new Rating(2, 10, 1f, 100L);
    Rating d = new Rating(9, 1, 1f, 50L);
    List<Rating> rows = new ArrayList<>(List.of(a, b, c, d));
    rows.sort(WireRecords.TIME_ORDER);
    assertThat(rows).containsExactly(d, b, c, a);
  }
}
