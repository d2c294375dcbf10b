package io.ctrstream.streams.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Score;
import io.ctrstream.streams.ScorerApp;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.SwappableModelProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.Set;
import java.util.TreeSet;
import org.apache.kafka.common.utils.Utils;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves that one stream thread scores the impressions of all its tasks (one per partition) in
 * one model call: eight impressions of users on different partitions, with a batch of eight and a
 * wait far longer than the test, are scored by exactly one call of eight rows, and every task
 * emits its own scores once. Scored per task, no task would reach eight and nothing would be
 * scored.
 */
@ExtendWith(SharedBroker.class)
class ThreadBatchIntegrationTest {
  private static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z

  @TempDir Path stateDir;

  @Test
  void impressionsOfAllTasksOfAThreadAreScoredInOneCall(EmbeddedKafka kafka) throws Exception {
    try (ScoringFlow flow = new ScoringFlow(kafka, "thread-batch")) {
      int partitions = flow.topics.impressions().partitions();
      List<String> users = new ArrayList<>();
      Set<Integer> usedPartitions = new TreeSet<>();
      for (int u = 1; u <= 8; u++) {
        String user = "u" + u;
        users.add(user);
        usedPartitions.add(partitionOf(user, partitions));
        flow.movie("m" + u, "Drama");
      }
      assertThat(usedPartitions).as("the users must span several tasks").hasSizeGreaterThan(1);
      flow.flush();

      Queue<RecordingScorer.Batch> batches = RecordingScorer.newLog();
      SwappableModelProvider models = new SwappableModelProvider(0.3);
      models.release("A", () -> new RecordingScorer("A", 0.6f, batches, () -> false));
      Map<String, String> settings = Map.of("batch.size", "8", "batch.max.wait.ms", "600000",
          "stream.threads", "1");
      try (ScorerApp app = new ScorerApp(flow.config("app", stateDir, settings), models,
          ScorerMetrics.inMemory())) {
        app.start();
        ScoringFlow.awaitRunning(app.streams());
        ScoringFlow.Reader<Score> scores = flow.reader(flow.topics.scores(), true);

        for (int u = 1; u <= 8; u++) {
          flow.impression("i" + u, "u" + u, "m" + u, T0 + u);
        }
        flow.flush();
        await().atMost(ScoringFlow.WAIT).pollInSameThread().until(() -> scores.values().size() >= 8);
        // nothing else arrives: each impression was emitted once
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(10))
            .until(() -> scores.values().size() == 8);

        assertThat(batches).hasSize(1);
        RecordingScorer.Batch only = batches.peek();
        assertThat(only.version()).isEqualTo("A");
        assertThat(only.movieIds()).containsExactlyInAnyOrder(
            "m1", "m2", "m3", "m4", "m5", "m6", "m7", "m8");
        assertThat(scores.values()).extracting(Score::impressionId).containsExactlyInAnyOrder(
            "i1", "i2", "i3", "i4", "i5", "i6", "i7", "i8");
        assertThat(scores.values()).allSatisfy(s -> {
          assertThat(s.modelVersion()).isEqualTo("A");
          assertThat(s.score()).isEqualTo(0.6);
        });
      }
    }
  }

  /** The partition Kafka's default partitioner gives a string key. */
  private static int partitionOf(String key, int partitions) {
    return Utils.toPositive(Utils.murmur2(key.getBytes(StandardCharsets.UTF_8))) % partitions;
  }
}
