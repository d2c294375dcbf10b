package io.ctrstream.streams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.serving.BatchScorer;
import io.ctrstream.schemas.DeadLetter;
import io.ctrstream.schemas.FailureKind;
import io.ctrstream.schemas.Score;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.streams.model.SwappableModelProvider;
import io.ctrstream.streams.state.PendingImpression;
import io.ctrstream.streams.state.CompositeKey;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves on the real topology (TopologyTestDriver) that a poison record is dead-lettered, bounded,
 * with a reason, and never stops the records after it: a huge key, a key that is not UTF-8, JSON
 * with a byte order mark or in UTF-16, an event time out of range (Long.MAX_VALUE included), a
 * duplicate impression id, a NaN score or a model failing on one row (the model is then marked
 * unhealthy), a bad movie, a missing key; and that the pending-join expiry cannot overflow.
 */
class PoisonPillTopologyTest {
  @TempDir Path stateDir;

  /** The fake model, but NaN for movie "nan" and an exception for any batch holding movie "boom". */
  static final class PoisonScorer implements BatchScorer {
    @Override
    public float[] score(List<FeatureRow> rows) {
      float[] out = new float[rows.size()];
      for (int i = 0; i < out.length; i++) {
        String movie = rows.get(i).movieId();
        if (movie.equals("boom")) {
          throw new IllegalArgumentException("cannot score movie boom");
        }
        out[i] = movie.equals("nan") ? Float.NaN : FakeScorer.expected(rows.get(i));
      }
      return out;
    }

    @Override
    public String modelVersion() {
      return "poison-v1";
    }

    @Override
    public void close() {}
  }

  private static SwappableModelProvider poisonModel() {
    SwappableModelProvider p = new SwappableModelProvider(0.3);
    p.release("poison-v1", PoisonScorer::new);
    return p;
  }

  private Harness harness(Map<String, String> overrides, RecordingErrorSink sink) {
    return new Harness(Harness.config(stateDir, overrides), poisonModel(), sink);
  }

  private static String impressionJson(String id, String user, String movie, long ts) {
    return "{\"impressionId\":\"" + id + "\",\"userId\":\"" + user + "\",\"movieId\":\"" + movie
        + "\",\"timestamp\":" + ts + "}";
  }

  @Test
  void hugeKeyIsDeadLetteredBoundedAndTheNextImpressionIsScored() {
    try (Harness h = harness(Map.of("batch.size", "1"), new RecordingErrorSink())) {
      String key = "u".repeat(600_000);
      h.impressions.pipeInput(key, impressionJson("big", key, "1", 10), 10);
      h.impression("ok", "42", "1", 11);

      List<DeadLetter> letters = h.deadLetters.readKeyValuesToList().stream().map(kv -> {
        assertThat(kv.key.getBytes(StandardCharsets.UTF_8).length).as("dead letter key").isLessThanOrEqualTo(2048);
        return kv.value;
      }).toList();
      assertThat(letters).hasSize(1);
      DeadLetter d = letters.get(0);
      assertThat(d.kind()).isEqualTo(FailureKind.INVALID_KEY);
      assertThat(d.reason()).contains("600000 bytes, more than max.key.bytes 1024");
      assertThat(d.keyTruncated()).isTrue();
      assertThat(d.keyLength()).isEqualTo(600_000L);
      assertThat(d.keySha256()).isEqualTo(DeadLetter.sha256(key.getBytes(StandardCharsets.UTF_8)));
      assertThat(d.rawPayloadTruncated()).isTrue();
      assertThat(d.rawPayloadLength()).isGreaterThan(600_000L);
      assertThat(d.key().length() + d.rawPayload().length()).isLessThanOrEqualTo(2 * 2048);
      assertThat(h.scores.readValuesToList()).extracting(Score::impressionId).containsExactly("ok");
    }
  }

  @Test
  void eventTimesOutOfRangeAreDeadLetteredAndLongMaxValueNeverReachesTheJoin() {
    Map<String, String> rules = Map.of("batch.size", "1", "event.time.earliest.ms",
        Long.toString(ScorerConfig.EARLIEST_DEFAULT_MS), "event.time.max.future.ms", "86400000");
    try (Harness h = harness(rules, new RecordingErrorSink())) {
      long now = Harness.START.toEpochMilli();
      h.impression("max", "42", "1", Long.MAX_VALUE);
      h.impression("future", "42", "1", now + 86_400_001L);
      h.impression("old", "42", "1", ScorerConfig.EARLIEST_DEFAULT_MS - 1);
      h.rating("42", "1", 5, 1_000);
      h.impression("ok", "42", "2", now + 86_400_000L);

      List<DeadLetter> letters = h.deadLetters.readValuesToList();
      assertThat(letters).extracting(DeadLetter::kind).containsOnly(FailureKind.TIMESTAMP_OUT_OF_RANGE).hasSize(4);
      assertThat(letters.get(0).reason()).contains("ahead of the wall clock");
      assertThat(letters.get(2).reason()).contains("before event.time.earliest.ms");
      assertThat(letters.get(3).sourceTopic()).isEqualTo(h.config.topics().ratings().name());
      assertThat(h.scores.readValuesToList()).extracting(Score::impressionId).containsExactly("ok");
      assertThat(h.pendingStore().get(CompositeKey.of("42", "1"))).isNull();
    }
  }

