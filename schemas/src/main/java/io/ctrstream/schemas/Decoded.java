package io.ctrstream.schemas;

/**
 * The outcome of decoding one value without throwing: the value, or why it could not be used.
 * Processors switch on it and dead-letter a {@link Failed}.
 */
public sealed interface Decoded<T> {

  /** A value that parsed and validated. */
  record Ok<T>(T value) implements Decoded<T> {}

  /** A value that did not; {@code reason} is for humans, {@code kind} for counting. */
  record Failed<T>(FailureKind kind, String reason) implements Decoded<T> {}

  static <T> Decoded<T> ok(T value) {
    return new Ok<>(value);
  }

  static <T> Decoded<T> failed(FailureKind kind, String reason) {
    return new Failed<>(kind, reason);
  }
}
