package io.ctrstream.streams.topology;

import io.ctrstream.schemas.DeadLetter;
import io.ctrstream.schemas.Feedback;
import io.ctrstream.schemas.MovieStats;
import io.ctrstream.schemas.Score;
import io.ctrstream.schemas.Topics;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.streams.errors.ErrorSink;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.ModelProvider;
import io.ctrstream.streams.state.PendingImpression;
import io.ctrstream.streams.state.StoreNames;
import io.ctrstream.streams.state.UserState;
import org.apache.kafka.streams.state.KeyValueStore;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

/** One TopologyTestDriver on the real topology, with typed test topics from the registry. */
final class Harness implements AutoCloseable {
  static final Instant START = Instant.parse("2026-01-01T00:00:00Z");

  final ScorerConfig config;
  final ScorerMetrics metrics = ScorerMetrics.inMemory();
  final TopologyTestDriver driver;
  final TestInputTopic<String, String> users;
  final TestInputTopic<String, String> movies;
  final TestInputTopic<String, String> impressions;
  final TestInputTopic<String, String> ratings;
  /** Read by the topology only with {@code feedback.clicks=true}. */
  final TestInputTopic<String, String> clicks;
  final TestInputTopic<String, byte[]> rawImpressions;
  final TestOutputTopic<String, Score> scores;
  final TestOutputTopic<String, Feedback> feedback;
  final TestOutputTopic<String, DeadLetter> deadLetters;
  final TestOutputTopic<String, MovieStats> movieStats;

  /**
   * Batch 3, max wait 100 ms, window 10 s, history 3, max value 2048 bytes, any event time from 0,
   * unless overridden.
   */
  static ScorerConfig config(Path stateDir, Map<String, String> overrides) {
    Map<String, String> base = new java.util.HashMap<>(Map.of(
        "application.id", "scorer-test",
        "bootstrap.servers", "unused:9092",
        "state.dir", stateDir.toString(),
        "batch.size", "3",
        "batch.max.wait.ms", "100",
        "pending.window.ms", "10000",
        "history.length", "3",
        "max.value.bytes", "2048",
        "prior.probability", "0.3",
        "event.time.earliest.ms", "0")); // the fixtures' event times are small numbers
    base.putAll(overrides);
    return ScorerConfig.fromMap(base);
  }

  Harness(ScorerConfig config, ModelProvider models) {
    this(config, models, ErrorSink.LOG_ONLY);
  }

  /** With {@code errors} as the exception handlers' and the catalog's dead-letter writer. */
  Harness(ScorerConfig config, ModelProvider models, ErrorSink errors) {
    this.config = config;
    Topics topics = config.topics();
    java.util.Properties props = config.toStreamsProperties();
    props.put(ErrorSink.CONFIG, errors);
    this.driver = new TopologyTestDriver(ScorerTopology.build(config, models, metrics, errors), props, START);
    var s = Serdes.String().serializer();
    users = driver.createInputTopic(topics.users().name(), s, s, START, java.time.Duration.ZERO);
    movies = driver.createInputTopic(topics.movies().name(), s, s, START, java.time.Duration.ZERO);
    impressions = driver.createInputTopic(topics.impressions().name(), s, s, START, java.time.Duration.ZERO);
    ratings = driver.createInputTopic(topics.ratings().name(), s, s, START, java.time.Duration.ZERO);
    clicks = driver.createInputTopic(topics.clicks().name(), s, s, START, java.time.Duration.ZERO);
    rawImpressions = driver.createInputTopic(topics.impressions().name(), s,
        Serdes.ByteArray().serializer(), START, java.time.Duration.ZERO);
    var d = Serdes.String().deserializer();
    scores = driver.createOutputTopic(topics.scores().name(), d, topics.scores().valueSerde().deserializer());
    feedback = driver.createOutputTopic(topics.feedback().name(), d, topics.feedback().valueSerde().deserializer());
    deadLetters = driver.createOutputTopic(topics.deadLetters().name(), d,
        topics.deadLetters().valueSerde().deserializer());
    movieStats = driver.createOutputTopic(topics.movieStats().name(), d,
        topics.movieStats().valueSerde().deserializer());
  }

  void movie(String id, String... genres) {
    StringBuilder g = new StringBuilder();
    for (String genre : genres) {
      g.append(g.length() == 0 ? "" : ",").append('"').append(genre).append('"');
    }
    movies.pipeInput(id, "{\"movieId\":\"" + id + "\",\"title\":\"t" + id + "\",\"genres\":[" + g + "]}");
  }

  void user(String id, String gender, int age) {
    users.pipeInput(id, "{\"userId\":\"" + id + "\",\"gender\":\"" + gender + "\",\"age\":" + age
        + ",\"occupation\":\"writer\",\"zipCode\":\"12345\"}");
  }

  void impression(String impressionId, String userId, String movieId, long ts) {
    impressions.pipeInput(userId, "{\"impressionId\":\"" + impressionId + "\",\"userId\":\"" + userId
        + "\",\"movieId\":\"" + movieId + "\",\"timestamp\":" + ts + "}", ts);
  }

  void rating(String userId, String movieId, double stars, long ts) {
    ratings.pipeInput(userId, "{\"userId\":\"" + userId + "\",\"movieId\":\"" + movieId
        + "\",\"rating\":" + stars + ",\"timestamp\":" + ts + "}", ts);
  }

  void click(String impressionId, String userId, long ts) {
    clicks.pipeInput(userId, "{\"impressionId\":\"" + impressionId + "\",\"userId\":\"" + userId
        + "\",\"timestamp\":" + ts + "}", ts);
  }

  KeyValueStore<String, UserState> userStore() {
    return driver.getKeyValueStore(StoreNames.USER_STATE);
  }

  KeyValueStore<String, Long> ratedStore() {
    return driver.getKeyValueStore(StoreNames.RATED);
  }

  KeyValueStore<String, PendingImpression> pendingStore() {
    return driver.getKeyValueStore(StoreNames.PENDING);
  }

  @Override
  public void close() {
    driver.close();
  }
}
