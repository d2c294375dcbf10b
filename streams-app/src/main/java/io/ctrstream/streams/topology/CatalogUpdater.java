package io.ctrstream.streams.topology;

import io.ctrstream.schemas.Decoded;
import io.ctrstream.schemas.FailureKind;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.Movie;
import io.ctrstream.streams.errors.ErrorSink;
import io.ctrstream.streams.errors.LogSafe;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.state.StoreNames;
import java.nio.charset.StandardCharsets;
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
 * Catalog} stay consistent. A global processor has no downstream, so an invalid movie (null or
 * too long key, oversized, not JSON, invalid, movieId not the key) is skipped, counted ({@code
 * ctr.catalog.rejected}) and dead-lettered through the {@link ErrorSink} (a producer of its own);
 * a rebuild of the store from the topic dead-letters it again.
 */
final class CatalogUpdater implements Processor<String, byte[], Void, Void> {
  private static final Logger LOG = LoggerFactory.getLogger(CatalogUpdater.class);

  private final JsonSerde<Movie> serde;
  private final ScorerMetrics metrics;
  private final InputRules rules;
  private final ErrorSink errors;
  private ProcessorContext<Void, Void> context;
  private KeyValueStore<String, Movie> store;

  CatalogUpdater(JsonSerde<Movie> serde, ScorerMetrics metrics, int maxValueBytes) {
    this(serde, metrics, InputRules.valueSizeOnly(maxValueBytes), ErrorSink.LOG_ONLY);
  }

  CatalogUpdater(JsonSerde<Movie> serde, ScorerMetrics metrics, InputRules rules, ErrorSink errors) {
    this.serde = serde;
    this.metrics = metrics;
    this.rules = rules;
    this.errors = errors;
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
      reject(record, FailureKind.INVALID_KEY, "key is missing (null); the topic is keyed by movieId");
      return;
    }
    int keyBytes = key.getBytes(StandardCharsets.UTF_8).length;
    if (keyBytes > rules.maxKeyBytes()) {
      reject(record, FailureKind.INVALID_KEY, "key is " + keyBytes + " bytes, more than max.key.bytes "
          + rules.maxKeyBytes());
      return;
    }
    if (record.value() == null) {
      store.delete(Catalog.movieKey(key));
      Catalog.ringKeys(key).forEach(store::delete);
      return;
    }
    if (record.value().length > rules.maxValueBytes()) {
      reject(record, FailureKind.OVERSIZED, "value is " + record.value().length
          + " bytes, more than max.value.bytes " + rules.maxValueBytes());
      return;
    }
    Decoded<Movie> decoded = serde.decode(record.value());
    if (decoded instanceof Decoded.Failed<Movie> f) {
      reject(record, f.kind(), f.reason());
      return;
    }
    Movie movie = ((Decoded.Ok<Movie>) decoded).value();
    if (!movie.movieId().equals(key)) {
      reject(record, FailureKind.KEY_MISMATCH, "key " + LogSafe.quote(key) + " disagrees with movieId "
          + LogSafe.quote(movie.movieId()));
      return;
    }
    store.put(Catalog.movieKey(key), movie);
    Movie point = Catalog.ringValue(key);
    for (String ringKey : Catalog.ringKeys(key)) {
      store.put(ringKey, point);
    }
  }

  private void reject(Record<String, byte[]> record, FailureKind kind, String reason) {
    RecordMetadata meta = context.recordMetadata().orElse(null);
    String topic = meta == null ? "unknown" : meta.topic();
    int partition = meta == null ? 0 : meta.partition();
    long offset = meta == null ? 0 : meta.offset();
    LOG.warn("catalog skipped movie at {}-{}@{}: {}: {}", topic, partition, offset, kind.wireName(),
        LogSafe.quote(reason));
    metrics.catalogRejected(kind);
    errors.deadLetter(topic, partition, offset, kind, reason,
        record.key() == null ? null : record.key().getBytes(StandardCharsets.UTF_8), record.value());
  }
}
