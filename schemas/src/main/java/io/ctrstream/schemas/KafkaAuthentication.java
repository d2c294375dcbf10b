package io.ctrstream.schemas;

import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.common.errors.AuthenticationException;

/**
 * Recognises a refused login to Kafka (SASL or SSL), wherever a client reports it: thrown as it
 * is, or wrapped in an {@code ExecutionException}, a {@code StreamsException} or one of our own
 * exceptions. Such a failure never heals by retrying, so every command stops on it with one
 * message, {@link #describe(String, AuthenticationException)}, instead of retrying. Shared by the
 * scorer, the trainer and the command line, which all depend on this module.
 */
public final class KafkaAuthentication {

  private KafkaAuthentication() {}

  /** The first {@link AuthenticationException} in the cause chain of {@code error}, if any. */
  public static Optional<AuthenticationException> failure(Throwable error) {
    Map<Throwable, Boolean> seen = new IdentityHashMap<>();
    for (Throwable t = error; t != null && seen.put(t, Boolean.TRUE) == null; t = t.getCause()) {
      if (t instanceof AuthenticationException auth) {
        return Optional.of(auth);
      }
    }
    return Optional.empty();
  }

  /**
   * {@code authentication to <bootstrap servers> failed: <the broker's message>}, with what to
   * check.
   */
  public static String describe(String bootstrapServers, AuthenticationException failure) {
    String reason = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
    return "authentication to " + bootstrapServers + " failed: " + reason
        + " (check security.protocol, sasl.mechanism and sasl.jaas.config in the client properties)";
  }

  /** {@link #describe} of the authentication failure in {@code error}'s cause chain, if any. */
  public static Optional<String> describeFailure(String bootstrapServers, Throwable error) {
    return failure(error).map(auth -> describe(bootstrapServers, auth));
  }
}
