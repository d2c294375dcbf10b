package io.ctrstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.concurrent.ExecutionException;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.junit.jupiter.api.Test;

/**
 * Proves that a refused login is found however deep a client wrapped it, that other failures are
 * not taken for one, and that the message names the bootstrap servers and the broker's reason.
 */
class KafkaAuthenticationTest {

  @Test
  void findsTheRefusedLoginThroughWrappersAndNamesTheServers() {
    SaslAuthenticationException refused =
        new SaslAuthenticationException("Authentication failed: Invalid username or password");
    Throwable wrapped =
        new IllegalStateException("could not describe topic users",
            new KafkaException("wrapped", new ExecutionException(refused)));

    assertThat(KafkaAuthentication.failure(wrapped)).containsSame(refused);
    assertThat(KafkaAuthentication.describeFailure("broker:9093", wrapped))
        .hasValueSatisfying(m -> assertThat(m)
            .startsWith("authentication to broker:9093 failed: Authentication failed:"
                + " Invalid username or password")
            .contains("sasl.jaas.config"));
  }

  @Test
  void otherFailuresAreNotALoginProblem() {
    assertThat(KafkaAuthentication.failure(new ExecutionException(new TimeoutException("slow"))))
        .isEmpty();
    assertThat(KafkaAuthentication.failure(null)).isEmpty();
  }
}
