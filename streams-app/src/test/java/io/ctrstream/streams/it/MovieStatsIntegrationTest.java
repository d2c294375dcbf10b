package io.ctrstream.streams.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Feedback;
import io.ctrstream.schemas.MovieStats;
import io.ctrstream.schemas.Score;
import io.ctrstream.streams.ScorerApp;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.SwappableModelProvider;
import io.ctrstream.streams.state.StoreNames;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the movie counts end to end on a real broker under exactly_once_v2, through {@link
 * ScorerApp}: ratings of several users (several partitions) reach the named repartition topic
 * {@code <application.id>-movie-ratings-repartition}, are counted once each on the compacted
 * {@code movie-stats} topic (read_committed: one committed update per rating, the last holding the
 * totals), come back through the global store, and a later impression's feedback carries the
 * counts and the user's genre statistics as served.
 */
@ExtendWith(SharedBroker.class)
class MovieStatsIntegrationTest {
  private static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z

  @TempDir Path stateDir;

  @Test
  void ratingsAreCountedOnceOnMovieStatsAndServedWithTheNextImpression(EmbeddedKafka kafka)
      throws Exception {
    try (ScoringFlow flow = new ScoringFlow(kafka, "movie-stats")) {
      flow.movie("m1", "Comedy", "Drama");
      flow.movie("m2", "Drama");
      flow.flush();
      ScorerConfig config = flow.config("app", stateDir, Map.of());
      assertThat(config.processingGuarantee()).isEqualTo("exactly_once_v2");
      try (ScorerApp app = new ScorerApp(config, new SwappableModelProvider(0.3), ScorerMetrics.inMemory())) {
        app.start();
        ScoringFlow.awaitRunning(app.streams());
        ScoringFlow.Reader<MovieStats> stats = flow.reader(flow.topics.movieStats(), true);
        ScoringFlow.Reader<Feedback> feedback = flow.reader(flow.topics.feedback(), true);
        ScoringFlow.Reader<Score> scores = flow.reader(flow.topics.scores(), true);

        flow.rating("u1", "m1", 5.0, T0);
        flow.rating("u2", "m1", 2.0, T0 + 1);
        flow.rating("u3", "m1", 4.0, T0 + 2);
        flow.rating("u4", "m2", 4.0, T0 + 3); // u4: one high Drama rating
        flow.flush();
        await().atMost(ScoringFlow.WAIT).pollInSameThread().until(() -> stats.values().size() == 4);

        Map<String, MovieStats> latest = new LinkedHashMap<>();
        for (ConsumerRecord<String, MovieStats> r : stats.poll()) {
          assertThat(r.key()).isEqualTo(r.value().movieId());
          latest.put(r.key(), r.value());
        }
        assertThat(latest).containsOnly(
            Map.entry("m1", new MovieStats("m1", 3L, 2L, T0 + 2)),
            Map.entry("m2", new MovieStats("m2", 1L, 1L, T0 + 3)));
        assertThat(stats.values().stream().filter(s -> s.movieId().equals("m1")).map(MovieStats::ratings))
            .as("one committed update per rating, none twice").containsExactly(1L, 2L, 3L);
        try (Admin admin = Admin.create(kafka.clientConfig())) {
          assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains(
              StoreNames.repartitionTopic(config.applicationId(), StoreNames.MOVIE_RATINGS_REPARTITION),
              StoreNames.changelogTopic(config.applicationId(), StoreNames.MOVIE_RATING_COUNTS));
        }

        // The counts come back to every task through the global store; then u4 sees m1.
        awaitGlobalCount(app.streams(), "m1", 3L);
        await().atMost(ScoringFlow.WAIT).pollInSameThread().until(() -> feedback.values().size() == 4);
        flow.impression("i1", "u4", "m1", T0 + 10);
        flow.flush();
        await().atMost(ScoringFlow.WAIT).pollInSameThread().until(() -> scores.values().size() == 1);
        flow.rating("u4", "m1", 5.0, T0 + 20);
        flow.flush();
        await().atMost(ScoringFlow.WAIT).pollInSameThread().until(() -> feedback.values().size() == 5);

        Feedback joined = feedback.values().stream().filter(f -> "i1".equals(f.impressionId()))
            .findFirst().orElseThrow();
        assertThat(joined.source()).isEqualTo(Feedback.Source.IMPRESSION);
        assertThat(joined.movieRatings()).isEqualTo(3);
        assertThat(joined.moviePositives()).isEqualTo(2);
        // u4's Drama counters are 1 (recent and long), Comedy 0: means over m1's two genres 0.5.
        assertThat(List.of(joined.userGenre().recentPositives(), joined.userGenre().recentRatings(),
            joined.userGenre().longPositives(), joined.userGenre().longRatings()))
            .allSatisfy(v -> assertThat(v).isCloseTo(0.5, within(1e-12)));
        assertThat(joined.userGenre().recentTotal()).isEqualTo(1.0);
        assertThat(joined.userGenre().longTotal()).isEqualTo(1.0);
        await().atMost(ScoringFlow.WAIT).pollInSameThread()
            .until(() -> stats.values().size() == 5 && stats.values().get(4).ratings() == 4L);
      }
    }
  }

  private static void awaitGlobalCount(KafkaStreams streams, String movieId, long ratings) {
    await().atMost(ScoringFlow.WAIT).ignoreExceptions().until(() -> {
      ReadOnlyKeyValueStore<String, MovieStats> store = streams.store(StoreQueryParameters
          .fromNameAndType(StoreNames.MOVIE_STATS, QueryableStoreTypes.<String, MovieStats>keyValueStore()));
      MovieStats s = store.get(movieId);
      return s != null && s.ratings() == ratings;
    });
  }
}