  @Test
  void pendingExpiryOfAnImpressionAtTheEndOfTimeSaturatesInsteadOfOverflowing() {
    Map<String, String> anyTime = Map.of("batch.size", "1",
        "event.time.max.future.ms", Long.toString(Long.MAX_VALUE));
    try (Harness h = harness(anyTime, new RecordingErrorSink())) {
      h.impression("late", "42", "1", Long.MAX_VALUE - 5);
      assertThat(h.scores.readValuesToList()).hasSize(1);
      PendingImpression p = h.pendingStore().get(CompositeKey.of("42", "1"));
      assertThat(p.expiresAt()).isEqualTo(Long.MAX_VALUE);
      assertThat(p.joins(Long.MAX_VALUE)).isTrue();
    }
    assertThat(UserEventProcessor.saturatedAdd(Long.MAX_VALUE - 5, 10)).isEqualTo(Long.MAX_VALUE);
    assertThat(UserEventProcessor.saturatedAdd(5, 10)).isEqualTo(15);
  }

  @Test
  void aDuplicateImpressionIdIsScoredOnceAndDeadLettered() {
    try (Harness h = harness(Map.of(), new RecordingErrorSink())) {
      h.impression("i1", "42", "1", 1_000);
      h.impression("i1", "42", "1", 1_000); // still in the buffer
      h.driver.advanceWallClockTime(Duration.ofMillis(100));
      h.impression("i1", "42", "1", 1_000); // scored, pending
      h.impression("i2", "42", "1", 1_001); // another impression of the same pair
      h.driver.advanceWallClockTime(Duration.ofMillis(100));

      assertThat(h.scores.readValuesToList()).extracting(Score::impressionId).containsExactly("i1", "i2");
      List<DeadLetter> letters = h.deadLetters.readValuesToList();
      assertThat(letters).extracting(DeadLetter::kind).containsExactly(FailureKind.DUPLICATE, FailureKind.DUPLICATE);
      assertThat(letters.get(0).reason()).contains("\"i1\"").contains("scored once");
      assertThat(letters.get(1).offset()).isEqualTo(2L);
    }
  }

  @Test
  void nanScoreAndAFailingRowAreDeadLetteredNeverPublishedAndTheModelMarkedUnhealthy() {
    try (Harness h = harness(Map.of(), new RecordingErrorSink())) {
      h.movie("1", "Comedy");
      h.impression("good", "42", "1", 1_000);
      h.impression("bad", "42", "nan", 1_001);
      h.impression("worse", "43", "boom", 1_002); // a full batch of 3: the call fails, rows go one by one
      h.impression("after", "42", "1", 1_003);
      h.driver.advanceWallClockTime(Duration.ofMillis(100));

      List<Score> scores = h.scores.readValuesToList();
      assertThat(scores).extracting(Score::impressionId).containsExactly("good", "after");
      assertThat(scores).allSatisfy(s -> assertThat(s.score()).isBetween(0.0, 1.0));
      List<DeadLetter> letters = h.deadLetters.readValuesToList();
      assertThat(letters).extracting(DeadLetter::kind).containsOnly(FailureKind.MODEL_FAILURE).hasSize(2);
      assertThat(letters.get(0).reason()).contains("non-finite score NaN");
      assertThat(letters.get(0).sourceTopic()).isEqualTo(h.config.topics().impressions().name());
      assertThat(letters.get(0).offset()).isEqualTo(1L);
      assertThat(letters.get(0).rawPayload()).contains("\"impressionId\":\"bad\"");
      assertThat(letters.get(1).reason()).contains("cannot score movie boom");
      assertThat(letters.get(1).key()).isEqualTo("43");
      assertThat(h.metrics.unhealthyModel("poison-v1")).isPresent();
      assertThat(h.metrics.unhealthyModel("poison-v2")).as("a new version is not blamed").isEmpty();
    }
  }

