package io.ctrstream.streams.topology;

import io.ctrstream.schemas.Click;
import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.MovieStats;
import io.ctrstream.schemas.Rating;
import io.ctrstream.schemas.Topics;
import io.ctrstream.schemas.UserProfile;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.streams.errors.ErrorSink;
import io.ctrstream.streams.errors.StrictUtf8Deserializer;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.ModelProvider;
import io.ctrstream.streams.state.AttributedImpression;
import io.ctrstream.streams.state.BufferedImpression;
import io.ctrstream.streams.state.PendingImpression;
import io.ctrstream.streams.state.StoreNames;
import io.ctrstream.streams.state.UserState;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Named;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.Repartitioned;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * Builds the scorer's topology: the flow of {@code ARCHITECTURE.md}, top to bottom, every node
 * and store named explicitly (no generated names, so changelogs survive changes; the internal
 * topics are the changelogs {@code <application.id>-<store>-changelog} and the ratings re-keyed by
 * movieId, {@code <application.id>-movie-ratings-repartition}). Inputs are read as raw bytes so a
 * bad record reaches the dead-letter topic with its exact payload.
 *
 * Keys are read as strict UTF-8 (a malformed key goes to the deserialization handler, hence to
 * {@code errors}).
 *
 * <p>The ratings path up to the movie counts is written with the DSL, the only public way to
 * declare a repartition topic that Kafka Streams creates and purges itself; the rest is added to
 * the same topology with the Processor API, and the ratings decoder feeds both.
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
    StreamsBuilder dsl = new StreamsBuilder();

    // 1. Ratings (key userId): validated, then history + feedback (step 5), and re-keyed by movieId.
    KStream<String, Object> ratings = dsl.stream(topics.ratings().name(),
            Consumed.with(Serdes.serdeFrom(new StringSerializer(), new StrictUtf8Deserializer()),
                Serdes.ByteArray()).withName(Nodes.RATINGS_SOURCE))
        .process(() -> new InputDecoder<>(topics.ratings().valueSerde(), Rating::userId,
                UserEvent.Rated::new, null, Rating::timestamp, metrics,
                InputRules.of(config, topics.ratings().partitions()),
                List.of(Nodes.USER_EVENTS, Nodes.MOVIE_RATINGS_BY_MOVIE)),
            Named.as(Nodes.RATINGS_DECODER));

    // 2. Movie stats: ratings by movieId (repartition) -> counts (RocksDB) -> movie-stats (compacted).
    dsl.addStateStore(logged(StoreNames.MOVIE_RATING_COUNTS, JsonSerde.of(MovieStats.class)));
    ratings
        .map((userId, event) -> {
          Rating r = ((UserEvent.Rated) event).rating();
          return KeyValue.pair(r.movieId(), r);
        }, Named.as(Nodes.MOVIE_RATINGS_BY_MOVIE))
        .repartition(Repartitioned.<String, Rating>as(StoreNames.MOVIE_RATINGS_REPARTITION)
            .withKeySerde(Serdes.String()).withValueSerde(topics.ratings().valueSerde()))
        .process(() -> new MovieStatsAggregator(config.ratingPositiveThreshold()), Named.as(Nodes.MOVIE_STATS_AGGREGATOR),
            StoreNames.MOVIE_RATING_COUNTS)
        .to(topics.movieStats().name(), Produced.with(Serdes.String(), topics.movieStats().valueSerde())
            .withName(Nodes.MOVIE_STATS_SINK));
    Topology t = dsl.build();

    // 3. Catalog: movies (compacted, key movieId) -> global store read by every task (genres, negatives).
    t.addGlobalStore(catalogStore(topics), Nodes.MOVIES_SOURCE, keys, raw, topics.movies().name(),
        Nodes.CATALOG_UPDATER, () -> new CatalogUpdater(topics.movies().valueSerde(), metrics,
            InputRules.of(config, 0), errors));

    // 3b. Movie stats (compacted, key movieId) -> global store read by every task (served counts).
    t.addGlobalStore(movieStatsStore(topics), Nodes.MOVIE_STATS_SOURCE, keys, raw,
        topics.movieStats().name(), Nodes.MOVIE_STATS_UPDATER,
        () -> new MovieStatsUpdater(topics.movieStats().valueSerde()));

    // 4a. Users (compacted, key userId): validated profile updates; a tombstone forgets the profile.
    t.addSource(Nodes.USERS_SOURCE, keys, raw, topics.users().name());
    t.addProcessor(Nodes.USERS_DECODER, () -> new InputDecoder<>(topics.users().valueSerde(),
        UserProfile::userId, p -> new UserEvent.ProfileChanged(p.userId(), p),
        userId -> new UserEvent.ProfileChanged(userId, null), null, metrics,
        InputRules.of(config, topics.users().partitions())), Nodes.USERS_SOURCE);

    // 4b. Impressions (key userId): validated (event time in range), then features -> micro-batch -> model -> scores.
    t.addSource(Nodes.IMPRESSIONS_SOURCE, keys, raw, topics.impressions().name());
    t.addProcessor(Nodes.IMPRESSIONS_DECODER, () -> new InputDecoder<>(topics.impressions().valueSerde(),
        Impression::userId, UserEvent.Shown::new, null, Impression::timestamp, metrics,
        InputRules.of(config, topics.impressions().partitions())), Nodes.IMPRESSIONS_SOURCE);

    // 4c. Clicks (key userId), only with feedback.clicks: validated, then attributed to their impression.
    List<String> decoders = new ArrayList<>(
        List.of(Nodes.USERS_DECODER, Nodes.RATINGS_DECODER, Nodes.IMPRESSIONS_DECODER));
    if (config.clicksFeedback()) {
      t.addSource(Nodes.CLICKS_SOURCE, keys, raw, topics.clicks().name());
      t.addProcessor(Nodes.CLICKS_DECODER, () -> new InputDecoder<>(topics.clicks().valueSerde(),
          Click::userId, UserEvent.Clicked::new, null, Click::timestamp, metrics,
          InputRules.of(config, topics.clicks().partitions())), Nodes.CLICKS_SOURCE);
      decoders.add(Nodes.CLICKS_DECODER);
    }

    // 5. Per user: history processor, feature assembly, micro-batch buffer, scoring, feedback.
    ThreadBatch.Registry batches = new ThreadBatch.Registry(models, metrics);
    t.addProcessor(Nodes.USER_EVENTS, () -> new UserEventProcessor(config, batches, metrics),
        decoders.toArray(String[]::new));
    t.addStateStore(logged(StoreNames.USER_STATE, JsonSerde.of(UserState.class)), Nodes.USER_EVENTS);
    t.addStateStore(logged(StoreNames.RATED, Serdes.Long()), Nodes.USER_EVENTS);
    t.addStateStore(logged(StoreNames.PENDING, JsonSerde.of(PendingImpression.class)), Nodes.USER_EVENTS);
    t.addStateStore(logged(StoreNames.PENDING_EXPIRY, Serdes.String()), Nodes.USER_EVENTS);
    t.addStateStore(logged(StoreNames.USER_EXPIRY, Serdes.String()), Nodes.USER_EVENTS);
    t.addStateStore(logged(StoreNames.SCORE_BUFFER, JsonSerde.of(BufferedImpression.class)), Nodes.USER_EVENTS);
    if (config.clicksFeedback()) {
      t.addStateStore(logged(StoreNames.CLICK_ATTRIBUTION, JsonSerde.of(AttributedImpression.class)),
          Nodes.USER_EVENTS);
      t.addStateStore(logged(StoreNames.CLICK_EXPIRY, Serdes.String()), Nodes.USER_EVENTS);
    }

    // 6. Outputs: scores and feedback (key userId); dead letters (original key, bounded) from every
    // decoder, and from the user node (duplicates, non-finite or failed scores).
    t.addSink(Nodes.SCORES_SINK, topics.scores().name(), Serdes.String().serializer(),
        topics.scores().valueSerde().serializer(), Nodes.USER_EVENTS);
    t.addSink(Nodes.FEEDBACK_SINK, topics.feedback().name(), Serdes.String().serializer(),
        topics.feedback().valueSerde().serializer(), Nodes.USER_EVENTS);
    t.addSink(Nodes.DEAD_LETTERS_SINK, topics.deadLetters().name(), Serdes.String().serializer(),
        topics.deadLetters().valueSerde().serializer(),
        Stream.concat(decoders.stream(), Stream.of(Nodes.USER_EVENTS)).toArray(String[]::new));
    return t;
  }

  private static StoreBuilder<KeyValueStore<String, Movie>> catalogStore(Topics topics) {
    // Global stores are rebuilt from their source topic, which is their log.
    return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(StoreNames.CATALOG),
        Serdes.String(), topics.movies().valueSerde()).withLoggingDisabled().withCachingDisabled();
  }

  private static StoreBuilder<KeyValueStore<String, MovieStats>> movieStatsStore(Topics topics) {
    return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(StoreNames.MOVIE_STATS),
        Serdes.String(), topics.movieStats().valueSerde()).withLoggingDisabled().withCachingDisabled();
  }

  private static <V> StoreBuilder<KeyValueStore<String, V>> logged(String name, Serde<V> values) {
    // Written through (no cache): each write reaches the changelog in the same transaction as
    // the input offsets it depends on.
    return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), Serdes.String(), values)
        .withLoggingEnabled(Map.of())
        .withCachingDisabled();
  }
}
