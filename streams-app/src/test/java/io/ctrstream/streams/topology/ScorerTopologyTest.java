package io.ctrstream.streams.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.schemas.DeadLetter;
import io.ctrstream.schemas.FailureKind;
import io.ctrstream.schemas.Feedback;
import io.ctrstream.schemas.Score;
import io.ctrstream.streams.model.ModelProvider;
import io.ctrstream.streams.model.SwappableModelProvider;
import io.ctrstream.streams.state.CompositeKey;
import io.ctrstream.streams.state.HistoryEntry;
import io.ctrstream.streams.state.StoreNames;
import io.ctrstream.streams.state.UserState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the scorer's flow end to end on the real topology (TopologyTestDriver, fake model):
 * scores carry the right ids, version and value; cold users and unknown movies are scored, not
 * rejected; batches flush by size and by the wall-clock punctuator; ratings become feedback joined
 * with the served impression or organic; history keeps the last N positives with aligned, never
 * rated negatives; pending impressions expire; every kind of bad input is dead-lettered while the
 * app keeps going; prior scores are marked.
 */
class ScorerTopologyTest {
  @TempDir Path stateDir;

  private final List<FakeScorer> made = new ArrayList<>();

  private SwappableModelProvider fakeModel() {
    SwappableModelProvider provider = new SwappableModelProvider(0.3);
    provider.release("fake-v1", () -> {
      FakeScorer f = new FakeScorer("fake-v1");
      made.add(f);
      return f;
    });
    return provider;
  }

  private Harness harness(ModelProvider models) {
    return new Harness(Harness.config(stateDir, Map.of()), models);
  }

  private List<FeatureRow> rowsSeen() {
    return made.stream().flatMap(f -> f.batches.stream()).flatMap(List::stream).toList();
  }

  @Test
  void everyNodeAndStoreIsNamedExplicitly() {
    String described = ScorerTopology.build(Harness.config(stateDir, Map.of()), ModelProvider.prior(0.5))
        .describe().toString();
    assertThat(described).doesNotContain("KSTREAM-").doesNotContain("KTABLE-");
    for (String store : List.of(StoreNames.USER_STATE, StoreNames.RATED, StoreNames.PENDING,
        StoreNames.PENDING_EXPIRY, StoreNames.SCORE_BUFFER, StoreNames.CATALOG)) {
      assertThat(described).contains(store);
    }
  }

  @Test
  void fullBatchIsScoredWithIdsVersionAndTheModelsValue() {
    try (Harness h = harness(fakeModel())) {
      h.movie("1", "Comedy");
      h.movie("2", "Drama");
      h.user("42", "F", 31);
      h.impression("i1", "42", "1", 1_000);
      h.impression("i2", "42", "2", 1_001);
      assertThat(h.scores.isEmpty()).as("a partial batch waits").isTrue();
      h.impression("i3", "42", "1", 1_002);

      List<Score> scores = h.scores.readValuesToList();
      assertThat(scores).extracting(Score::impressionId).containsExactly("i1", "i2", "i3");
      assertThat(scores).allSatisfy(s -> {
        assertThat(s.userId()).isEqualTo("42");
        assertThat(s.modelVersion()).isEqualTo("fake-v1");
        assertThat(s.prior()).isFalse();
        assertThat(s.scoredAt()).isEqualTo(Harness.START.toEpochMilli());
      });
      assertThat(scores.get(0).movieId()).isEqualTo("1");
      assertThat(scores.get(0).impressionTimestamp()).isEqualTo(1_000L);
      // Comedy + known age, no history: 0.1 + 0.25 + 0.05; Drama: 0.1 + 0.05.
      assertThat(scores.get(0).score()).isCloseTo(0.40, within(1e-6));
      assertThat(scores.get(1).score()).isCloseTo(0.15, within(1e-6));

      assertThat(made).hasSize(1);
      assertThat(made.get(0).batches).hasSize(1);
      FeatureRow row = made.get(0).batches.get(0).get(0);
      assertThat(row.userId()).isEqualTo("42");
      assertThat(row.age()).isEqualTo(31.0);
      assertThat(row.gender()).isEqualTo("F");
      assertThat(row.occupation()).isEqualTo("writer");
      assertThat(row.zipCode()).isEqualTo("12345");
      assertThat(row.genres()).containsExactly("Comedy");
    }
  }

