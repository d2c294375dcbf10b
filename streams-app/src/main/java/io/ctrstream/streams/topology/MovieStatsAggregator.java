package io.ctrstream.streams.topology;

import io.ctrstream.schemas.MovieStats;
import io.ctrstream.schemas.Rating;
import io.ctrstream.streams.state.StoreNames;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Counts each movie's ratings as they arrive. Input: valid {@link Rating}s, key movieId, from the
 * internal topic {@code <application.id>-movie-ratings-repartition} (so one task counts all the
 * ratings of a movie). Store written: {@code movie-rating-counts} (logged). Output: the movie's
 * new {@link MovieStats}, key movieId, to the compacted {@code movie-stats} topic, in the same
 * transaction as the store write and the input offset.
 */
final class MovieStatsAggregator implements Processor<String, Rating, String, MovieStats> {
  private final double positiveThreshold;
  private ProcessorContext<String, MovieStats> context;

  /** @param positiveThreshold a rating at or above this counts as high ({@code rating.positive.threshold}) */
  MovieStatsAggregator(double positiveThreshold) {
    this.positiveThreshold = positiveThreshold;
  }
  private KeyValueStore<String, MovieStats> counts;

  @Override
  public void init(ProcessorContext<String, MovieStats> context) {
    this.context = context;
    this.counts = context.getStateStore(StoreNames.MOVIE_RATING_COUNTS);
  }

  @Override
  public void process(Record<String, Rating> record) {
    Rating rating = record.value();
    if (record.key() == null || rating == null) {
      return; // the decoder forwards only valid ratings; nothing else reaches this topic
    }
    MovieStats before = counts.get(record.key());
    MovieStats after = (before == null ? MovieStats.none(record.key()) : before).plus(rating, positiveThreshold);
    counts.put(record.key(), after);
    context.forward(record.withValue(after));
  }
}
