package io.ctrstream.schemas;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.core.exc.InputCoercionException;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.JavaType;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serializer;

/**
 * A Kafka {@link Serde} for one JSON value type, with the contract's strict {@link Json} mapper.
 *
 * <p>Reading: {@link #decode(byte[])} never throws and says why a value is unusable; the Kafka
 * {@link #deserializer()} throws {@link InvalidRecordException} for the same cases and maps a null
 * value (tombstone) to null. A {@link WireValue} is validated on read and on write, so nothing
 * that the other side would reject is ever produced.
 *
 * <p>Thread-safe; any type Jackson can bind works (the scorer's store values use it too).
 */
public final class JsonSerde<T> implements Serde<T> {
  private final Class<T> type;
  private final ObjectReader reader;
  private final ObjectWriter writer;

  private JsonSerde(Class<T> type, ObjectMapper mapper) {
    this.type = Objects.requireNonNull(type, "type");
    JavaType javaType = mapper.constructType(type);
    this.reader = mapper.readerFor(javaType);
    this.writer = mapper.writerFor(javaType);
  }

  /** A serde for {@code type} with the contract's mapper. */
  public static <T> JsonSerde<T> of(Class<T> type) {
    return new JsonSerde<>(type, Json.mapper());
  }

  public Class<T> type() {
    return type;
  }

  /** Decodes and validates one value; never throws. A null value is {@link FailureKind#MISSING_VALUE}. */
  public Decoded<T> decode(byte[] bytes) {
    if (bytes == null) {
      return Decoded.failed(FailureKind.MISSING_VALUE, "value is null");
    }
    if (isBlank(bytes)) {
      return Decoded.failed(FailureKind.NOT_JSON, "not JSON: empty value");
    }
    String encoding = notUtf8(bytes);
    if (encoding != null) {
      return Decoded.failed(FailureKind.NOT_JSON, "not JSON in UTF-8: " + encoding);
    }
    T value;
    try {
      value = reader.readValue(bytes);
    } catch (StreamReadException e) {
      return Decoded.failed(FailureKind.NOT_JSON, "not JSON: " + e.getOriginalMessage());
    } catch (UnrecognizedPropertyException e) {
      return Decoded.failed(FailureKind.WRONG_TYPE, "unknown field \"" + e.getPropertyName() + "\"");
    } catch (JsonMappingException e) {
      // A syntax error met while binding a field's value (a raw control character or a bad
      // escape inside a string, the input ending inside one) reaches here wrapped with the
      // field's path: it is still not JSON. A number out of its type's range is JSON, of the
      // wrong type.
      if (e.getCause() instanceof StreamReadException syntax && !(syntax instanceof InputCoercionException)) {
        return Decoded.failed(FailureKind.NOT_JSON, "not JSON: " + firstLine(syntax.getOriginalMessage()));
      }
      return Decoded.failed(FailureKind.WRONG_TYPE, describe(e));
    } catch (JacksonException e) {
      return Decoded.failed(FailureKind.WRONG_TYPE, describe(e));
    } catch (IOException | RuntimeException e) {
      return Decoded.failed(FailureKind.NOT_JSON, "unreadable: " + e);
    }
    if (value == null) {
      return Decoded.failed(FailureKind.WRONG_TYPE, "value is JSON null, expected an object");
    }
    if (value instanceof WireValue wire) {
      List<String> problems = wire.validate();
      if (!problems.isEmpty()) {
        return Decoded.failed(FailureKind.INVALID_FIELDS, String.join("; ", problems));
      }
    }
    return Decoded.ok(value);
  }

  /** Decodes and validates, or throws {@link InvalidRecordException}; a null value gives null. */
  public T deserialize(byte[] bytes) {
    if (bytes == null) {
      return null;
    }
    Decoded<T> decoded = decode(bytes);
    if (decoded instanceof Decoded.Failed<T> f) {
      throw new InvalidRecordException(f.kind(), List.of(f.reason()), null);
    }
    return ((Decoded.Ok<T>) decoded).value();
  }

  /** Validates (for a {@link WireValue}) and writes; null gives null (a tombstone). */
  public byte[] serialize(T value) {
    if (value == null) {
      return null;
    }
    if (value instanceof WireValue wire) {
      List<String> problems = wire.validate();
      if (!problems.isEmpty()) {
        throw new InvalidRecordException(FailureKind.INVALID_FIELDS, problems, null);
      }
    }
    try {
      return writer.writeValueAsBytes(value);
    } catch (JacksonException e) {
      throw new SerializationException("cannot write " + type.getSimpleName() + " as JSON", e);
    }
  }

  /** {@link #deserialize(byte[])} for text. */
  public T fromJson(String json) {
    return deserialize(json == null ? null : json.getBytes(StandardCharsets.UTF_8));
  }

  /** {@link #serialize(Object)} as text. */
  public String toJson(T value) {
    byte[] bytes = serialize(value);
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
  }

  @Override
  public Serializer<T> serializer() {
    return (topic, value) -> serialize(value);
  }

  @Override
  public Deserializer<T> deserializer() {
    return (topic, bytes) -> deserialize(bytes);
  }

  @Override
  public String toString() {
    return "JsonSerde<" + type.getSimpleName() + ">";
  }

  /**
   * Why the value is not plain UTF-8 JSON, or null. Jackson would detect a byte order mark and
   * UTF-16/32 and read them; the contract is UTF-8 without a BOM (RFC 8259), so they are refused
   * rather than accepted by one reader and rejected by the next.
   */
  private static String notUtf8(byte[] b) {
    if (b.length >= 3 && (b[0] & 0xff) == 0xef && (b[1] & 0xff) == 0xbb && (b[2] & 0xff) == 0xbf) {
      return "starts with a UTF-8 byte order mark";
    }
    if (b.length >= 2 && ((b[0] & 0xff) == 0xfe && (b[1] & 0xff) == 0xff
        || (b[0] & 0xff) == 0xff && (b[1] & 0xff) == 0xfe)) {
      return "starts with a UTF-16 byte order mark";
    }
    for (int i = 0; i < Math.min(4, b.length); i++) {
      if (b[i] == 0) {
        return "a zero byte among the first four (UTF-16 or UTF-32)";
      }
    }
    try {
      StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b));
    } catch (CharacterCodingException e) {
      return "malformed UTF-8 (" + e.getMessage() + ")";
    }
    return null;
  }

  private static boolean isBlank(byte[] bytes) {
    for (byte b : bytes) {
      if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
        return false;
      }
    }
    return true;
  }

  private static String firstLine(String message) {
    int newline = message == null ? -1 : message.indexOf('\n');
    return newline > 0 ? message.substring(0, newline) : String.valueOf(message);
  }

  private static String describe(JacksonException e) {
    String path = e instanceof JsonMappingException m
        ? m.getPath().stream()
            .map(r -> r.getFieldName() != null ? r.getFieldName() : "[" + r.getIndex() + "]")
            .reduce((a, b) -> b.startsWith("[") ? a + b : a + "." + b)
            .orElse("")
        : "";
    String message = firstLine(e.getOriginalMessage());
    return path.isEmpty() ? "wrong type: " + message : "wrong type at " + path + ": " + message;
  }
}
