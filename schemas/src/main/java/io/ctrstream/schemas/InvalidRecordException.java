package io.ctrstream.schemas;

import java.util.List;
import org.apache.kafka.common.errors.SerializationException;

/**
 * A value that is not JSON, has wrong types, or fails {@link WireValue#validate()}. It is a Kafka
 * {@link SerializationException}, so a deserialization exception handler sees it too; the {@link
 * #kind()} and {@link #problems()} say what to write to the dead-letter topic.
 */
public class InvalidRecordException extends SerializationException {
  private static final long serialVersionUID = 1L;

  private final FailureKind kind;
  private final List<String> problems;

  public InvalidRecordException(FailureKind kind, List<String> problems, Throwable cause) {
    super(kind.wireName() + ": " + String.join("; ", problems), cause);
    this.kind = kind;
    this.problems = List.copyOf(problems);
  }

  public FailureKind kind() {
    return kind;
  }

  public List<String> problems() {
    return problems;
  }
}
