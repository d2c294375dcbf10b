package io.ctrstream.streams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.MovieStats;
import io.ctrstream.schemas.Profile;
import io.ctrstream.streams.state.ServedFeatures;
import io.ctrstream.streams.state.UserState;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;

/**
 * Proves the one feature assembly the stream path and {@code POST /score} share: the user's
 * profile, history, negatives, counts and genre counters from the state given, the movie's
 * genres from the catalog's movie key, its counts from the movie stats (0 when it has none), and
 * for a movie and user nobody knows, a cold row with empty genres.
 */
class FeatureAssemblerTest {

  /** A read-only store over a map (only get is used by the assembler). */
  static <V> ReadOnlyKeyValueStore<String, V> store(Map<String, V> map) {
    return new ReadOnlyKeyValueStore<>() {
      @Override
      public V get(String key) {
        return map.get(key);
      }

      @Override
      public KeyValueIterator<String, V> range(String from, String to) {
        throw new UnsupportedOperationException();
      }

      @Override
      public KeyValueIterator<String, V> all() {
        throw new UnsupportedOperationException();
      }

      @Override
      public long approximateNumEntries() {
        return map.size();
      }
    };
  }

  private final Map<String, Movie> catalog = new HashMap<>();
  private final Map<String, MovieStats> stats = new HashMap<>();
  private final FeatureAssembler assembler = new FeatureAssembler(store(catalog), store(stats));

  @Test
  void assemblesUserStateCatalogAndMovieStats() {
    catalog.put(Catalog.movieKey("1"), new Movie("1", "one", List.of("Comedy", "Drama")));
    catalog.put(Catalog.movieKey("2"), new Movie("2", "two", List.of("Drama")));
    stats.put("1", new MovieStats("1", 7L, 3L, 1_000L));
    UserState user = UserState.EMPTY.withProfile(new Profile("F", 30, "writer", "12345"))
        .afterRating("2", 1_000L, true, "9", 5, List.of("Drama"))
        .afterRating("3", 2_000L, false, null, 5, List.of("Comedy"));

    ServedFeatures f = assembler.assemble("1", user);
    assertThat(f.profile()).isEqualTo(new Profile("F", 30, "writer", "12345"));
    assertThat(f.genres()).containsExactly("Comedy", "Drama");
    assertThat(f.history()).containsExactly("2");
    assertThat(f.negatives()).containsExactly("9");
    assertThat(f.userRatings()).isEqualTo(2);
    assertThat(f.userPositives()).isEqualTo(1);
    assertThat(f.movieRatings()).isEqualTo(7);
    assertThat(f.moviePositives()).isEqualTo(3);
    assertThat(f.userGenre()).isEqualTo(user.genreCounters().servedFor(List.of("Comedy", "Drama")));

    ServedFeatures noStats = assembler.assemble("2", user);
    assertThat(noStats.genres()).containsExactly("Drama");
    assertThat(noStats.movieRatings()).as("no stats: no ratings known").isZero();
    assertThat(noStats.moviePositives()).isZero();
  }

  @Test
  void aStrangerAndAnUnknownMovieGiveAColdRow() {
    ServedFeatures f = assembler.assemble("404", UserState.EMPTY);
    assertThat(f.profile()).isEqualTo(Profile.UNKNOWN);
    assertThat(f.genres()).isEmpty();
    assertThat(f.history()).isEmpty();
    assertThat(f.negatives()).isEmpty();
    assertThat(f.movieRatings()).isZero();
    assertThat(f.toRow("u", "404").movieId()).isEqualTo("404");
  }
}
