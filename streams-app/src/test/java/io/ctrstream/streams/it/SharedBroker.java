package io.ctrstream.streams.it;

import io.ctrstream.kafka.EmbeddedKafka;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * Hands every integration test the same in-process broker. It starts on first use (about 4 s)
 * and lives in the root extension store, which closes it when the whole test run ends, so the
 * integration test classes pay for one start between them. Tests stay independent by using
 * their own topic prefix and application id ({@link ScoringFlow}).
 */
public final class SharedBroker implements ParameterResolver {
  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(SharedBroker.class);

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return parameter.getParameter().getType() == EmbeddedKafka.class;
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    // The root store closes AutoCloseable values when the test plan finishes.
    return context.getRoot().getStore(NAMESPACE)
        .getOrComputeIfAbsent("broker", key -> EmbeddedKafka.builder().start(), EmbeddedKafka.class);
  }
}
