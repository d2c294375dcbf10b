package io.ctrstream.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;

/**
 * Value of the {@code dead-letters} topic, key the original record's key (schema {@code
 * schemas/dead-letters.schema.json}): an input record that could not be used, where it came
 * from, why, and its raw bytes (UTF-8 text when they are valid UTF-8, else base64).
 *
 * @param failedAt wall-clock epoch ms when it was dead-lettered
 */
public record DeadLetter(
    String sourceTopic,
    Integer partition,
    Long offset,
    FailureKind kind,
    String reason,
    String key,
    String rawPayload,
    PayloadEncoding rawPayloadEncoding,
    Boolean rawPayloadTruncated,
    Long failedAt)
    implements WireValue {

  /** Longest reason kept; longer ones are cut (they are for humans). */
  public static final int MAX_REASON_LENGTH = 4096;

  /** How {@code rawPayload} encodes the original bytes. */
  public enum PayloadEncoding {
    UTF8("utf8"),
    BASE64("base64");

    private final String wireName;

    PayloadEncoding(String wireName) {
      this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
      return wireName;
    }

    @JsonCreator
    public static PayloadEncoding fromWire(String name) {
      for (PayloadEncoding e : values()) {
        if (e.wireName.equals(name)) {
          return e;
        }
      }
      throw new IllegalArgumentException("rawPayloadEncoding must be utf8 or base64, got " + name);
    }
  }

  /**
   * A dead letter for the record at {@code sourceTopic/partition/offset}, keeping at most {@code
   * maxPayloadBytes} of its value.
   */
  public static DeadLetter of(
      String sourceTopic,
      int partition,
      long offset,
      FailureKind kind,
      String reason,
      String key,
      byte[] value,
      int maxPayloadBytes,
      long failedAt) {
    String why = reason == null || reason.isEmpty() ? kind.wireName() : reason;
    if (why.length() > MAX_REASON_LENGTH) {
      why = why.substring(0, MAX_REASON_LENGTH);
    }
    if (value == null) {
      return new DeadLetter(sourceTopic, partition, offset, kind, why, key, null,
          PayloadEncoding.UTF8, false, failedAt);
    }
    boolean truncated = value.length > maxPayloadBytes;
    byte[] kept = truncated ? Arrays.copyOf(value, maxPayloadBytes) : value;
    String text = utf8OrNull(kept);
    return text != null
        ? new DeadLetter(sourceTopic, partition, offset, kind, why, key, text,
            PayloadEncoding.UTF8, truncated, failedAt)
        : new DeadLetter(sourceTopic, partition, offset, kind, why, key,
            Base64.getEncoder().encodeToString(kept), PayloadEncoding.BASE64, truncated, failedAt);
  }

  /** The original bytes (as kept: maybe truncated), or null for a null value. */
  public byte[] rawBytes() {
    if (rawPayload == null) {
      return null;
    }
    return rawPayloadEncoding == PayloadEncoding.BASE64
        ? Base64.getDecoder().decode(rawPayload)
        : rawPayload.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public List<String> validate() {
    return new Checks()
        .present("sourceTopic", sourceTopic)
        .rule(sourceTopic == null || (!sourceTopic.isEmpty() && sourceTopic.length() <= 249),
            "sourceTopic must be 1 to 249 characters")
        .range("partition", partition, 0, Integer.MAX_VALUE)
        .range("offset", offset, 0, Long.MAX_VALUE)
        .present("kind", kind)
        .present("reason", reason)
        .rule(reason == null || (!reason.isEmpty() && reason.length() <= MAX_REASON_LENGTH),
            "reason must be 1 to " + MAX_REASON_LENGTH + " characters")
        .present("rawPayloadEncoding", rawPayloadEncoding)
        .present("rawPayloadTruncated", rawPayloadTruncated)
        .epochMillis("failedAt", failedAt)
        .done();
  }

  private static String utf8OrNull(byte[] bytes) {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      return null;
    }
  }
}
