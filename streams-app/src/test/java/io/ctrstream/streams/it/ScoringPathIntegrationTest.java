package io.ctrstream.streams.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.serving.BatchScorer;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Feedback;
import io.ctrstream.schemas.Profile;
import io.ctrstream.schemas.Score;
import io.ctrstream.streams.ScorerApp;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.SwappableModelProvider;
import io.ctrstream.streams.state.ServedFeatures;
import io.ctrstream.streams.state.StoreNames;
import io.ctrstream.streams.state.UserState;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the whole path on a real broker, through {@link ScorerApp} with exactly_once_v2 and
 * read_committed readers: an impression becomes one score (the prior, marked as such, before any
 * release; the released DIEN model's probability after one), and a rating becomes one feedback
 * example, joined with its impression (carrying the served score, the model version and the
 * features as served) or organic (no score, no version). With the real model, each served score
 * is recomputed from the features the feedback says were served, by an independent scorer on the
 * same bundle, and must match: the model saw exactly those features.
 */
@ExtendWith(SharedBroker.class)
class ScoringPathIntegrationTest {
  private static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z

  @TempDir Path stateDir;

  @Test
  void priorScoreAndJoinedAndOrganicFeedback(EmbeddedKafka kafka) throws Exception {
    try (ScoringFlow flow = new ScoringFlow(kafka, "path-prior")) {
      flow.movie("m1", "Comedy");
      flow.movie("m2", "Drama");
      flow.movie("m3", "Action");
      flow.user("u1", "F", 31, "writer", "12345");
      flow.flush();
      SwappableModelProvider models = new SwappableModelProvider(0.3);
      try (ScorerApp app = new ScorerApp(flow.config("app", stateDir, Map.of()), models,
          ScorerMetrics.inMemory())) {
        app.start();
        awaitProfile(app.streams(), "u1");
        ScoringFlow.Reader<Score> scores = flow.reader(flow.topics.scores(), true);
        ScoringFlow.Reader<Feedback> feedback = flow.reader(flow.topics.feedback(), true);

        flow.rating("u1", "m1", 5.0, T0); // no impression pending: organic
        flow.flush();
        await().atMost(ScoringFlow.WAIT).pollInSameThread().until(() -> feedback.values().size() == 1);
        flow.impression("i1", "u1", "m2", T0 + 10);
        flow.flush();
        await().atMost(ScoringFlow.WAIT).pollInSameThread().until(() -> scores.values().size() == 1);
        flow.rating("u1", "m2", 4.0, T0 + 20); // follows impression i1: joined
        flow.flush();
        await().atMost(ScoringFlow.WAIT).pollInSameThread().until(() -> feedback.values().size() == 2);

        Score score = scores.values().get(0);
        assertThat(score.impressionId()).isEqualTo("i1");
        assertThat(score.userId()).isEqualTo("u1");
        assertThat(score.movieId()).isEqualTo("m2");
        assertThat(score.score()).isEqualTo(0.3);
        assertThat(score.prior()).isTrue();
        assertThat(score.modelVersion()).isEqualTo(Score.PRIOR_VERSION);
        assertThat(score.impressionTimestamp()).isEqualTo(T0 + 10);

        Feedback organic = feedback.values().get(0);
        assertThat(organic.source()).isEqualTo(Feedback.Source.ORGANIC);
        assertThat(organic.movieId()).isEqualTo("m1");
        assertThat(organic.label()).isEqualTo(1);
        assertThat(organic.servedScore()).isNull();
        assertThat(organic.modelVersion()).isNull();
        assertThat(organic.impressionId()).isNull();
        assertThat(organic.history()).as("features as they stood before the rating").isEmpty();
        assertThat(organic.profile()).isEqualTo(new Profile("F", 31, "writer", "12345"));

        Feedback joined = feedback.values().get(1);
        assertThat(joined.source()).isEqualTo(Feedback.Source.IMPRESSION);
        assertThat(joined.impressionId()).isEqualTo("i1");
        assertThat(joined.servedScore()).isEqualTo(0.3);
        assertThat(joined.modelVersion()).isEqualTo(Score.PRIOR_VERSION);
        assertThat(joined.label()).isEqualTo(1);
        assertThat(joined.rating()).isEqualTo(4.0);
        assertThat(joined.genres()).containsExactly("Drama");
        assertThat(joined.history()).as("m1 was rated 5 before the impression").containsExactly("m1");
        assertThat(joined.negatives()).hasSize(1);
        assertThat(joined.negatives().get(0)).as("a negative is a catalog movie never rated")
            .isIn("m2", "m3");
        assertThat(joined.validate()).isEmpty();
      }
    }
  }

  @Test
  void releasedDienModelScoresExactlyTheServedFeatures(EmbeddedKafka kafka) throws Exception {
    ModelBundle bundle = TinyDien.bundle("dien-v1", 12, 7);
    try (ScoringFlow flow = new ScoringFlow(kafka, "path-dien")) {
      for (int m = 0; m < 12; m++) {
        flow.movie("m" + m, TinyDien.GENRES.get(m % TinyDien.GENRES.size()));
      }
      flow.user("u1", "M", 25, "occ1", "zip1");
      flow.user("u2", "F", 44, "occ2", "zip0");
      flow.flush();
      SwappableModelProvider models = new SwappableModelProvider(0.3);
      models.release("dien-v1", TinyDien.factory(bundle));
      try (ScorerApp app = new ScorerApp(flow.config("app", stateDir, Map.of()), models,
          ScorerMetrics.inMemory())) {
        app.start();
        awaitProfile(app.streams(), "u1");
        awaitProfile(app.streams(), "u2");
        ScoringFlow.Reader<Score> scores = flow.reader(flow.topics.scores(), true);
        ScoringFlow.Reader<Feedback> feedback = flow.reader(flow.topics.feedback(), true);

        // u1 builds a history (m0, m1; m2 is a negative rating); u2 stays cold.
        flow.rating("u1", "m0", 5.0, T0);
        flow.rating("u1", "m1", 4.5, T0 + 1);
        flow.rating("u1", "m2", 2.0, T0 + 2);
        flow.flush();
        await().atMost(ScoringFlow.WAIT).pollInSameThread().until(() -> feedback.values().size() == 3);

        flow.impression("i1", "u1", "m3", T0 + 10);
        flow.impression("i2", "u1", "m4", T0 + 11);
        flow.impression("i3", "u2", "m3", T0 + 12);
        flow.impression("i4", "u2", "m5", T0 + 13);
        flow.flush();
        await().atMost(ScoringFlow.WAIT).pollInSameThread().until(() -> scores.values().size() == 4);
        flow.rating("u1", "m3", 5.0, T0 + 20);
        flow.rating("u1", "m4", 1.0, T0 + 21);
        flow.rating("u2", "m3", 4.0, T0 + 22);
        flow.rating("u2", "m5", 2.0, T0 + 23);
        flow.flush();
        await().atMost(ScoringFlow.WAIT).pollInSameThread().until(() -> feedback.values().size() == 7);

        Map<String, Score> byImpression = scores.values().stream()
            .collect(Collectors.toMap(Score::impressionId, Function.identity()));
        assertThat(byImpression).containsOnlyKeys("i1", "i2", "i3", "i4");
        assertThat(byImpression.values()).allSatisfy(s -> {
          assertThat(s.modelVersion()).isEqualTo("dien-v1");
          assertThat(s.prior()).isFalse();
        });
        assertThat(byImpression.values().stream().map(Score::score).distinct().count())
            .as("a real model tells impressions apart").isGreaterThan(1);

        List<Feedback> joined = feedback.values().subList(3, 7);
        assertThat(joined).allSatisfy(f -> {
          assertThat(f.source()).isEqualTo(Feedback.Source.IMPRESSION);
          assertThat(f.modelVersion()).isEqualTo("dien-v1");
          assertThat(f.servedScore()).isEqualTo(byImpression.get(f.impressionId()).score());
        });
        Map<String, Feedback> fb = joined.stream()
            .collect(Collectors.toMap(Feedback::impressionId, Function.identity()));
        assertThat(fb.get("i1").history()).containsExactly("m0", "m1");
        assertThat(fb.get("i3").history()).as("cold user").isEmpty();
        assertThat(fb.get("i4").label()).isZero();

        // The served score is the model's output on the features the feedback says were served.
        List<Feedback> ordered = List.of(fb.get("i1"), fb.get("i2"), fb.get("i3"), fb.get("i4"));
        List<FeatureRow> rows = ordered.stream().map(f -> new ServedFeatures(f.profile(), f.genres(),
            f.history(), f.negatives(), f.userRatings(), f.userPositives()).toRow(f.userId(), f.movieId()))
            .toList();
        float[] expected;
        try (BatchScorer independent = TinyDien.factory(bundle).get()) {
          expected = independent.score(rows);
        }
        for (int i = 0; i < ordered.size(); i++) {
          assertThat(ordered.get(i).servedScore()).as(ordered.get(i).impressionId())
              .isCloseTo(expected[i], within(1e-6));
        }
      }
    }
  }

  /** Waits until the user's profile is in the scorer's state (a profile has no output record). */
  static void awaitProfile(KafkaStreams streams, String userId) {
    await().atMost(ScoringFlow.WAIT).ignoreExceptions().until(() -> {
      ReadOnlyKeyValueStore<String, UserState> store = streams.store(StoreQueryParameters
          .fromNameAndType(StoreNames.USER_STATE, QueryableStoreTypes.<String, UserState>keyValueStore()));
      UserState s = store.get(userId);
      return s != null && !Profile.UNKNOWN.equals(s.profile());
    });
  }
}