  @Test
  void coldUserAndUnknownMovieAreScoredNotRejected() {
    try (Harness h = harness(fakeModel())) {
      h.movie("1", "Comedy");
      h.impression("i1", "never-seen", "1", 5);
      h.impression("i2", "never-seen", "not-in-catalog", 6);
      h.driver.advanceWallClockTime(Duration.ofMillis(100));

      List<Score> scores = h.scores.readValuesToList();
      assertThat(scores).extracting(Score::impressionId).containsExactly("i1", "i2");
      FeatureRow cold = rowsSeen().get(0);
      assertThat(cold.history()).isEmpty();
      assertThat(cold.negatives()).isEmpty();
      assertThat(cold.age()).isNull();
      assertThat(cold.gender()).isNull();
      assertThat(rowsSeen().get(1).genres()).isEmpty();
      assertThat(scores.get(0).score()).isCloseTo(0.35, within(1e-6));
      assertThat(scores.get(1).score()).isCloseTo(0.10, within(1e-6));
      assertThat(h.deadLetters.isEmpty()).isTrue();
      assertThat(h.metrics.deadLetters()).isZero();
    }
  }

  @Test
  void withNoModelReleasedScoresAreThePriorAndMarked() {
    try (Harness h = harness(ModelProvider.prior(0.3))) {
      h.impression("i1", "42", "1", 5);
      h.driver.advanceWallClockTime(Duration.ofMillis(100));
      Score s = h.scores.readValue();
      assertThat(s.prior()).isTrue();
      assertThat(s.modelVersion()).isEqualTo(Score.PRIOR_VERSION);
      assertThat(s.score()).as("the float 0.3f written as 0.3, not 0.30000001192092896").isEqualTo(0.3);
    }
  }

  @Test
  void partialBatchIsFlushedByTheWallClockPunctuatorAndAFullOneAtOnce() {
    try (Harness h = harness(fakeModel())) {
      h.impression("i1", "1", "m", 1);
      h.impression("i2", "2", "m", 2);
      h.driver.advanceWallClockTime(Duration.ofMillis(50));
      assertThat(h.scores.isEmpty()).as("before max wait").isTrue();
      h.driver.advanceWallClockTime(Duration.ofMillis(50));
      assertThat(h.scores.readValuesToList()).extracting(Score::impressionId).containsExactly("i1", "i2");
      assertThat(made.get(0).batches).extracting(List::size).containsExactly(2);

      h.impression("i3", "3", "m", 3);
      h.impression("i4", "4", "m", 4);
      h.impression("i5", "5", "m", 5);
      assertThat(h.scores.readValuesToList()).extracting(Score::impressionId).containsExactly("i3", "i4", "i5");
      assertThat(made.get(0).batches).extracting(List::size).containsExactly(2, 3);
      h.driver.advanceWallClockTime(Duration.ofMillis(500));
      assertThat(h.scores.isEmpty()).as("nothing scored twice").isTrue();
      assertThat(h.metrics.batches()).isEqualTo(2);
    }
  }

