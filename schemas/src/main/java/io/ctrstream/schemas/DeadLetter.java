package io.ctrstream.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Pattern;

/**
 * Value of the {@code dead-letters} topic, key the original record's key (schema {@code
 * schemas/dead-letters.schema.json}): an input record that could not be used, where it came
 * from, why, and its raw bytes (UTF-8 text when they are valid UTF-8, else base64).
 *
 * <p>What a dead letter carries is bounded: key and value are cut to a configured number of bytes
 * (on a character boundary when they are text), and their original length and SHA-256 are kept,
 * so a huge poison record cannot make a dead letter too large to write.
 *
 * @param failedAt wall-clock epoch ms when it was dead-lettered
 * @param keyEncoding how {@code key} encodes the key bytes; null means UTF-8
 * @param keyTruncated whether only the first bytes of the key were kept; null for a null key
 * @param keyLength the original key's length in bytes; null for a null key
 * @param keySha256 SHA-256 (hex) of the original key bytes; null for a null key
 * @param rawPayloadLength the original value's length in bytes; null for a null value
 * @param rawPayloadSha256 SHA-256 (hex) of the original value bytes; null for a null value
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
    Long failedAt,
    PayloadEncoding keyEncoding,
    Boolean keyTruncated,
    Long keyLength,
    String keySha256,
    Long rawPayloadLength,
    String rawPayloadSha256)
    implements WireValue {

  /** Longest reason kept; longer ones are cut (they are for humans). */
  public static final int MAX_REASON_LENGTH = 4096;

  private static final Pattern SHA256_HEX = Pattern.compile("^[0-9a-f]{64}$");

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
   * maxPayloadBytes} of its key (as UTF-8) and of its value.
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
    return ofRaw(sourceTopic, partition, offset, kind, reason,
        key == null ? null : key.getBytes(StandardCharsets.UTF_8), value, maxPayloadBytes, failedAt);
  }

  /**
   * A dead letter for the record at {@code sourceTopic/partition/offset} with its raw key and
   * value bytes, keeping at most {@code maxPayloadBytes} of each (UTF-8 text cut on a character
   * boundary), with the original lengths and SHA-256 of both.
   */
  public static DeadLetter ofRaw(
      String sourceTopic,
      int partition,
      long offset,
      FailureKind kind,
      String reason,
      byte[] key,
      byte[] value,
      int maxPayloadBytes,
      long failedAt) {
    if (maxPayloadBytes < 0) {
      throw new IllegalArgumentException("maxPayloadBytes must be >= 0, got " + maxPayloadBytes);
    }
    String why = reason == null || reason.isEmpty() ? kind.wireName() : reason;
    if (why.length() > MAX_REASON_LENGTH) {
      why = why.substring(0, MAX_REASON_LENGTH);
    }
    Kept k = Kept.of(key, maxPayloadBytes);
    Kept v = Kept.of(value, maxPayloadBytes);
    return new DeadLetter(sourceTopic, partition, offset, kind, why,
        k.text, v.text, v.text == null ? PayloadEncoding.UTF8 : v.encoding, v.truncated, failedAt,
        k.text == null ? null : k.encoding, k.text == null ? null : k.truncated, k.length, k.sha256,
        v.length, v.sha256);
  }

  /** The first bytes of an original, as text or base64, with the original's length and hash. */
  private record Kept(String text, PayloadEncoding encoding, boolean truncated, Long length, String sha256) {
    static Kept of(byte[] bytes, int max) {
      if (bytes == null) {
        return new Kept(null, PayloadEncoding.UTF8, false, null, null);
      }
      boolean truncated = bytes.length > max;
      int end = truncated ? max : bytes.length;
      String text = utf8OrNull(Arrays.copyOf(bytes, end));
      // A cut inside a multi-byte character: back off to its start (at most 3 bytes).
      for (int back = 1; text == null && truncated && back <= 3 && end - back >= 0; back++) {
        text = utf8OrNull(Arrays.copyOf(bytes, end - back));
      }
      if (text != null) {
        return new Kept(text, PayloadEncoding.UTF8, truncated, (long) bytes.length, DeadLetter.sha256(bytes));
      }
      return new Kept(Base64.getEncoder().encodeToString(Arrays.copyOf(bytes, end)), PayloadEncoding.BASE64,
          truncated, (long) bytes.length, DeadLetter.sha256(bytes));
    }
  }

  /** SHA-256 of {@code bytes} in lower-case hex. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java platform has SHA-256", e);
    }
  }

  /** The original key bytes (as kept: maybe truncated), or null for a null key. */
  public byte[] keyBytes() {
    if (key == null) {
      return null;
    }
    return keyEncoding == PayloadEncoding.BASE64
        ? Base64.getDecoder().decode(key)
        : key.getBytes(StandardCharsets.UTF_8);
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
        .optionalRange("keyLength", keyLength, 0, Long.MAX_VALUE)
        .optionalRange("rawPayloadLength", rawPayloadLength, 0, Long.MAX_VALUE)
        .rule(keySha256 == null || SHA256_HEX.matcher(keySha256).matches(),
            "keySha256 must be 64 lower-case hex digits")
        .rule(rawPayloadSha256 == null || SHA256_HEX.matcher(rawPayloadSha256).matches(),
            "rawPayloadSha256 must be 64 lower-case hex digits")
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