  @Test
  void malformedUtf8KeyBomAndUtf16AreDeadLetteredAndTheNextImpressionIsScored() {
    RecordingErrorSink sink = new RecordingErrorSink();
    try (Harness h = harness(Map.of("batch.size", "1"), sink)) {
      TestInputTopic<byte[], byte[]> raw = h.driver.createInputTopic(h.config.topics().impressions().name(),
          Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer(), Harness.START, Duration.ZERO);
      String json = impressionJson("i", "42", "1", 10);
      raw.pipeInput(new byte[] {'4', (byte) 0xc3, 0x28}, json.getBytes(StandardCharsets.UTF_8));
      h.rawImpressions.pipeInput("42", ("\uFEFF" + json).getBytes(StandardCharsets.UTF_8));
      h.rawImpressions.pipeInput("42", json.getBytes(StandardCharsets.UTF_16));
      h.impression("ok", "42", "1", 11);

      assertThat(sink.letters).hasSize(1);
      DeadLetter key = sink.letters.get(0);
      assertThat(key.kind()).isEqualTo(FailureKind.INVALID_KEY);
      assertThat(key.keyEncoding()).isEqualTo(DeadLetter.PayloadEncoding.BASE64);
      assertThat(key.keyBytes()).containsExactly('4', (byte) 0xc3, 0x28);
      assertThat(key.offset()).isZero();
      assertThat(h.deadLetters.readValuesToList()).extracting(DeadLetter::reason)
          .anySatisfy(r -> assertThat(r).contains("byte order mark"))
          .anySatisfy(r -> assertThat(r).contains("UTF-16"));
      assertThat(h.scores.readValuesToList()).extracting(Score::impressionId).containsExactly("ok");
    }
  }

  @Test
  void aBadMovieIsDeadLetteredThroughTheErrorSink() {
    RecordingErrorSink sink = new RecordingErrorSink();
    try (Harness h = harness(Map.of(), sink)) {
      h.movies.pipeInput("7", "{\"movieId\":\"8\",\"title\":\"t\",\"genres\":[]}");
      h.movies.pipeInput("9", "not json");
      h.movie("10", "Drama");

      assertThat(sink.letters).extracting(DeadLetter::kind)
          .containsExactly(FailureKind.KEY_MISMATCH, FailureKind.NOT_JSON);
      assertThat(sink.letters.get(0).sourceTopic()).isEqualTo(h.config.topics().movies().name());
      assertThat(sink.letters.get(1).offset()).isEqualTo(1L);
      assertThat(sink.letters.get(1).rawPayload()).isEqualTo("not json");
    }
  }

  @Test
  void aMissingKeyIsAnInvalidKeyOnEveryInputTopic() {
    RecordingErrorSink sink = new RecordingErrorSink();
    try (Harness h = harness(Map.of("batch.size", "1"), sink)) {
      h.impressions.pipeInput((String) null, impressionJson("i", "42", "1", 10));
      h.ratings.pipeInput((String) null, "{\"userId\":\"42\",\"movieId\":\"1\",\"rating\":4,\"timestamp\":10}");
      h.users.pipeInput((String) null, (String) null);
      h.movies.pipeInput((String) null, "{\"movieId\":\"1\",\"title\":\"t\",\"genres\":[]}");
      h.impression("ok", "42", "1", 11);

      List<DeadLetter> letters = h.deadLetters.readValuesToList();
      assertThat(letters).extracting(DeadLetter::kind).containsOnly(FailureKind.INVALID_KEY).hasSize(3);
      assertThat(letters).allSatisfy(d -> {
        assertThat(d.reason()).startsWith("key is missing (null)");
        assertThat(d.key()).isNull();
      });
      assertThat(sink.letters).extracting(DeadLetter::kind).containsExactly(FailureKind.INVALID_KEY);
      assertThat(sink.letters.get(0).sourceTopic()).isEqualTo(h.config.topics().movies().name());
      assertThat(h.scores.readValuesToList()).extracting(Score::impressionId).containsExactly("ok");
    }
  }

  @Test
  void aKeyOnAnotherPartitionThanMurmur2GivesIsCountedButUsed() {
    try (Harness h = harness(Map.of("batch.size", "1"), new RecordingErrorSink())) {
      // The test driver reads every topic from partition 0; find keys murmur2 puts elsewhere and there.
      String elsewhere = null;
      String here = null;
      for (int i = 0; elsewhere == null || here == null; i++) {
        String k = "u" + i;
        int p = org.apache.kafka.common.utils.Utils.toPositive(
            org.apache.kafka.common.utils.Utils.murmur2(k.getBytes(StandardCharsets.UTF_8)))
            % h.config.topics().impressions().partitions();
        if (p == 0 && here == null) {
          here = k;
        } else if (p != 0 && elsewhere == null) {
          elsewhere = k;
        }
      }
      h.impression("a", here, "1", 10);
      assertThat(h.metrics.wrongPartitions()).isEmpty();
      h.impression("b", elsewhere, "1", 11);
      assertThat(h.scores.readValuesToList()).extracting(Score::impressionId).containsExactly("a", "b");
      assertThat(h.metrics.wrongPartitions()).containsKey(h.config.topics().impressions().name());
      assertThat(h.metrics.wrongPartitions().get(h.config.topics().impressions().name()).count()).isEqualTo(1);
    }
  }
}
