package io.ctrstream.streams.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Score;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.SwappableModelProvider;
import io.ctrstream.streams.topology.ScorerTopology;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Queue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Proves exactly-once scoring across a crash: a scorer instance dies in the middle of a batch
 * (its model throws; the client shuts down without a clean commit, so its open transaction is
 * aborted), after some commits and with impressions still arriving; a second instance with the
 * same application id but an empty state directory restores the stores (the micro-batch buffer
 * included) from their changelogs and continues. In the committed output (read_committed) every
 * impression id appears exactly once: no gap, no duplicate. How many scores the aborted
 * transaction held (read_uncommitted sees them, read_committed must not) is logged.
 */
@ExtendWith(SharedBroker.class)
class CrashRecoveryIntegrationTest {
  private static final Logger LOG = LoggerFactory.getLogger(CrashRecoveryIntegrationTest.class);
  private static final int USERS = 100;
  private static final int FIRST = 1_500;
  private static final int SECOND = 1_500;

  @TempDir Path first;
  @TempDir Path second;

  @Test
  void everyImpressionIsScoredOnceAcrossACrashAndARestore(EmbeddedKafka kafka) throws Exception {
    Queue<RecordingScorer.Batch> batches = RecordingScorer.newLog();
    AtomicBoolean crash = new AtomicBoolean();
    try (ScoringFlow flow = new ScoringFlow(kafka, "crash")) {
      ScoringFlow.Reader<Score> committed = flow.reader(flow.topics.scores(), true);
      long t0 = 1_767_225_600_000L;

      SwappableModelProvider crashing = new SwappableModelProvider(0.3);
      crashing.release("v1", () -> new RecordingScorer("v1", 0.5f, batches, crash::get));
      KafkaStreams doomed = streams(flow.config("app", first, COMMIT_EVERY_200_MS), crashing);
      doomed.setUncaughtExceptionHandler(e -> StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
      doomed.start();
      ScoringFlow.awaitRunning(doomed);
      send(flow, 0, FIRST, t0);
      await().atMost(ScoringFlow.WAIT).pollInSameThread()
          .until(() -> committed.values().size() >= FIRST / 5);
      crash.set(true); // the next batch of the first instance fails mid-transaction
      send(flow, FIRST, FIRST + SECOND, t0);
      await().atMost(ScoringFlow.WAIT)
          .until(() -> doomed.state() == KafkaStreams.State.ERROR);
      doomed.close(Duration.ofSeconds(30));
      int committedBeforeRestart = committed.values().size();
      assertThat(committedBeforeRestart).as("the crash came mid-stream")
          .isLessThan(FIRST + SECOND);

      SwappableModelProvider healthy = new SwappableModelProvider(0.3);
      healthy.release("v1", () -> new RecordingScorer("v1", 0.5f, batches, () -> false));
      try (KafkaStreams restarted = streams(flow.config("app", second, COMMIT_EVERY_200_MS), healthy)) {
        restarted.start();
        await().atMost(ScoringFlow.WAIT).pollInSameThread()
            .until(() -> committed.values().size() >= FIRST + SECOND);
        restarted.close(Duration.ofSeconds(30));
      }
      List<ConsumerRecord<String, Score>> all = committed.readToEnd(Duration.ofSeconds(30));

      Map<String, Long> perImpression = all.stream()
          .collect(Collectors.groupingBy(r -> r.value().impressionId(), Collectors.counting()));
      List<String> expected = IntStream.range(0, FIRST + SECOND).mapToObj(k -> "i" + k).toList();
      assertThat(perImpression.keySet()).as("no gaps").containsExactlyInAnyOrderElementsOf(expected);
      assertThat(perImpression.values()).as("no duplicates").containsOnly(1L);

      long scoredByModel = batches.stream().mapToLong(b -> b.movieIds().size()).sum();
      long inLog = flow.reader(flow.topics.scores(), false).readToEnd(Duration.ofSeconds(30)).size();
      assertThat(scoredByModel).as("rows the models scored, redone ones included")
          .isGreaterThanOrEqualTo(all.size());
      LOG.info("crash test: {} committed before the crash, {} committed in all, {} score records in"
          + " the log (aborted included), {} rows scored", committedBeforeRestart, all.size(), inLog,
          scoredByModel);
    }
  }

  private static void send(ScoringFlow flow, int from, int to, long t0) {
    for (int k = from; k < to; k++) {
      flow.impression("i" + k, "u" + (k % USERS), "m" + (k % 50), t0 + k);
    }
    flow.flush();
  }

  /**
   * A Streams member does not leave its group on close, so the dead instance's partitions move
   * only when its session times out: 6 s (the broker's minimum) instead of 45 s keeps the test
   * short.
   */
  private static final Map<String, String> COMMIT_EVERY_200_MS = Map.of("commit.interval.ms", "200",
      "session.timeout.ms", "6000");

  /** The scorer's topology on a plain client. */
  private static KafkaStreams streams(ScorerConfig config, SwappableModelProvider models) {
    return new KafkaStreams(ScorerTopology.build(config, models, ScorerMetrics.inMemory()),
        config.toStreamsProperties());
  }
}
