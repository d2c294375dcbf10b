package io.ctrstream.cli.chaos;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstream.cli.chaos.HostileCorpus.Entry;
import io.ctrstream.cli.chaos.HostileCorpus.Input;
import io.ctrstream.cli.chaos.HostileCorpus.Outcome;
import io.ctrstream.schemas.Decoded;
import io.ctrstream.schemas.FailureKind;
import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.Rating;
import io.ctrstream.schemas.UserProfile;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.EnumSet;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The bundled hostile corpus parses, holds at least 200 hostile records with every input topic
 * and the failure kinds of the input gate among them, and the expectations that depend only on
 * the value (not JSON, wrong type, invalid fields, missing value, and the valid ones) agree with
 * the schemas' own decoder. What needs the running scorer (keys, event time, duplicates, the
 * model) is checked end to end by {@code ChaosInputCommandTest}.
 */
class HostileCorpusTest {
  private static final long NOW = 1_767_225_600_000L;
  private static final Map<Input, JsonSerde<?>> SERDES = Map.of(
      Input.USERS, JsonSerde.of(UserProfile.class), Input.MOVIES, JsonSerde.of(Movie.class),
      Input.IMPRESSIONS, JsonSerde.of(Impression.class), Input.RATINGS, JsonSerde.of(Rating.class));
  private static final Set<FailureKind> DECODER_KINDS = EnumSet.of(FailureKind.NOT_JSON,
      FailureKind.WRONG_TYPE, FailureKind.INVALID_FIELDS);

  private final HostileCorpus corpus = HostileCorpus.bundled();

  @Test
  void holdsAtLeast200HostileRecordsOnEveryInputTopic() {
    assertThat(corpus.hostile()).hasSizeGreaterThanOrEqualTo(200);
    Map<Input, Long> perTopic = corpus.hostile().stream()
        .collect(Collectors.groupingBy(Entry::topic, Collectors.counting()));
    assertThat(perTopic.keySet()).containsExactlyInAnyOrder(Input.values());
    assertThat(perTopic.values()).allSatisfy(n -> assertThat(n).isGreaterThanOrEqualTo(25));
    Set<FailureKind> kinds = corpus.hostile().stream().map(e -> e.expect().kind())
        .collect(Collectors.toSet());
    assertThat(kinds).contains(FailureKind.NOT_JSON, FailureKind.WRONG_TYPE,
        FailureKind.INVALID_FIELDS, FailureKind.OVERSIZED, FailureKind.KEY_MISMATCH,
        FailureKind.MISSING_VALUE, FailureKind.INVALID_KEY, FailureKind.TIMESTAMP_OUT_OF_RANGE,
        FailureKind.DUPLICATE, FailureKind.MODEL_FAILURE);
    // valid records interleaved among the hostile: scored impressions and accepted others
    assertThat(corpus.entries()).extracting(e -> e.expect().outcome())
        .contains(Outcome.SCORED, Outcome.ACCEPTED, Outcome.REFUSED);
  }

  @Test
  void generatedKeysAndValuesHaveTheirSizes() {
    Entry hugeKey = entry("imp-key-600k");
    assertThat(hugeKey.key(NOW)).hasSize(600_000);
    assertThat(entry("imp-key-1025").key(NOW)).hasSize(1025);
    assertThat(entry("imp-value-oversized").value(NOW).length).isGreaterThan(65_536);
    assertThat(entry("imp-key-bad-utf8").key(NOW)).containsExactly('u', (byte) 0xc3, 0x28);
    assertThat(entry("imp-tombstone").value(NOW)).isNull();
    assertThat(entry("usr-key-null").key(NOW)).isNull();
    assertThat(new String(entry("imp-ts-tomorrow-plus").value(NOW), StandardCharsets.UTF_8))
        .contains("\"timestamp\":" + (NOW + 172_800_000L));
    assertThat(entry("imp-valid-wrong-partition").partition()).isEqualTo(Entry.WRONG_PARTITION);
  }

  @Test
  void valueLevelExpectationsAgreeWithTheSchemasDecoder() {
    int checked = 0;
    for (Entry e : corpus.entries()) {
      byte[] value = e.value(NOW);
      if (e.key(NOW) != null && e.key(NOW).length > 1024) {
        continue; // dead-lettered for its key before the value is read
      }
      Decoded<?> d = SERDES.get(e.topic()).decode(value);
      boolean tombstone = value == null && (e.topic() == Input.USERS || e.topic() == Input.MOVIES);
      if (e.hostile() && DECODER_KINDS.contains(e.expect().kind())) {
        assertThat(d).as(e.name()).isInstanceOfSatisfying(Decoded.Failed.class, f -> {
          assertThat(f.kind()).as(e.name() + ": " + f.reason()).isEqualTo(e.expect().kind());
          assertThat(f.reason()).as(e.name()).contains(e.expect().reason());
        });
        checked++;
      } else if (e.hostile() && e.expect().kind() == FailureKind.MISSING_VALUE) {
        assertThat(value).as(e.name()).isNull();
        checked++;
      } else if (!e.hostile() && e.expect().outcome() != Outcome.REFUSED && !tombstone) {
        assertThat(d).as(e.name()).isInstanceOf(Decoded.Ok.class);
        checked++;
      } else if (e.hostile() && Set.of(FailureKind.KEY_MISMATCH, FailureKind.DUPLICATE,
          FailureKind.MODEL_FAILURE, FailureKind.TIMESTAMP_OUT_OF_RANGE).contains(e.expect().kind())) {
        // the value itself is fine: what is wrong is its key, its time, or what the model makes of it
        assertThat(d).as(e.name()).isInstanceOf(Decoded.Ok.class);
        checked++;
      }
    }
    assertThat(checked).isGreaterThan(200);
  }

  @Test
  void malformedLinesAreRefusedWithTheirLineNumber() {
    String bad = "# comment\n{\"name\":\"a\",\"topic\":\"clicks\",\"key\":\"k\",\"value\":\"v\",\"expect\":\"accepted\"}\n";
    assertThatThrownBy(() -> HostileCorpus.parse(
        new ByteArrayInputStream(bad.getBytes(StandardCharsets.UTF_8)), "x.jsonl"))
        .hasMessageContaining("x.jsonl line 2").hasMessageContaining("topic must be");
    String twice = "{\"name\":\"a\",\"topic\":\"users\",\"key\":\"k\",\"value\":null,\"expect\":\"accepted\"}\n";
    assertThatThrownBy(() -> HostileCorpus.parse(new ByteArrayInputStream(
        (twice + twice).getBytes(StandardCharsets.UTF_8)), "y")).hasMessageContaining("used twice");
    assertThat(HostileCorpus.substitute("${now} ${now+5} ${now-5}", 100)).isEqualTo("100 105 95");
  }

  private Entry entry(String name) {
    return corpus.entries().stream().filter(e -> e.name().equals(name)).findFirst().orElseThrow();
  }
}
