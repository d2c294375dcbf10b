package io.ctrstream.cli;

import io.ctrstream.schemas.KafkaAuthentication;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.apache.kafka.common.KafkaException;

/**
 * The login check {@code serve}, {@code train} and {@code replay} make before they start their
 * clients: one admin client logs in with the command's client properties and asks for the cluster
 * id. A refused login (wrong password, unknown user, a mechanism the listener does not offer) is
 * reported at once, so the command exits 1 with {@code authentication to <bootstrap> failed:
 * <broker message>} instead of leaving Kafka Streams, consumers or producers to retry it. Any other
 * outcome (no answer yet, a broker still starting) is left to the command's own handling, as
 * before: the check never makes a reachable cluster's command fail.
 */
final class KafkaPreflight {

  /** Longest wait for the cluster id; a refused login answers well within it. */
  static final Duration TIMEOUT = Duration.ofSeconds(15);

  private KafkaPreflight() {}

  /**
   * Logs in to {@code bootstrapServers} with {@code clientProperties}.
   *
   * @return why the command cannot go on: a refused login, or client properties Kafka does not
   *     accept; empty otherwise (also when the cluster did not answer within {@code timeout})
   */
  static Optional<String> loginProblem(
      Map<?, ?> clientProperties, String bootstrapServers, Duration timeout) {
    Map<String, Object> config = new LinkedHashMap<>();
    clientProperties.forEach((k, v) -> config.put(String.valueOf(k), v));
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    config.put(AdminClientConfig.CLIENT_ID_CONFIG, "ctr-login-check");
    Admin admin;
    try {
      admin = Admin.create(config);
    } catch (KafkaException e) {
      return Optional.of(KafkaAuthentication.describeFailure(bootstrapServers, e)
          .orElse("cannot create a Kafka client for " + bootstrapServers + ": " + messages(e)));
    }
    try {
      admin.describeCluster(new DescribeClusterOptions().timeoutMs((int) timeout.toMillis()))
          .clusterId()
          .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
      return Optional.empty();
    } catch (ExecutionException e) {
      return KafkaAuthentication.describeFailure(bootstrapServers, e);
    } catch (TimeoutException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    } finally {
      admin.close(Duration.ZERO);
    }
  }

  /** The message of {@code e} and of its causes, joined: Kafka's own is often one level down. */
  private static String messages(Throwable e) {
    StringBuilder out = new StringBuilder(String.valueOf(e.getMessage()));
    Throwable c = e.getCause();
    for (int depth = 0; c != null && depth < 8; depth++, c = c.getCause()) {
      if (c.getMessage() != null && !out.toString().contains(c.getMessage())) {
        out.append(": ").append(c.getMessage());
      }
    }
    return out.toString();
  }
}
