package io.ctrstream.streams.topology;

import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.MovieStats;
import io.ctrstream.streams.state.ServedFeatures;
import io.ctrstream.streams.state.StoreNames;
import io.ctrstream.streams.state.UserState;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

/**
 * The one place where the features of (user, movie) are assembled, shared by the stream path
 * (an impression, an organic rating) and the request path ({@code POST /score}): the user's state
 * as given, plus one read each of the global stores {@code catalog} (the movie's genres) and
 * {@code movie-stats} (its counts as they stand; a movie with no stats has, as far as this scorer
 * knows, no ratings: 0, not unknown).
 */
public final class FeatureAssembler {
  private final ReadOnlyKeyValueStore<String, Movie> catalog;
  private final ReadOnlyKeyValueStore<String, MovieStats> movieStats;

  /** Over the stores as the topology holds them (keys of {@code catalog} as {@link Catalog} writes them). */
  public FeatureAssembler(ReadOnlyKeyValueStore<String, Movie> catalog,
      ReadOnlyKeyValueStore<String, MovieStats> movieStats) {
    this.catalog = Objects.requireNonNull(catalog, "catalog");
    this.movieStats = Objects.requireNonNull(movieStats, "movieStats");
  }

  /**
   * Over the global stores of a running client, through interactive queries (any instance holds
   * them whole).
   *
   * @throws org.apache.kafka.streams.errors.InvalidStateStoreException while they are not
   *     queryable (starting, rebalancing, restoring)
   */
  public static FeatureAssembler queryable(KafkaStreams streams) {
    return new FeatureAssembler(
        streams.store(StoreQueryParameters.fromNameAndType(StoreNames.CATALOG,
            QueryableStoreTypes.<String, Movie>keyValueStore())),
        streams.store(StoreQueryParameters.fromNameAndType(StoreNames.MOVIE_STATS,
            QueryableStoreTypes.<String, MovieStats>keyValueStore())));
  }

  /** The features {@code movieId} is scored with for a user whose state is {@code state}. */
  public ServedFeatures assemble(String movieId, UserState state) {
    Movie movie = catalog.get(Catalog.movieKey(movieId));
    List<String> genres = movie == null ? List.of() : movie.genres();
    MovieStats stats = movieStats.get(movieId);
    return new ServedFeatures(state.profile(), genres, state.historyIds(), state.negativeIds(),
        state.ratings(), state.positives(),
        stats == null ? 0 : saturatedInt(stats.ratings()),
        stats == null ? 0 : saturatedInt(stats.positives()),
        state.genreCounters().servedFor(genres));
  }

  private static int saturatedInt(long n) {
    return (int) Math.min(Integer.MAX_VALUE, n);
  }
}
