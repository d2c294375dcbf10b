package io.ctrstream.streams.errors;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

/**
 * Keys as strict UTF-8: malformed bytes are refused ({@link MalformedKeyException}, dead-lettered
 * by the deserialization handler) instead of becoming U+FFFD, which would let two different keys
 * read as one user and make "the key equals the userId" a lie.
 */
public final class StrictUtf8Deserializer implements Deserializer<String> {
  @Override
  public String deserialize(String topic, byte[] data) {
    if (data == null) {
      return null;
    }
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(data))
          .toString();
    } catch (CharacterCodingException e) {
      throw new MalformedKeyException("key of " + data.length + " bytes on " + topic + " is not valid UTF-8");
    }
  }

  /** A key that is not valid UTF-8. */
  public static final class MalformedKeyException extends SerializationException {
    private static final long serialVersionUID = 1L;

    public MalformedKeyException(String message) {
      super(message);
    }
  }
}
