package io.ctrstream.streams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstream.schemas.DeadLetter;
import io.ctrstream.schemas.FailureKind;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.UserProfile;
import io.ctrstream.streams.metrics.ScorerMetrics;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.processor.api.MockProcessorContext.CapturedForward;
import org.apache.kafka.streams.processor.api.Record;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Proves one decoder in isolation (MockProcessorContext): a good value goes to the user-events
 * node as an event, a tombstone on a compacted topic becomes a deletion, and a bad value goes to
 * the dead-letter sink with the source coordinates.
 */
class InputDecoderTest {
  private final ScorerMetrics metrics = ScorerMetrics.inMemory();
  private MockProcessorContext<String, Object> context;
  private InputDecoder<UserProfile> decoder;

  @BeforeEach
  void setUp() {
    context = new MockProcessorContext<>();
    context.setRecordMetadata("users", 3, 77);
    context.setCurrentSystemTimeMs(1_234);
    decoder = new InputDecoder<>(JsonSerde.of(UserProfile.class), UserProfile::userId,
        p -> new UserEvent.ProfileChanged(p.userId(), p), id -> new UserEvent.ProfileChanged(id, null),
        metrics, 1024);
    decoder.init(context);
  }

  private List<CapturedForward<? extends String, ?>> send(String key, String json) {
    decoder.process(new Record<>(key, json == null ? null : json.getBytes(StandardCharsets.UTF_8), 5L));
    return context.forwarded();
  }

  @Test
  void goodValueBecomesAnEventForTheUserNode() {
    var out = send("7", "{\"userId\":\"7\",\"age\":30}");
    assertThat(out).hasSize(1);
    assertThat(out.get(0).childName()).hasValue(Nodes.USER_EVENTS);
    UserEvent.ProfileChanged e = (UserEvent.ProfileChanged) out.get(0).record().value();
    assertThat(e.profile().age()).isEqualTo(30);
    assertThat(out.get(0).record().timestamp()).isEqualTo(5L);
  }

  @Test
  void tombstoneOnTheCompactedTopicIsADeletion() {
    var out = send("7", null);
    assertThat(out.get(0).childName()).hasValue(Nodes.USER_EVENTS);
    assertThat(out.get(0).record().value()).isEqualTo(new UserEvent.ProfileChanged("7", null));
  }

  @Test
  void badValueIsDeadLetteredWithItsCoordinates() {
    var out = send("7", "{\"userId\":\"7\",\"age\":200}");
    assertThat(out.get(0).childName()).hasValue(Nodes.DEAD_LETTERS_SINK);
    DeadLetter d = (DeadLetter) out.get(0).record().value();
    assertThat(d.sourceTopic()).isEqualTo("users");
    assertThat(d.partition()).isEqualTo(3);
    assertThat(d.offset()).isEqualTo(77L);
    assertThat(d.failedAt()).isEqualTo(1_234L);
    assertThat(d.kind()).isEqualTo(FailureKind.INVALID_FIELDS);
    assertThat(d.reason()).contains("profile.age must be in [0, 150], got 200");
    assertThat(d.validate()).isEmpty();
    assertThat(metrics.deadLetters(FailureKind.INVALID_FIELDS)).isEqualTo(1.0);
  }
}