  @Test
  void impressionLagIsTheWallClockLessTheRecordTimestampAtArrival() {
    try (Harness h = harness(fakeModel())) {
      long start = Harness.START.toEpochMilli();
      h.impression("i1", "1", "m", start - 250);
      h.impression("i2", "2", "m", start - 40);
      h.impression("i3", "3", "m", start + 5_000); // a clock ahead of the scorer's counts as 0
      var lag = h.metrics.registry().find("ctr.impression.lag").timer();
      assertThat(lag).isNotNull();
      assertThat(lag.count()).isEqualTo(3);
      assertThat(lag.max(java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(250.0);
      assertThat(lag.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS)).isEqualTo(290.0);
    }
  }

  @Test
  void ratingOfAnImpressionCarriesTheServedFeaturesScoreAndVersion() {
    try (Harness h = harness(fakeModel())) {
      h.movie("1", "Comedy");
      h.movie("2", "Drama");
      h.movie("3", "Horror");
      h.user("42", "M", 25);
      h.rating("42", "2", 5, 100); // history [2] before the impression
      h.feedback.readValue();
      h.impression("i1", "42", "1", 1_000);
      h.driver.advanceWallClockTime(Duration.ofMillis(100));
      Score served = h.scores.readValue();
      h.rating("42", "3", 4, 1_500); // history grows after serving: must not leak into i1's example
      h.feedback.readValue();

      h.rating("42", "1", 4.5, 2_000);
      Feedback f = h.feedback.readValue();
      assertThat(f.source()).isEqualTo(Feedback.Source.IMPRESSION);
      assertThat(f.impressionId()).isEqualTo("i1");
      assertThat(f.servedScore()).isEqualTo(served.score());
      assertThat(f.modelVersion()).isEqualTo("fake-v1");
      assertThat(f.label()).isEqualTo(1);
      assertThat(f.rating()).isEqualTo(4.5);
      assertThat(f.timestamp()).isEqualTo(2_000L);
      assertThat(f.history()).containsExactly("2");
      assertThat(f.negatives()).hasSize(1);
      assertThat(f.genres()).containsExactly("Comedy");
      assertThat(f.profile().age()).isEqualTo(25);
      assertThat(f.userRatings()).as("one rating before the impression").isEqualTo(1);
      assertThat(f.userPositives()).isEqualTo(1);
      // The served row and the example hold the same features.
      FeatureRow row = rowsSeen().get(0);
      assertThat(f.history()).isEqualTo(row.history());
      assertThat(f.negatives()).isEqualTo(row.negatives());
      assertThat(row.userRatings()).isEqualTo(1);
      assertThat(row.userPositives()).isEqualTo(1);
      assertThat(h.pendingStore().get(CompositeKey.of("42", "1"))).as("consumed").isNull();
    }
  }

  @Test
  void ratingOfAStillBufferedImpressionScoresItsBatchFirst() {
    try (Harness h = harness(fakeModel())) {
      h.impression("i1", "42", "1", 1_000);
      h.impression("i2", "43", "1", 1_000);
      assertThat(h.scores.isEmpty()).isTrue();
      h.rating("42", "1", 2, 1_010);

      List<Score> scores = h.scores.readValuesToList();
      assertThat(scores).extracting(Score::impressionId).containsExactly("i1", "i2");
      Feedback f = h.feedback.readValue();
      assertThat(f.source()).isEqualTo(Feedback.Source.IMPRESSION);
      assertThat(f.servedScore()).isEqualTo(scores.get(0).score());
      assertThat(f.label()).isZero();
      h.driver.advanceWallClockTime(Duration.ofMillis(500));
      assertThat(h.scores.isEmpty()).as("nothing scored twice").isTrue();
    }
  }

  @Test
  void ratingWithoutImpressionIsOrganicWithFeaturesFromJustBefore() {
    try (Harness h = harness(fakeModel())) {
      h.movie("1", "Comedy");
      h.movie("2", "Drama");
      h.rating("42", "2", 5, 100);
      Feedback first = h.feedback.readValue();
      assertThat(first.source()).isEqualTo(Feedback.Source.ORGANIC);
      assertThat(first.history()).as("before the rating: a cold user").isEmpty();
      assertThat(first.impressionId()).isNull();
      assertThat(first.servedScore()).isNull();
      assertThat(first.modelVersion()).isNull();
      assertThat(first.userRatings()).as("counts from before the rating").isZero();

      h.rating("42", "1", 3, 200);
      Feedback second = h.feedback.readValue();
      assertThat(second.userRatings()).isEqualTo(1);
      assertThat(second.userPositives()).isEqualTo(1);
      h.rating("42", "2", 1, 300); // a low rating counts too
      assertThat(h.feedback.readValue().userRatings()).isEqualTo(2);
      assertThat(h.userStore().get("42").positives()).isEqualTo(1);
      assertThat(h.userStore().get("42").ratings()).isEqualTo(3);
      assertThat(second.history()).containsExactly("2");
      assertThat(second.negatives()).hasSize(1);
      assertThat(second.genres()).containsExactly("Comedy");
      assertThat(second.label()).isZero();
    }
  }

  @Test
  void historyKeepsTheLastNPositivesWithAlignedNeverRatedNegatives() {
    List<String> catalog = new ArrayList<>();
    for (int i = 0; i < 30; i++) {
      catalog.add("m" + i);
    }
    List<HistoryEntry> first;
    try (Harness h = harness(fakeModel())) {
      catalog.forEach(h::movie);
      // m0:5 m1:2 m2:4 m3:5 m4:3.5 m5:4 m6:4 (N = 3)
      double[] stars = {5, 2, 4, 5, 3.5, 4, 4};
      Set<String> ratedSoFar = new HashSet<>();
      for (int i = 0; i < stars.length; i++) {
        ratedSoFar.add("m" + i);
        h.rating("u", "m" + i, stars[i], 1_000 + i);
        UserState s = h.userStore().get("u");
        // A new negative was never rated at the time it was drawn.
        if (stars[i] >= 4) {
          String movie = "m" + i;
          String negative = s.history().stream().filter(e -> e.movieId().equals(movie))
              .findFirst().orElseThrow().negative();
          assertThat(ratedSoFar).doesNotContain(negative);
          assertThat(catalog).contains(negative);
        }
      }
      UserState state = h.userStore().get("u");
      assertThat(state.historyIds()).containsExactly("m3", "m5", "m6");
      assertThat(state.history()).extracting(HistoryEntry::timestamp).containsExactly(1_003L, 1_005L, 1_006L);
      assertThat(state.negativeIds()).hasSize(3).doesNotContainNull();
      assertThat(h.ratedStore().get(CompositeKey.of("u", "m1"))).as("rated set keeps negatives' exclusions")
          .isEqualTo(1_001L);
      first = state.history();
    }
    // A replay on fresh state draws the same negatives.
    try (Harness h = new Harness(Harness.config(stateDir.resolve("replay"), Map.of()), fakeModel())) {
      catalog.forEach(h::movie);
      double[] stars = {5, 2, 4, 5, 3.5, 4, 4};
      for (int i = 0; i < stars.length; i++) {
        h.rating("u", "m" + i, stars[i], 1_000 + i);
      }
      assertThat(h.userStore().get("u").history()).isEqualTo(first);
    }
  }

  @Test
  void pendingImpressionExpiresAfterItsWindow() {
    try (Harness h = harness(fakeModel())) {
      h.impression("i1", "42", "1", 1_000);
      h.driver.advanceWallClockTime(Duration.ofMillis(100));
      h.scores.readValue();
      assertThat(h.pendingStore().get(CompositeKey.of("42", "1"))).isNotNull();

      // Stream time passes the window (10 s) through another user's traffic.
      h.impression("i2", "7", "9", 30_000);
      assertThat(h.pendingStore().get(CompositeKey.of("42", "1"))).as("expired by the punctuator").isNull();
      assertThat(h.pendingStore().get(CompositeKey.of("7", "9"))).as("pending once scored, not while buffered").isNull();
      h.driver.advanceWallClockTime(Duration.ofMillis(100));
      assertThat(h.scores.readValue().impressionId()).isEqualTo("i2");
      assertThat(h.pendingStore().get(CompositeKey.of("7", "9"))).as("still in its window").isNotNull();

      h.rating("42", "1", 5, 30_001);
      Feedback f = h.feedback.readValue();
      assertThat(f.source()).isEqualTo(Feedback.Source.ORGANIC);
    }
  }

  @Test
  void ratingPastTheWindowIsOrganicEvenBeforeThePunctuatorRuns() {
    try (Harness h = harness(fakeModel())) {
      h.impression("i1", "42", "1", 1_000);
      h.driver.advanceWallClockTime(Duration.ofMillis(100));
      h.rating("42", "1", 5, 11_001);
      assertThat(h.feedback.readValue().source()).isEqualTo(Feedback.Source.ORGANIC);
    }
  }

  @Test
  void everyKindOfBadInputIsDeadLetteredAndTheAppKeepsGoing() {
    try (Harness h = harness(fakeModel())) {
      h.impressions.pipeInput("42", "{not json");
      h.impressions.pipeInput("42", "{\"impressionId\":\"i\",\"userId\":42,\"movieId\":\"1\",\"timestamp\":1}");
      h.impressions.pipeInput("42", "{\"impressionId\":\"i\",\"userId\":\"42\",\"timestamp\":1}");
      h.ratings.pipeInput("42", "{\"userId\":\"42\",\"movieId\":\"1\",\"rating\":7,\"timestamp\":1}");
      h.impressions.pipeInput("42", "{\"impressionId\":\"" + "x".repeat(3000)
          + "\",\"userId\":\"42\",\"movieId\":\"1\",\"timestamp\":1}");
      h.impressions.pipeInput("41", "{\"impressionId\":\"i\",\"userId\":\"42\",\"movieId\":\"1\",\"timestamp\":1}");
      h.ratings.pipeInput("42", (String) null);
      h.users.pipeInput("42", "{\"userId\":\"42\",\"age\":\"old\"}");
      h.rawImpressions.pipeInput("42", new byte[] {(byte) 0xff, (byte) 0xfe, 1});

      List<DeadLetter> letters = h.deadLetters.readValuesToList();
      assertThat(letters).extracting(DeadLetter::kind).containsExactly(
          FailureKind.NOT_JSON, FailureKind.WRONG_TYPE, FailureKind.INVALID_FIELDS,
          FailureKind.INVALID_FIELDS, FailureKind.OVERSIZED, FailureKind.KEY_MISMATCH,
          FailureKind.MISSING_VALUE, FailureKind.WRONG_TYPE, FailureKind.NOT_JSON);
      DeadLetter notJson = letters.get(0);
      assertThat(notJson.sourceTopic()).isEqualTo(h.config.topics().impressions().name());
      assertThat(notJson.partition()).isZero();
      assertThat(notJson.offset()).isZero();
      assertThat(notJson.key()).isEqualTo("42");
      assertThat(notJson.rawPayload()).isEqualTo("{not json");
      assertThat(letters.get(1).offset()).isEqualTo(1L);
      assertThat(letters.get(2).reason()).contains("movieId is missing");
      assertThat(letters.get(3).reason()).contains("rating must be in [0.5, 5], got 7.0");
      assertThat(letters.get(3).sourceTopic()).isEqualTo(h.config.topics().ratings().name());
      assertThat(letters.get(4).rawPayloadTruncated()).isTrue();
      assertThat(letters.get(4).reason()).contains("max.value.bytes 2048");
      assertThat(letters.get(5).reason()).contains("key \"41\" disagrees with userId \"42\"");
      assertThat(letters.get(7).sourceTopic()).isEqualTo(h.config.topics().users().name());
      assertThat(letters.get(8).rawPayloadEncoding()).isEqualTo(DeadLetter.PayloadEncoding.BASE64);
      assertThat(letters.get(8).rawBytes()).isEqualTo(new byte[] {(byte) 0xff, (byte) 0xfe, 1});
      assertThat(h.metrics.deadLetters()).isEqualTo(9);
      assertThat(h.metrics.deadLetters(FailureKind.INVALID_FIELDS)).isEqualTo(2);

      h.impression("ok", "42", "1", 10);
      h.driver.advanceWallClockTime(Duration.ofMillis(100));
      assertThat(h.scores.readValuesToList()).extracting(Score::impressionId).containsExactly("ok");
      assertThat(h.feedback.isEmpty()).isTrue();
    }
  }

  @Test
  void userTombstoneForgetsTheProfile() {
    try (Harness h = harness(fakeModel())) {
      h.user("42", "F", 40);
      assertThat(h.userStore().get("42").profile().age()).isEqualTo(40);
      h.users.pipeInput("42", (String) null);
      assertThat(h.userStore().get("42")).isNull();
      assertThat(h.deadLetters.isEmpty()).isTrue();
    }
  }

  @Test
  void newModelIsSwappedInBetweenBatchesAndTheOldOneClosed() {
    SwappableModelProvider provider = fakeModel();
    try (Harness h = harness(provider)) {
      h.impression("i1", "1", "m", 1);
      h.driver.advanceWallClockTime(Duration.ofMillis(100));
      provider.release("fake-v2", () -> {
        FakeScorer f = new FakeScorer("fake-v2");
        made.add(f);
        return f;
      });
      h.impression("i2", "1", "m", 2);
      h.driver.advanceWallClockTime(Duration.ofMillis(100));
      assertThat(h.scores.readValuesToList()).extracting(Score::modelVersion).containsExactly("fake-v1", "fake-v2");
      assertThat(made.get(0).closed).isTrue();
      assertThat(made.get(1).closed).isFalse();
    }
    assertThat(made.get(1).closed).as("closed with the task").isTrue();
  }
}
