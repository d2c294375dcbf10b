package io.ctrstream.streams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstream.schemas.DeadLetter;
import io.ctrstream.schemas.FailureKind;
import io.ctrstream.schemas.Feedback;
import io.ctrstream.schemas.MovieStats;
import io.ctrstream.schemas.Score;
import io.ctrstream.streams.model.SwappableModelProvider;
import io.ctrstream.streams.state.StoreNames;
import io.ctrstream.streams.state.UserState;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Click attribution on the real topology (TopologyTestDriver, fake model): a click within the
 * window gives a positive example with the features and score as served; an impression not clicked
 * gives a negative one once stream time passes its window; second clicks, late clicks and clicks on
 * unknown impressions are dead-lettered; a click extends the user's history; the rating threshold
 * is a setting; with clicks off (the default) ratings give exactly the feedback they always did.
 */
class ClickAttributionTopologyTest {
  private static final long WINDOW = 10_000;

  @TempDir Path stateDir;

  private static SwappableModelProvider fakeModel() {
    SwappableModelProvider provider = new SwappableModelProvider(0.3);
    provider.release("fake-v1", () -> new FakeScorer("fake-v1"));
    return provider;
  }

  private Harness clicksOn(Map<String, String> more) {
    Map<String, String> o = new HashMap<>(Map.of("feedback.clicks", "true",
        "attribution.window.ms", Long.toString(WINDOW)));
    o.putAll(more);
    return new Harness(Harness.config(stateDir, o), fakeModel());
  }

  /** A profile at event time {@code ts}: moves stream time, emits nothing. */
  private static void profile(Harness h, String userId, long ts) {
    h.users.pipeInput(userId, "{\"userId\":\"" + userId + "\",\"gender\":\"F\",\"age\":30,"
        + "\"occupation\":\"writer\",\"zipCode\":\"12345\"}", ts);
  }

  /** Three impressions to user 42 at 1,000-1,002 (a full batch, scored at once); their scores by id. */
  private static Map<String, Score> threeScored(Harness h) {
    h.movie("1", "Comedy");
    h.movie("2", "Drama");
    h.movie("3", "Comedy", "Drama");
    h.movie("9", "Horror");
    profile(h, "42", 500);
    h.impression("i1", "42", "1", 1_000);
    h.impression("i2", "42", "2", 1_001);
    h.impression("i3", "42", "3", 1_002);
    return h.scores.readValuesToList().stream().collect(Collectors.toMap(Score::impressionId, Function.identity()));
  }

  @Test
  void clickGivesOnePositiveWithTheFeaturesAndScoreAsServed() {
    try (Harness h = clicksOn(Map.of())) {
      Map<String, Score> scores = threeScored(h);
      assertThat(scores).containsOnlyKeys("i1", "i2", "i3");

      h.click("i3", "42", 2_000);

      List<Feedback> fb = h.feedback.readValuesToList();
      assertThat(fb).hasSize(1);
      Feedback f = fb.get(0);
      assertThat(f.source()).isEqualTo(Feedback.Source.CLICK);
      assertThat(f.label()).isEqualTo(1);
      assertThat(f.rating()).isNull();
      assertThat(f.movieId()).isEqualTo("3");
      assertThat(f.impressionId()).isEqualTo("i3");
      assertThat(f.timestamp()).isEqualTo(2_000L);
      assertThat(f.servedScore()).isEqualTo(scores.get("i3").score());
      assertThat(f.modelVersion()).isEqualTo("fake-v1");
      assertThat(f.genres()).containsExactly("Comedy", "Drama");
      assertThat(f.profile().age()).isEqualTo(30);
      assertThat(f.history()).isEmpty(); // as served: nothing was clicked or rated before
      assertThat(h.deadLetters.isEmpty()).isTrue();
      assertThat(h.metrics.registry().find("ctr.feedback").tag("source", "click").counter().count())
          .isEqualTo(1.0);
    }
  }

