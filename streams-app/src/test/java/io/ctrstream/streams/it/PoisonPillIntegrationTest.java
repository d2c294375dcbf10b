package io.ctrstream.streams.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.serving.BatchScorer;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.DeadLetter;
import io.ctrstream.schemas.FailureKind;
import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.Score;
import io.ctrstream.streams.ScorerApp;
import io.ctrstream.streams.http.ScorerHealth;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.SwappableModelProvider;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves on a real broker, through {@link ScorerApp} with exactly_once_v2, that records which used
 * to kill the stream thread again and again no longer stop scoring: an impression with a ~600 KB
 * key (its dead letter repeated the key and payload, exceeded the producer's request size, the
 * thread died, was replaced, read it again ...) and an impression the model throws on. Each is
 * dead-lettered, bounded; the next valid impression is scored; no stream thread died; readiness
 * says the model is unhealthy and liveness stays up.
 */
@ExtendWith(SharedBroker.class)
class PoisonPillIntegrationTest {
  private static final long T0 = 1_767_225_600_000L; // 2026-01-01T00:00:00Z

  @TempDir Path stateDir;

  /** A constant model that throws on any batch holding movie "boom". */
  static final class ThrowingScorer implements BatchScorer {
    @Override
    public float[] score(List<FeatureRow> rows) {
      float[] out = new float[rows.size()];
      for (int i = 0; i < out.length; i++) {
        if (rows.get(i).movieId().equals("boom")) {
          throw new IllegalStateException("the model cannot take movie boom");
        }
        out[i] = 0.6f;
      }
      return out;
    }

    @Override
    public String modelVersion() {
      return "throwing-v1";
    }

    @Override
    public void close() {}
  }

  @Test
  void hugeKeyAndAModelExceptionAreDeadLetteredAndTheNextImpressionIsScored(EmbeddedKafka kafka) throws Exception {
    try (ScoringFlow flow = new ScoringFlow(kafka, "poison")) {
      flow.movie("m1", "Comedy");
      flow.flush();
      SwappableModelProvider models = new SwappableModelProvider(0.3);
      models.release("throwing-v1", ThrowingScorer::new);
      ScorerMetrics metrics = ScorerMetrics.inMemory();
      try (ScorerApp app = new ScorerApp(flow.config("app", stateDir, Map.of("batch.size", "1")), models, metrics)) {
        app.start();
        ScoringFlow.awaitRunning(app.streams());
        ScoringFlow.Reader<Score> scores = flow.reader(flow.topics.scores(), true);
        ScoringFlow.Reader<DeadLetter> letters = flow.reader(flow.topics.deadLetters(), true);

        flow.impression("first", "u1", "m1", T0);
        flow.flush();
        await().atMost(ScoringFlow.WAIT).pollInSameThread().until(() -> scores.values().size() == 1);

        String hugeKey = "k".repeat(600_000);
        flow.send(flow.topics.impressions(), hugeKey, new Impression("huge", "u1", "m1", T0 + 1), T0 + 1);
        flow.impression("boom", "u1", "boom", T0 + 2);
        flow.impression("next", "u1", "m1", T0 + 3);
        flow.flush();
        await().atMost(ScoringFlow.WAIT).pollInSameThread().until(() -> scores.values().size() == 2
            && letters.values().size() == 2);

        assertThat(scores.values()).extracting(Score::impressionId).containsExactly("first", "next");
        // The huge key and u1 may be on different partitions: find each letter by its kind.
        DeadLetter key = letters.values().stream().filter(d -> d.kind() == FailureKind.INVALID_KEY)
            .findFirst().orElseThrow();
        assertThat(key.keyLength()).isEqualTo(600_000L);
        assertThat(key.keySha256()).isEqualTo(DeadLetter.sha256(hugeKey.getBytes(StandardCharsets.UTF_8)));
        assertThat(key.key().length()).isLessThanOrEqualTo(16 * 1024);
        DeadLetter boom = letters.values().stream().filter(d -> d.kind() == FailureKind.MODEL_FAILURE)
            .findFirst().orElseThrow();
        assertThat(boom.reason()).contains("the model cannot take movie boom");
        assertThat(boom.rawPayload()).contains("\"impressionId\":\"boom\"");

        assertThat(metrics.streamThreadFailures()).as("no stream thread died").isZero();
        assertThat(app.streams().state()).isEqualTo(KafkaStreams.State.RUNNING);
        ScorerHealth.Report ready = app.health().ready();
        assertThat(ready.ok()).as("ready: the model failed on a record").isFalse();
        assertThat(ready.checks()).containsKey("model");
        assertThat(ready.checks().get("model").toString()).contains("throwing-v1");
        assertThat(app.health().live().ok()).isTrue();
      }
    }
  }
}
