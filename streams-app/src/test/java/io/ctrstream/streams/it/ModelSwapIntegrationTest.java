package io.ctrstream.streams.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.serving.BatchScorer;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Score;
import io.ctrstream.streams.ScorerApp;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.SwappableModelProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.stream.Collectors;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves that a model released while impressions flow is picked up without a restart and without
 * losing or repeating an impression: every impression is scored exactly once; in each partition
 * the scores switch from version A to version B once and never back; each score's value is the
 * one its labelled version computes; no batch mixes versions (each impression's version in the
 * topic is the version of the one batch that scored it); and every task's A model is closed after
 * its last batch while B keeps serving.
 *
 * <p>The first test releases through {@link SwappableModelProvider#release} directly (what the
 * model-releases follower calls once it has verified a bundle), with stand-in models whose batches
 * are logged; the second goes through the service's follower and the model-releases topic with two
 * real DIEN bundles.
 */
@ExtendWith(SharedBroker.class)
class ModelSwapIntegrationTest {
  private static final int USERS = 40;
  private static final int BEFORE = 1_200;
  private static final int AFTER = 600;
  private static final float A = 0.25f;
  private static final float B = 0.75f;

  @TempDir Path stateDir;

  @Test
  void releaseWhileImpressionsFlowSwitchesAtABatchBoundary(EmbeddedKafka kafka) throws Exception {
    Queue<RecordingScorer.Batch> batches = RecordingScorer.newLog();
    Queue<RecordingScorer> madeA = new ConcurrentLinkedQueue<>();
    Queue<RecordingScorer> madeB = new ConcurrentLinkedQueue<>();
    SwappableModelProvider models = new SwappableModelProvider(0.3);
    models.release("A", () -> remember(madeA, new RecordingScorer("A", A, batches, () -> false)));

    try (ScoringFlow flow = new ScoringFlow(kafka, "swap")) {
      ScoringFlow.Reader<Score> scores = flow.reader(flow.topics.scores(), true);
      try (ScorerApp app = new ScorerApp(flow.config("app", stateDir, Map.of()), models,
          ScorerMetrics.inMemory())) {
        app.start();
        ScoringFlow.awaitRunning(app.streams());
        long t0 = 1_767_225_600_000L;
        // Movie ids are unique per impression, so the scorer's log says which batch scored which.
        for (int k = 0; k < BEFORE; k++) {
          flow.impression("i" + k, "u" + (k % USERS), "m" + k, t0 + k);
        }
        flow.flush();
        // Release once some, but far from all, of the first impressions are scored.
        await().atMost(ScoringFlow.WAIT).pollInSameThread()
            .until(() -> scores.values().size() >= BEFORE / 10);
        models.release("B", () -> remember(madeB, new RecordingScorer("B", B, batches, () -> false)));
        for (int k = BEFORE; k < BEFORE + AFTER; k++) {
          flow.impression("i" + k, "u" + (k % USERS), "m" + k, t0 + k);
        }
        flow.flush();
        await().atMost(ScoringFlow.WAIT).pollInSameThread()
            .until(() -> scores.values().size() >= BEFORE + AFTER);
        // Every task scored a B batch, so every A model has been swapped out and closed.
        assertThat(madeA).isNotEmpty().allSatisfy(a -> assertThat(a.closed()).isTrue());
        assertThat(madeB).isNotEmpty().allSatisfy(b -> assertThat(b.closed()).isFalse());
      }
      List<ConsumerRecord<String, Score>> all = scores.readToEnd(Duration.ofSeconds(30));

      Map<String, Long> perImpression = all.stream()
          .collect(Collectors.groupingBy(r -> r.value().impressionId(), Collectors.counting()));
      assertThat(perImpression).hasSize(BEFORE + AFTER);
      assertThat(perImpression.values()).as("scored exactly once").containsOnly(1L);

      Map<String, String> versionOfMovie = new HashMap<>();
      for (RecordingScorer.Batch batch : batches) {
        for (String movie : batch.movieIds()) {
          assertThat(versionOfMovie.put(movie, batch.version())).as("%s scored twice", movie).isNull();
        }
      }
      Map<Integer, StringBuilder> versionsByPartition = new HashMap<>();
      for (ConsumerRecord<String, Score> r : all) {
        Score s = r.value();
        assertThat(s.score()).isEqualTo(s.modelVersion().equals("A") ? (double) A : (double) B);
        assertThat(s.modelVersion()).as("the batch that scored " + s.impressionId())
            .isEqualTo(versionOfMovie.get(s.movieId()));
        versionsByPartition.computeIfAbsent(r.partition(), p -> new StringBuilder())
            .append(s.modelVersion());
      }
      versionsByPartition.forEach((partition, versions) ->
          assertThat(versions.toString()).as("partition " + partition).matches("A*B+"));
      Map<String, Long> perVersion = all.stream()
          .collect(Collectors.groupingBy(r -> r.value().modelVersion(), Collectors.counting()));
      assertThat(perVersion.get("A")).isGreaterThanOrEqualTo(BEFORE / 10);
      assertThat(perVersion.get("B")).isGreaterThanOrEqualTo(AFTER);
    }
  }