  @Test
  void anImpressionNotClickedBecomesOneNegativeOnceStreamTimePassesItsWindow() {
    try (Harness h = clicksOn(Map.of())) {
      Map<String, Score> scores = threeScored(h);
      h.click("i2", "42", 1_500);
      assertThat(h.feedback.readValuesToList()).extracting(Feedback::source)
          .containsExactly(Feedback.Source.CLICK);

      profile(h, "other", 1_000 + WINDOW - 10); // stream time not yet past any window
      assertThat(h.feedback.isEmpty()).isTrue();

      profile(h, "other", 40_000);
      List<Feedback> negatives = h.feedback.readValuesToList();
      assertThat(negatives).extracting(Feedback::impressionId).containsExactly("i1", "i3");
      assertThat(negatives).allSatisfy(f -> {
        assertThat(f.source()).isEqualTo(Feedback.Source.NON_CLICK);
        assertThat(f.label()).isZero();
        assertThat(f.rating()).isNull();
        assertThat(f.servedScore()).isEqualTo(scores.get(f.impressionId()).score());
      });
      assertThat(negatives.get(0).timestamp()).isEqualTo(1_000L);
      assertThat(negatives.get(0).genres()).containsExactly("Comedy");

      profile(h, "other", 100_000); // each impression counts once, also when the closed entries go
      assertThat(h.feedback.isEmpty()).isTrue();
      assertThat(h.driver.getKeyValueStore(StoreNames.CLICK_ATTRIBUTION).approximateNumEntries()).isZero();
    }
  }

  @Test
  void aSecondClickIsDeadLetteredAndCountsOnce() {
    try (Harness h = clicksOn(Map.of())) {
      threeScored(h);
      h.click("i1", "42", 1_100);
      h.click("i1", "42", 1_200);
      assertThat(h.feedback.readValuesToList()).hasSize(1);
      DeadLetter d = h.deadLetters.readValue();
      assertThat(d.kind()).isEqualTo(FailureKind.DUPLICATE);
      assertThat(d.sourceTopic()).isEqualTo("clicks");
      assertThat(d.reason()).contains("already clicked");

      profile(h, "other", 40_000); // the clicked impression gives no non-click
      assertThat(h.feedback.readValuesToList()).extracting(Feedback::impressionId).containsExactly("i2", "i3");
    }
  }

  @Test
  void unknownAndExpiredClicksAreDeadLetteredWithTheirReason() {
    try (Harness h = clicksOn(Map.of())) {
      threeScored(h);
      h.click("never-shown", "42", 1_100);
      h.click("i1", "someone-else", 1_100); // an impression id is the user's own
      h.click("i2", "42", 1_001 + WINDOW + 1); // after its window, before stream time closed it
      profile(h, "other", 40_000);
      h.click("i3", "42", 5_000); // within its window by event time, but it was closed as a non-click

      List<DeadLetter> letters = h.deadLetters.readValuesToList();
      assertThat(letters).extracting(DeadLetter::kind).containsOnly(FailureKind.UNKNOWN_IMPRESSION);
      assertThat(letters).extracting(DeadLetter::reason).satisfiesExactly(
          r -> assertThat(r).startsWith("unknown impression"),
          r -> assertThat(r).startsWith("unknown impression"),
          r -> assertThat(r).startsWith("expired impression"),
          r -> assertThat(r).startsWith("expired impression").contains("counted as a non-click"));
      // No click counted: every impression is one non-click.
      assertThat(h.feedback.readValuesToList()).extracting(Feedback::source)
          .containsOnly(Feedback.Source.NON_CLICK).hasSize(3);
    }
  }

  @Test
  void aClickOnAnImpressionStillInTheBufferScoresItFirst() {
    try (Harness h = clicksOn(Map.of())) {
      h.movie("1", "Comedy");
      profile(h, "42", 500);
      h.impression("i1", "42", "1", 1_000); // a partial batch: not scored yet
      assertThat(h.scores.isEmpty()).isTrue();
      h.click("i1", "42", 1_300);
      Score s = h.scores.readValue();
      Feedback f = h.feedback.readValue();
      assertThat(f.source()).isEqualTo(Feedback.Source.CLICK);
      assertThat(f.servedScore()).isEqualTo(s.score());
    }
  }

  @Test
  void aClickExtendsTheHistoryLikeAHighRatingButCountsNoRating() {
    try (Harness h = clicksOn(Map.of())) {
      threeScored(h);
      h.click("i1", "42", 1_100);
      UserState state = h.userStore().get("42");
      assertThat(state.historyIds()).containsExactly("1");
      assertThat(state.negativeIds()).hasSize(1).doesNotContain("1");
      assertThat(state.ratings()).isZero();
      assertThat(state.positives()).isZero();

      h.impression("i4", "42", "2", 1_200);
      h.impression("i5", "42", "3", 1_201);
      h.impression("i6", "42", "9", 1_202);
      h.rating("42", "2", 5, 1_300);
      Feedback joined = h.feedback.readValuesToList().get(1);
      assertThat(joined.source()).isEqualTo(Feedback.Source.IMPRESSION);
      assertThat(joined.history()).containsExactly("1"); // served with the clicked movie in history
      assertThat(h.userStore().get("42").historyIds()).containsExactly("1", "2");
    }
  }

