package io.ctrstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Proves the serde's failure classes (what the scorer writes as a dead letter's kind), that it
 * never coerces types silently, and the dead-letter payload encoding.
 */
class JsonSerdeTest {
  private final JsonSerde<Rating> ratings = JsonSerde.of(Rating.class);

  private FailureKind kindOf(String json) {
    Decoded<Rating> d = ratings.decode(json == null ? null : json.getBytes(StandardCharsets.UTF_8));
    assertThat(d).isInstanceOf(Decoded.Failed.class);
    return ((Decoded.Failed<Rating>) d).kind();
  }

  @Test
  void classifiesEachKindOfBadInput() {
    assertThat(kindOf("{not json")).isEqualTo(FailureKind.NOT_JSON);
    assertThat(kindOf("")).isEqualTo(FailureKind.NOT_JSON);
    assertThat(kindOf(null)).isEqualTo(FailureKind.MISSING_VALUE);
    assertThat(kindOf("null")).isEqualTo(FailureKind.WRONG_TYPE);
    assertThat(kindOf("[1]")).isEqualTo(FailureKind.WRONG_TYPE);
    assertThat(kindOf("{\"userId\":42,\"movieId\":\"1\",\"rating\":4,\"timestamp\":1}"))
        .isEqualTo(FailureKind.WRONG_TYPE);
    assertThat(kindOf("{\"userId\":\"42\",\"movieId\":\"1\",\"rating\":\"4\",\"timestamp\":1}"))
        .isEqualTo(FailureKind.WRONG_TYPE);
    assertThat(kindOf("{\"userId\":\"42\",\"movieId\":\"1\",\"rating\":4,\"timestamp\":1,\"x\":1}"))
        .isEqualTo(FailureKind.WRONG_TYPE);
    assertThat(kindOf("{\"userId\":\"42\",\"movieId\":\"1\",\"rating\":9,\"timestamp\":1}"))
        .isEqualTo(FailureKind.INVALID_FIELDS);
    assertThat(kindOf("{\"userId\":\"42\",\"movieId\":\"1\",\"rating\":4}"))
        .isEqualTo(FailureKind.INVALID_FIELDS);
  }

  @Test
  void aSyntaxErrorInsideAFieldValueIsNotJsonAndANumberOutOfRangeIsTheWrongType() {
    String rest = "\"movieId\":\"1\",\"rating\":4,\"timestamp\":1}";
    for (String bad : List.of("{\"userId\":\"4\n2\"," + rest, "{\"userId\":\"4\u00002\"," + rest,
        "{\"userId\":\"4\\x2\"," + rest, "{\"userId\":\"42")) {
      Decoded<Rating> d = ratings.decode(bad.getBytes(StandardCharsets.UTF_8));
      assertThat(d).as(bad).isInstanceOfSatisfying(Decoded.Failed.class, f -> {
        assertThat(f.kind()).isEqualTo(FailureKind.NOT_JSON);
        assertThat(f.reason()).startsWith("not JSON: ");
      });
    }
    Decoded<Rating> range = ratings.decode(("{\"userId\":\"42\",\"movieId\":\"1\",\"rating\":4,"
        + "\"timestamp\":9223372036854775808}").getBytes(StandardCharsets.UTF_8));
    assertThat(range).isInstanceOfSatisfying(Decoded.Failed.class, f -> {
      assertThat(f.kind()).isEqualTo(FailureKind.WRONG_TYPE);
      assertThat(f.reason()).contains("timestamp").contains("out of range of long");
    });
  }

  @Test
  void reasonsNameTheFieldAndTheRule() {
    Decoded<Rating> d = ratings.decode(
        "{\"userId\":\"42\",\"movieId\":\"\",\"rating\":7.5,\"timestamp\":-1}".getBytes(StandardCharsets.UTF_8));
    String reason = ((Decoded.Failed<Rating>) d).reason();
    assertThat(reason).contains("movieId must not be empty")
        .contains("rating must be in [0.5, 5], got 7.5")
        .contains("timestamp must be epoch milliseconds >= 0, got -1");
  }

  @Test
  void kafkaDeserializerThrowsTheCatchableTypeAndPassesTombstones() {
    assertThat(ratings.deserializer().deserialize("ratings", null)).isNull();
    assertThatThrownBy(() -> ratings.deserializer().deserialize("ratings", "{}".getBytes(StandardCharsets.UTF_8)))
        .isInstanceOf(InvalidRecordException.class)
        .satisfies(e -> assertThat(((InvalidRecordException) e).kind()).isEqualTo(FailureKind.INVALID_FIELDS))
        .hasMessageContaining("userId is missing");
  }

  @Test
  void refusesToWriteAnInvalidValue() {
    Rating bad = new Rating("42", "1", 0.0, 5L);
    assertThatThrownBy(() -> ratings.serialize(bad))
        .isInstanceOf(InvalidRecordException.class)
        .hasMessageContaining("rating must be in [0.5, 5], got 0.0");
  }

  @Test
  void feedbackRejectsMisalignedNegativesAndWrongLabel() {
    Feedback f = new Feedback("42", "1", 0, null, 1L, Profile.UNKNOWN, List.of(), List.of("a", "b"),
        List.of("c"), 0.5, "v1", "imp-1", Feedback.Source.CLICK);
    assertThat(f.validate())
        .anyMatch(p -> p.startsWith("negatives must align with history"))
        .anyMatch(p -> p.startsWith("label must be 1 when source is click"));
  }

