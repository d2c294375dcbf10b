package io.ctrstream.streams.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.DeadLetter;
import io.ctrstream.schemas.Feedback;
import io.ctrstream.schemas.Score;
import io.ctrstream.schemas.UserProfile;
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
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves click attribution under exactly-once across a crash, through the embedded broker: a
 * scorer with {@code feedback.clicks} on scores impressions and attributes the clicks of every
 * third one, dies in the middle of a batch while clicks are being attributed (its open transaction
 * aborted), and a second instance
 * with an empty state directory restores the attribution stores from their changelogs and goes
 * on. Once stream time passes every window (a profile far ahead on every partition), the committed
 * feedback holds exactly one example per impression: click for the clicked ones, non_click for the
 * others, none twice, none lost, and no click was dead-lettered.
 */
@ExtendWith(SharedBroker.class)
class ClickAttributionIntegrationTest {
  private static final int USERS = 60;
  private static final int FIRST = 300;
  private static final int SECOND = 300;
  private static final long WINDOW = 3_600_000;

  @TempDir Path first;
  @TempDir Path second;

  @Test
  void everyImpressionGivesExactlyOneClickOrNonClickAcrossACrash(EmbeddedKafka kafka) throws Exception {
    Queue<RecordingScorer.Batch> batches = RecordingScorer.newLog();
    AtomicBoolean crash = new AtomicBoolean();
    // Event times a day back, so that the sweep two windows after the last impression is not in the future.
    long t0 = System.currentTimeMillis() - Duration.ofDays(1).toMillis();
    try (ScoringFlow flow = new ScoringFlow(kafka, "clicks")) {
      ScoringFlow.Reader<Score> scores = flow.reader(flow.topics.scores(), true);
      ScoringFlow.Reader<Feedback> feedback = flow.reader(flow.topics.feedback(), true);
      ScoringFlow.Reader<DeadLetter> deadLetters = flow.reader(flow.topics.deadLetters(), true);

      SwappableModelProvider crashing = new SwappableModelProvider(0.3);
      crashing.release("v1", () -> new RecordingScorer("v1", 0.5f, batches, crash::get));
      KafkaStreams doomed = streams(flow.config("app", first, SETTINGS), crashing);
      doomed.setUncaughtExceptionHandler(e -> StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
      doomed.start();
      ScoringFlow.awaitRunning(doomed);
      // Clicks are sent once their impressions' scores are committed, as a user clicks what was
      // shown: a click read before its impression (another partition of the task) would be unknown.
      impressions(flow, 0, FIRST, t0);
      await().atMost(ScoringFlow.WAIT).pollInSameThread()
          .until(() -> scores.values().size() >= FIRST);
      crash.set(true); // the next batch fails mid-transaction, with clicks of the first part in it
      for (int k = FIRST; k < FIRST + SECOND; k++) {
        click(flow, k - FIRST, t0);
        impressions(flow, k, k + 1, t0);
      }
      flow.flush();
      await().atMost(ScoringFlow.WAIT).until(() -> doomed.state() == KafkaStreams.State.ERROR);
      doomed.close(Duration.ofSeconds(30));

      SwappableModelProvider healthy = new SwappableModelProvider(0.3);
      healthy.release("v1", () -> new RecordingScorer("v1", 0.5f, batches, () -> false));
      try (KafkaStreams restarted = streams(flow.config("app", second, SETTINGS), healthy)) {
        restarted.start();
        await().atMost(ScoringFlow.WAIT).pollInSameThread()
            .until(() -> scores.values().size() >= FIRST + SECOND);
        for (int k = FIRST; k < FIRST + SECOND; k++) {
          click(flow, k, t0);
        }
        flow.flush();
        long clicks = IntStream.range(0, FIRST + SECOND).filter(k -> k % 3 == 0).count();
        await().atMost(ScoringFlow.WAIT).pollInSameThread()
            .until(() -> feedback.values().size() >= clicks);
        // Stream time past every window, on every partition: the non-clicks go out.
        long sweep = t0 + (FIRST + SECOND) * 1_000L + 2 * WINDOW;
        for (int u = 0; u < USERS; u++) {
          String user = "u" + u;
          flow.send(flow.topics.users(), user, new UserProfile(user, "F", 30, "writer", "12345"), sweep);
        }
        flow.flush();
        await().atMost(ScoringFlow.WAIT).pollInSameThread()
            .until(() -> feedback.values().size() >= FIRST + SECOND);
        restarted.close(Duration.ofSeconds(30));
      }

      List<ConsumerRecord<String, Feedback>> all = feedback.readToEnd(Duration.ofSeconds(30));
      Map<String, List<Feedback.Source>> perImpression = all.stream().collect(Collectors.groupingBy(
          r -> r.value().impressionId(), Collectors.mapping(r -> r.value().source(), Collectors.toList())));
      List<String> expected = IntStream.range(0, FIRST + SECOND).mapToObj(k -> "i" + k).toList();
      assertThat(perImpression.keySet()).as("no impression without its example")
          .containsExactlyInAnyOrderElementsOf(expected);
      assertThat(perImpression.values()).as("one example per impression").allMatch(l -> l.size() == 1);
      Set<String> clicked = perImpression.entrySet().stream()
          .filter(e -> e.getValue().get(0) == Feedback.Source.CLICK).map(Map.Entry::getKey)
          .collect(Collectors.toSet());
      assertThat(clicked).as("exactly the clicked impressions are clicks")
          .isEqualTo(IntStream.range(0, FIRST + SECOND).filter(k -> k % 3 == 0).mapToObj(k -> "i" + k)
              .collect(Collectors.toSet()));
      assertThat(all).allSatisfy(r -> {
        Feedback f = r.value();
        assertThat(f.label()).isEqualTo(f.source() == Feedback.Source.CLICK ? 1 : 0);
        assertThat(f.servedScore()).isEqualTo(0.5);
        assertThat(f.rating()).isNull();
      });
      assertThat(deadLetters.readToEnd(Duration.ofSeconds(30))).as("no click dead-lettered").isEmpty();
    }
  }

  /** Impressions k in [from, to): to user k % USERS at t0 + k s. */
  private static void impressions(ScoringFlow flow, int from, int to, long t0) {
    for (int k = from; k < to; k++) {
      flow.impression("i" + k, "u" + (k % USERS), "m" + (k % 50), t0 + k * 1_000L);
    }
    flow.flush();
  }

  /** The click of impression k, half a second after it, when k is a multiple of 3. */
  private static void click(ScoringFlow flow, int k, long t0) {
    if (k % 3 == 0) {
      flow.click("i" + k, "u" + (k % USERS), t0 + k * 1_000L + 500);
    }
  }

  /** As in {@link CrashRecoveryIntegrationTest}: a 6 s session so the dead member's partitions move soon. */
  private static final Map<String, String> SETTINGS = Map.of("commit.interval.ms", "200",
      "feedback.clicks", "true", "attribution.window.ms", Long.toString(WINDOW),
      "session.timeout.ms", "6000");

  private static KafkaStreams streams(ScorerConfig config, SwappableModelProvider models) {
    return new KafkaStreams(ScorerTopology.build(config, models, ScorerMetrics.inMemory()),
        config.toStreamsProperties());
  }
}