  /**
   * The same through the service's own path: {@link ScorerApp} with its model-releases follower;
   * two real DIEN bundles are published to the topic, A before start and B while impressions
   * flow. All impressions here encode alike (cold users, movies unknown to the vocabularies), so
   * each model gives one value, computed independently from its bundle.
   */
  @Test
  void releaseThroughTheTopicIsPickedUpWhileImpressionsFlow(EmbeddedKafka kafka) throws Exception {
    long now = System.currentTimeMillis();
    ModelBundle a = TinyDien.bundle("dien-a", 12, 1, now);
    ModelBundle b = TinyDien.bundle("dien-b", 12, 2, now + 1);
    double valueA = coldScore(a);
    double valueB = coldScore(b);
    assertThat(valueA).as("the two models must be told apart").isNotCloseTo(valueB, within(1e-4));
    int before = 600;
    int after = 300;

    try (ScoringFlow flow = new ScoringFlow(kafka, "swap-topic")) {
      flow.release(TinyDien.release(a));
      flow.flush();
      ScoringFlow.Reader<Score> scores = flow.reader(flow.topics.scores(), true);
      try (ScorerApp app = ScorerApp.builder().setConfig(flow.config("app", stateDir, Map.of()))
          .optFollowReleases(true).optHttp(false).optMetrics(ScorerMetrics.inMemory()).build()) {
        app.start();
        ScoringFlow.awaitRunning(app.streams());
        long t0 = 1_767_225_600_000L;
        for (int k = 0; k < before; k++) {
          flow.impression("i" + k, "u" + (k % USERS), "x" + k, t0 + k);
        }
        flow.flush();
        await().atMost(ScoringFlow.WAIT).pollInSameThread()
            .until(() -> scores.values().size() >= before / 10);
        flow.release(TinyDien.release(b));
        flow.flush();
        for (int k = before; k < before + after; k++) {
          flow.impression("i" + k, "u" + (k % USERS), "x" + k, t0 + k);
        }
        flow.flush();
        await().atMost(ScoringFlow.WAIT).pollInSameThread()
            .until(() -> scores.values().size() >= before + after);
        assertThat(app.modelVersion()).isEqualTo("dien-b");
      }
      List<ConsumerRecord<String, Score>> all = scores.readToEnd(Duration.ofSeconds(30));

      Map<String, Long> perImpression = all.stream()
          .collect(Collectors.groupingBy(r -> r.value().impressionId(), Collectors.counting()));
      assertThat(perImpression).hasSize(before + after);
      assertThat(perImpression.values()).as("scored exactly once").containsOnly(1L);
      Map<Integer, StringBuilder> versionsByPartition = new HashMap<>();
      for (ConsumerRecord<String, Score> r : all) {
        Score s = r.value();
        assertThat(s.modelVersion()).as("no prior: A is loaded before the first batch")
            .isIn("dien-a", "dien-b");
        assertThat(s.score()).isCloseTo(s.modelVersion().equals("dien-a") ? valueA : valueB,
            within(1e-6));
        versionsByPartition.computeIfAbsent(r.partition(), p -> new StringBuilder())
            .append(s.modelVersion().equals("dien-a") ? 'A' : 'B');
      }
      versionsByPartition.forEach((partition, versions) ->
          assertThat(versions.toString()).as("partition " + partition).matches("A*B+"));
      assertThat(versionsByPartition.values().stream().mapToLong(v -> v.chars()
          .filter(c -> c == 'A').count()).sum()).isGreaterThanOrEqualTo(before / 10);
    }
  }

  /** What a model gives a cold user with no profile and an unknown movie. */
  private static double coldScore(ModelBundle bundle) {
    try (BatchScorer scorer = TinyDien.factory(bundle).get()) {
      float p = scorer.score(List.of(new FeatureRow("u", null, null, null, null, "x", null, null,
          null)))[0];
      return Double.parseDouble(Float.toString(p));
    }
  }

  private static RecordingScorer remember(Queue<RecordingScorer> made, RecordingScorer scorer) {
    made.add(scorer);
    return scorer;
  }
}
