package io.ctrstream.streams.state;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.UserGenre;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Proves the user's genre counters as the state keeps them: decay then count, per distinct genre;
 * bounded to {@value GenreCounters#MAX_GENRES} genres, the smallest long counter dropped first;
 * they survive the store's JSON round trip; state and buffered features written before they
 * existed still read (zeros, and unknown).
 */
class GenreCountersTest {

  @Test
  void eachRatingDecaysEveryCounterThenCountsTheMoviesGenres() {
    GenreCounters c = GenreCounters.EMPTY
        .afterRating(List.of("Comedy", "Drama"), true)
        .afterRating(List.of("Drama", "Drama"), false);
    assertThat(c.recentTotal()).isEqualTo(0.8 + 1);
    assertThat(c.longTotal()).isEqualTo(0.95 + 1);
    assertThat(c.genres().get("Comedy")).isEqualTo(new GenreCounters.Counts(0.8, 0.8, 0.95, 0.95));
    assertThat(c.genres().get("Drama")).isEqualTo(new GenreCounters.Counts(0.8 + 1, 0.8, 0.95 + 1, 0.95));
    assertThat(c.servedFor(List.of("Drama", "Western")))
        .isEqualTo(new UserGenre(0.4, 0.9, 1.8, 0.475, 0.975, 1.95));
    assertThat(c.servedFor(List.of())).isEqualTo(new UserGenre(0.0, 0.0, 1.8, 0.0, 0.0, 1.95));
  }

  @Test
  void atMostMaxGenresAreKeptDroppingTheSmallestLongCounter() {
    GenreCounters c = GenreCounters.EMPTY;
    for (int i = 0; i < GenreCounters.MAX_GENRES + 6; i++) {
      c = c.afterRating(List.of("g" + i), i % 2 == 0);
    }
    assertThat(c.genres()).hasSize(GenreCounters.MAX_GENRES);
    for (int i = 0; i < 6; i++) {
      assertThat(c.genres()).as("the oldest, most decayed, go first").doesNotContainKey("g" + i);
    }
    assertThat(c.genres()).containsKey("g6").containsKey("g" + (GenreCounters.MAX_GENRES + 5));
  }

  @Test
  void roundTripsThroughTheStoreSerdeAndOldStateReadsAsZeros() {
    JsonSerde<UserState> serde = JsonSerde.of(UserState.class);
    UserState s = UserState.EMPTY.afterRating("1", 10, true, "n1", 5, List.of("Comedy", "Drama"));
    assertThat(serde.fromJson(serde.toJson(s))).isEqualTo(s);

    UserState old = serde.fromJson("{\"profile\":{\"gender\":\"F\",\"age\":30,\"occupation\":null,"
        + "\"zipCode\":null},\"history\":[{\"movieId\":\"1\",\"timestamp\":10,\"negative\":\"n1\"}],"
        + "\"ratings\":3,\"positives\":1}");
    assertThat(old.genreCounters()).isEqualTo(GenreCounters.EMPTY);
    assertThat(old.afterRating("2", 20, false, null, 5, List.of("Drama")).genreCounters().genres())
        .containsOnlyKeys("Drama");
  }

  @Test
  void featuresBufferedBeforeTheStatsWereServedReadAsUnknown() {
    ServedFeatures f = JsonSerde.of(ServedFeatures.class).fromJson("{\"profile\":{},\"genres\":[\"Drama\"],"
        + "\"history\":[],\"negatives\":[],\"userRatings\":2,\"userPositives\":1}");
    assertThat(f.movieRatings()).isNull();
    assertThat(f.moviePositives()).isNull();
    assertThat(f.userGenre()).isNull();
    assertThat(f.toRow("42", "7").userGenre()).isNull();
  }
}
