package io.ctrstream.streams.topology;

import io.ctrstream.schemas.Decoded;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.MovieStats;
import io.ctrstream.streams.state.StoreNames;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global {@code movie-stats} store in step with the compacted {@code movie-stats} topic
 * (key movieId, value {@link MovieStats}, which this application writes itself); every task reads
 * it when it serves an impression. A value that cannot be read, or whose movieId disagrees with its
 * key, is skipped and logged with its offset (a global processor has no downstream); a tombstone
 * removes the movie's stats.
 */
final class MovieStatsUpdater implements Processor<String, byte[], Void, Void> {
  private static final Logger LOG = LoggerFactory.getLogger(MovieStatsUpdater.class);

  private final JsonSerde<MovieStats> serde;
  private ProcessorContext<Void, Void> context;
  private KeyValueStore<String, MovieStats> store;

  MovieStatsUpdater(JsonSerde<MovieStats> serde) {
    this.serde = serde;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    this.context = context;
    this.store = context.getStateStore(StoreNames.MOVIE_STATS);
  }

  @Override
  public void process(Record<String, byte[]> record) {
    String key = record.key();
    if (key == null) {
      skip("null key");
      return;
    }
    if (record.value() == null) {
      store.delete(key);
      return;
    }
    Decoded<MovieStats> decoded = serde.decode(record.value());
    if (decoded instanceof Decoded.Failed<MovieStats> f) {
      skip(f.kind().wireName() + ": " + f.reason());
      return;
    }
    MovieStats stats = ((Decoded.Ok<MovieStats>) decoded).value();
    if (!stats.movieId().equals(key)) {
      skip("key \"" + key + "\" disagrees with movieId \"" + stats.movieId() + "\"");
      return;
    }
    store.put(key, stats);
  }

  private void skip(String reason) {
    RecordMetadata meta = context.recordMetadata().orElse(null);
    LOG.warn("movie stats skipped at {}-{}@{}: {}", meta == null ? "?" : meta.topic(),
        meta == null ? -1 : meta.partition(), meta == null ? -1 : meta.offset(), reason);
  }
}