  @Test
  void feedbackLeavesTheRatingLabelToTheScorersThreshold() {
    // A scorer with rating.positive.threshold 3 labels a 3.5 positive; the contract accepts it.
    Feedback f = new Feedback("42", "1", 1, 3.5, 1L, Profile.UNKNOWN, List.of(), List.of(),
        List.of(), null, null, null, Feedback.Source.ORGANIC);
    assertThat(f.validate()).isEmpty();
    Feedback noRating = new Feedback("42", "1", 1, null, 1L, Profile.UNKNOWN, List.of(), List.of(),
        List.of(), null, null, null, Feedback.Source.ORGANIC);
    assertThat(noRating.validate()).anyMatch(p -> p.startsWith("rating is missing"));
  }

  @Test
  void deadLetterKeepsUtf8AsTextAndBinaryAsBase64AndTruncates() {
    byte[] text = "{\"oops\"".getBytes(StandardCharsets.UTF_8);
    DeadLetter a = DeadLetter.of("t", 1, 2, FailureKind.NOT_JSON, "r", "k", text, 100, 3);
    assertThat(a.rawPayload()).isEqualTo("{\"oops\"");
    assertThat(a.rawPayloadEncoding()).isEqualTo(DeadLetter.PayloadEncoding.UTF8);
    assertThat(a.rawBytes()).isEqualTo(text);

    byte[] binary = {(byte) 0xff, (byte) 0xfe, 0, 1, 2};
    DeadLetter b = DeadLetter.of("t", 1, 2, FailureKind.NOT_JSON, "r", null, binary, 100, 3);
    assertThat(b.rawPayloadEncoding()).isEqualTo(DeadLetter.PayloadEncoding.BASE64);
    assertThat(b.rawBytes()).isEqualTo(binary);
    assertThat(b.rawPayloadTruncated()).isFalse();

    DeadLetter c = DeadLetter.of("t", 1, 2, FailureKind.OVERSIZED, "r", "k", "abcdef".getBytes(StandardCharsets.UTF_8), 4, 3);
    assertThat(c.rawPayload()).isEqualTo("abcd");
    assertThat(c.rawPayloadTruncated()).isTrue();
    assertThat(c.validate()).isEmpty();
    JsonSerde<DeadLetter> serde = JsonSerde.of(DeadLetter.class);
    assertThat(serde.fromJson(serde.toJson(c))).isEqualTo(c);
  }

  @Test
  void deadLetterBoundsKeyAndValueAndKeepsTheirLengthAndSha256() {
    byte[] key = "k".repeat(600_000).getBytes(StandardCharsets.UTF_8);
    byte[] value = ("{\"movieId\":\"" + "\u00e9".repeat(10) + "\"}").getBytes(StandardCharsets.UTF_8);
    DeadLetter d = DeadLetter.ofRaw("impressions", 0, 5, FailureKind.INVALID_KEY, "too long", key, value, 15, 3);
    assertThat(d.key()).isEqualTo("k".repeat(15));
    assertThat(d.keyTruncated()).isTrue();
    assertThat(d.keyLength()).isEqualTo(600_000L);
    assertThat(d.keySha256()).isEqualTo(DeadLetter.sha256(key)).hasSize(64);
    // 15 bytes end inside the second two-byte character: the text is cut before it, and stays text.
    assertThat(d.rawPayloadEncoding()).isEqualTo(DeadLetter.PayloadEncoding.UTF8);
    assertThat(d.rawPayload()).isEqualTo("{\"movieId\":\"\u00e9");
    assertThat(d.rawPayloadTruncated()).isTrue();
    assertThat(d.rawPayloadLength()).isEqualTo((long) value.length);
    assertThat(d.rawPayloadSha256()).isEqualTo(DeadLetter.sha256(value));
    assertThat(d.validate()).isEmpty();
    JsonSerde<DeadLetter> serde = JsonSerde.of(DeadLetter.class);
    assertThat(serde.serialize(d).length).isLessThan(1024);
    assertThat(serde.fromJson(serde.toJson(d))).isEqualTo(d);

    DeadLetter binaryKey = DeadLetter.ofRaw("t", 0, 0, FailureKind.INVALID_KEY, "r", new byte[] {(byte) 0xc3, 0x28},
        null, 16, 3);
    assertThat(binaryKey.keyEncoding()).isEqualTo(DeadLetter.PayloadEncoding.BASE64);
    assertThat(binaryKey.keyBytes()).containsExactly((byte) 0xc3, 0x28);
    assertThat(binaryKey.rawPayload()).isNull();
    assertThat(binaryKey.rawPayloadLength()).isNull();
  }

  @Test
  void jsonWithAByteOrderMarkOrInUtf16IsAnEncodingError() {
    JsonSerde<Movie> serde = JsonSerde.of(Movie.class);
    String json = "{\"movieId\":\"1\",\"title\":\"t\",\"genres\":[]}";
    assertThat(serde.decode(json.getBytes(StandardCharsets.UTF_8))).isInstanceOf(Decoded.Ok.class);
    byte[] bom = ("\uFEFF" + json).getBytes(StandardCharsets.UTF_8);
    for (byte[] bad : List.of(bom, json.getBytes(StandardCharsets.UTF_16), json.getBytes(StandardCharsets.UTF_16LE),
        json.getBytes(StandardCharsets.UTF_16BE))) {
      assertThat(serde.decode(bad)).isInstanceOfSatisfying(Decoded.Failed.class, f -> {
        assertThat(f.kind()).isEqualTo(FailureKind.NOT_JSON);
        assertThat(f.reason()).startsWith("not JSON in UTF-8");
      });
    }
    byte[] malformed = json.replace("\"t\"", "\"\u00e9\"").getBytes(StandardCharsets.UTF_8);
    malformed[json.indexOf("\"t\"") + 2] = (byte) 0x28; // the second byte of é made invalid
    assertThat(serde.decode(malformed)).isInstanceOfSatisfying(Decoded.Failed.class,
        f -> assertThat(f.kind()).isEqualTo(FailureKind.NOT_JSON));
  }
}