  @Test
  void theRatingThresholdIsASetting() {
    try (Harness h = new Harness(Harness.config(stateDir, Map.of("rating.positive.threshold", "3")), fakeModel())) {
      h.movie("1", "Comedy");
      h.movie("2", "Drama");
      h.rating("42", "1", 3.0, 1_000);
      h.rating("42", "2", 2.5, 1_001);
      assertThat(h.feedback.readValuesToList()).extracting(Feedback::label).containsExactly(1, 0);
      assertThat(h.userStore().get("42").historyIds()).containsExactly("1");
      assertThat(h.userStore().get("42").positives()).isEqualTo(1);
      assertThat(h.movieStats.readValuesToList()).extracting(MovieStats::positives).containsExactly(1L, 0L);
    }
    try (Harness h = new Harness(Harness.config(stateDir.resolve("default"), Map.of()), fakeModel())) {
      h.movie("1", "Comedy");
      h.rating("42", "1", 3.0, 1_000);
      assertThat(h.feedback.readValue().label()).isZero();
      assertThat(h.userStore().get("42").historyIds()).isEmpty();
    }
  }

  @Test
  void withClicksOffRatingsGiveTheFeedbackTheyAlwaysDid() {
    Harness.config(stateDir, Map.of()); // defaults: off
    assertThat(Harness.config(stateDir, Map.of()).clicksFeedback()).isFalse();
    assertThat(ScorerTopology.build(Harness.config(stateDir, Map.of()), fakeModel(),
        io.ctrstream.streams.metrics.ScorerMetrics.inMemory()).describe().toString())
        .doesNotContain("clicks").doesNotContain(StoreNames.CLICK_ATTRIBUTION);
    try (Harness h = new Harness(Harness.config(stateDir, Map.of()), fakeModel())) {
      threeScored(h);
      h.rating("42", "1", 5, 1_500);
      profile(h, "other", 100_000);
      h.rating("42", "7", 2, 100_001);
      assertThat(h.feedback.readValuesToList()).extracting(Feedback::source)
          .containsExactly(Feedback.Source.IMPRESSION, Feedback.Source.ORGANIC);
    }
  }

  @Test
  void withClicksOnARatedImpressionIsAlsoAttributed() {
    try (Harness h = clicksOn(Map.of())) {
      threeScored(h);
      h.rating("42", "1", 5, 1_500);
      h.click("i1", "42", 1_600);
      profile(h, "other", 40_000);
      assertThat(h.feedback.readValuesToList()).extracting(f -> f.source().wireName() + ":" + f.impressionId())
          .containsExactly("impression:i1", "click:i1", "non_click:i2", "non_click:i3");
    }
  }

  @Test
  void badClicksAreDeadLetteredByTheSameRulesAsTheOtherInputs() {
    try (Harness h = clicksOn(Map.of("event.time.earliest.ms", "100"))) {
      threeScored(h);
      h.clicks.pipeInput("42", "{\"impressionId\":\"i1\",\"userId\":\"7\",\"timestamp\":1100}", 1_100L);
      h.clicks.pipeInput("42", "{\"impressionId\":\"i1\",\"userId\":\"42\",\"movieId\":\"1\",\"timestamp\":1100}", 1_100L);
      h.clicks.pipeInput("42", "{\"impressionId\":\"i1\"", 1_100L);
      h.clicks.pipeInput("42", "{\"impressionId\":\"i1\",\"userId\":\"42\",\"timestamp\":5}", 1_100L);
      h.clicks.pipeInput("42", "x".repeat(3_000), 1_100L);
      assertThat(h.deadLetters.readValuesToList()).extracting(DeadLetter::kind).containsExactly(
          FailureKind.KEY_MISMATCH, FailureKind.WRONG_TYPE, FailureKind.NOT_JSON,
          FailureKind.TIMESTAMP_OUT_OF_RANGE, FailureKind.OVERSIZED);
      assertThat(h.feedback.isEmpty()).isTrue();
      h.click("i1", "42", 1_100); // none of them counted: the real click still does
      assertThat(h.feedback.readValue().source()).isEqualTo(Feedback.Source.CLICK);
    }
  }

  @Test
  void aNonClickWaitsForStreamTimeNotTheWallClock() {
    try (Harness h = clicksOn(Map.of())) {
      threeScored(h);
      h.driver.advanceWallClockTime(Duration.ofHours(1));
      assertThat(h.feedback.isEmpty()).isTrue();
    }
  }
}
