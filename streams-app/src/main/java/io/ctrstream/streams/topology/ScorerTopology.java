package io.ctrstream.streams.topology;

import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.Rating;
import io.ctrstream.schemas.Topics;
import io.ctrstream.schemas.UserProfile;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.streams.errors.ErrorSink;
import io.ctrstream.streams.errors.StrictUtf8Deserializer;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.ModelProvider;
import io.ctrstream.streams.state.BufferedImpression;
import io.ctrstream.streams.state.PendingImpression;
import io.ctrstream.streams.state.StoreNames;
import io.ctrstream.streams.state.UserState;
import java.util.Map;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the scorer's topology: the flow of {@code ARCHITECTURE.md}, top to bottom, every node
 * and store named explicitly (no generated names, so changelogs survive changes; the only internal
 * topics are the changelogs {@code <application.id>-<store>-changelog}). Inputs are read as raw
 * bytes so a bad record reaches the dead-letter topic with its exact payload; keys as strict
 * UTF-8 (a malformed key goes to the deserialization handler, hence to {@code errors}).
 */
public final class ScorerTopology {
  private ScorerTopology() {}

  /** The topology, with counters on a private registry. */
  public static Topology build(ScorerConfig config, ModelProvider models) {
    return build(config, models, ScorerMetrics.inMemory());
  }

  /** The topology, counting into {@code metrics}; movies it cannot use are only logged. */
  public static Topology build(ScorerConfig config, ModelProvider models, ScorerMetrics metrics) {
    return build(config, models, metrics, ErrorSink.LOG_ONLY);
  }

  /**
   * The topology, counting into {@code metrics}; {@code errors} dead-letters what the global
   * catalog cannot use (a global processor has no downstream).
   */
  public static Topology build(ScorerConfig config, ModelProvider models, ScorerMetrics metrics, ErrorSink errors) {
    Topics topics = config.topics();
    Deserializer<String> keys = new StrictUtf8Deserializer();
    Deserializer<byte[]> raw = Serdes.ByteArray().deserializer();
    Topology t = new Topology();

    // 1. Catalog: movies (compacted, key movieId) -> global store read by every task (genres, negatives).
    t.addGlobalStore(catalogStore(topics), Nodes.MOVIES_SOURCE, keys, raw, topics.movies().name(),
        Nodes.CATALOG_UPDATER, () -> new CatalogUpdater(topics.movies().valueSerde(), metrics,
            InputRules.of(config, 0), errors));

    // 2. Users (compacted, key userId): validated profile updates; a tombstone forgets the profile.
    t.addSource(Nodes.USERS_SOURCE, keys, raw, topics.users().name());
    t.addProcessor(Nodes.USERS_DECODER, () -> new InputDecoder<>(topics.users().valueSerde(),
        UserProfile::userId, p -> new UserEvent.ProfileChanged(p.userId(), p),
        userId -> new UserEvent.ProfileChanged(userId, null), null, metrics,
        InputRules.of(config, topics.users().partitions())), Nodes.USERS_SOURCE);

    // 3. Ratings (key userId): validated (event time in range), then history + feedback.
    t.addSource(Nodes.RATINGS_SOURCE, keys, raw, topics.ratings().name());
    t.addProcessor(Nodes.RATINGS_DECODER, () -> new InputDecoder<>(topics.ratings().valueSerde(),
        Rating::userId, UserEvent.Rated::new, null, Rating::timestamp, metrics,
        InputRules.of(config, topics.ratings().partitions())), Nodes.RATINGS_SOURCE);

    // 4. Impressions (key userId): validated (event time in range), then features -> micro-batch -> model -> scores.
    t.addSource(Nodes.IMPRESSIONS_SOURCE, keys, raw, topics.impressions().name());
    t.addProcessor(Nodes.IMPRESSIONS_DECODER, () -> new InputDecoder<>(topics.impressions().valueSerde(),
        Impression::userId, UserEvent.Shown::new, null, Impression::timestamp, metrics,
        InputRules.of(config, topics.impressions().partitions())), Nodes.IMPRESSIONS_SOURCE);

    // 5. Per user: history processor, feature assembly, micro-batch buffer, scoring, feedback.
    ThreadBatch.Registry batches = new ThreadBatch.Registry(models, metrics);
    t.addProcessor(Nodes.USER_EVENTS, () -> new UserEventProcessor(config, batches, metrics),
        Nodes.USERS_DECODER, Nodes.RATINGS_DECODER, Nodes.IMPRESSIONS_DECODER);
    t.addStateStore(logged(StoreNames.USER_STATE, JsonSerde.of(UserState.class)), Nodes.USER_EVENTS);
    t.addStateStore(logged(StoreNames.RATED, Serdes.Long()), Nodes.USER_EVENTS);
    t.addStateStore(logged(StoreNames.PENDING, JsonSerde.of(PendingImpression.class)), Nodes.USER_EVENTS);
    t.addStateStore(logged(StoreNames.PENDING_EXPIRY, Serdes.String()), Nodes.USER_EVENTS);
    t.addStateStore(logged(StoreNames.SCORE_BUFFER, JsonSerde.of(BufferedImpression.class)), Nodes.USER_EVENTS);

    // 6. Outputs: scores and feedback (key userId); dead letters (original key, bounded) from every
    // decoder, and from the user node (duplicates, non-finite or failed scores).
    t.addSink(Nodes.SCORES_SINK, topics.scores().name(), Serdes.String().serializer(),
        topics.scores().valueSerde().serializer(), Nodes.USER_EVENTS);
    t.addSink(Nodes.FEEDBACK_SINK, topics.feedback().name(), Serdes.String().serializer(),
        topics.feedback().valueSerde().serializer(), Nodes.USER_EVENTS);
    t.addSink(Nodes.DEAD_LETTERS_SINK, topics.deadLetters().name(), Serdes.String().serializer(),
        topics.deadLetters().valueSerde().serializer(),
        Nodes.USERS_DECODER, Nodes.RATINGS_DECODER, Nodes.IMPRESSIONS_DECODER, Nodes.USER_EVENTS);
    return t;
  }

  private static StoreBuilder<KeyValueStore<String, Movie>> catalogStore(Topics topics) {
    // Global stores are rebuilt from their source topic, which is their log.
    return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(StoreNames.CATALOG),
        Serdes.String(), topics.movies().valueSerde()).withLoggingDisabled().withCachingDisabled();
  }

  private static <V> StoreBuilder<KeyValueStore<String, V>> logged(String name, Serde<V> values) {
    // Written through (no cache): each write reaches the changelog in the same transaction as
    // the input offsets it depends on.
    return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), values)
        .withLoggingEnabled(Map.of())
        .withCachingDisabled();
  }
}
