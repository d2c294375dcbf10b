package io.ctrstream.streams.topology;

import io.ctrstream.schemas.Decoded;
import io.ctrstream.schemas.FailureKind;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.Movie;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.state.StoreNames;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the global {@code catalog} store in step with the compacted {@code movies} topic (key
 * movieId, value {@link Movie} or a tombstone that removes it); every task reads it. Runs on the
 * global thread, also when the store is rebuilt from the topic, so both key spaces of {@link
 * Catalog} stay consistent. A global processor has no downstream, so an invalid movie is skipped,
 * counted ({@code ctr.catalog.rejected}) and logged with its offset, not dead-lettered.
 */
final class CatalogUpdater implements Processor<String, byte[], Void, Void> {
  private static final Logger LOG = LoggerFactory.getLogger(CatalogUpdater.class);

  private final JsonSerde<Movie> serde;
  private final ScorerMetrics metrics;
  private final int maxValueBytes;
  private ProcessorContext<Void, Void> context;
  private KeyValueStore<String, Movie> store;

  CatalogUpdater(JsonSerde<Movie> serde, ScorerMetrics metrics, int maxValueBytes) {
    this.serde = serde;
    this.metrics = metrics;
    this.maxValueBytes = maxValueBytes;
  }

  @Override
  public void init(ProcessorContext<Void, Void> context) {
    this.context = context;
    this.store = context.getStateStore(StoreNames.CATALOG);
  }

  @Override
  public void process(Record<String, byte[]> record) {
    String key = record.key();
    if (key == null) {
      reject(FailureKind.KEY_MISMATCH, "null key");
      return;
    }
    if (record.value() == null) {
      store.delete(Catalog.movieKey(key));
      Catalog.ringKeys(key).forEach(store::delete);
      return;
    }
    if (record.value().length > maxValueBytes) {
      reject(FailureKind.OVERSIZED, record.value().length + " bytes");
      return;
    }
    Decoded<Movie> decoded = serde.decode(record.value());
    if (decoded instanceof Decoded.Failed<Movie> f) {
      reject(f.kind(), f.reason());
      return;
    }
    Movie movie = ((Decoded.Ok<Movie>) decoded).value();
    if (!movie.movieId().equals(key)) {
      reject(FailureKind.KEY_MISMATCH, "key \"" + key + "\" disagrees with movieId \"" + movie.movieId() + "\"");
      return;
    }
    store.put(Catalog.movieKey(key), movie);
    Movie point = Catalog.ringValue(key);
    for (String ringKey : Catalog.ringKeys(key)) {
      store.put(ringKey, point);
    }
  }

  private void reject(FailureKind kind, String reason) {
    RecordMetadata meta = context.recordMetadata().orElse(null);
    LOG.warn("catalog skipped movie at {}-{}@{}: {}: {}", meta == null ? "?" : meta.topic(),
        meta == null ? -1 : meta.partition(), meta == null ? -1 : meta.offset(), kind.wireName(), reason);
    metrics.catalogRejected(kind);
  }
}
