package io.ctrstream.cli;

import io.ctrstream.schemas.KafkaAuthentication;
import io.ctrstream.schemas.Topics;
import io.ctrstream.streams.ScorerApp;
import io.ctrstream.streams.config.ScorerConfig;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./ctr serve}: runs the streaming scorer ({@link ScorerApp}: Kafka Streams topology, model
 * release follower, HTTP endpoint) against a Kafka cluster until Ctrl-C or SIGTERM.
 *
 * <p>Settings: defaults, then {@code --config} (a {@link ScorerConfig} properties file), then
 * {@code CTR_*} environment variables, then the options given here. Kafka client security
 * (SASL/SSL) comes from {@code --kafka-properties} (or {@code kafka.properties} /
 * {@code CTR_KAFKA_PROPERTIES}), applied to every client. A login the cluster refuses (wrong SASL
 * password, ...) ends the command at once with exit code 1 and {@code authentication to
 * <bootstrap> failed: ...}: checked before anything starts, and again should Kafka Streams meet it
 * later (the scorer then stops instead of replacing its stream threads).
 */
@Command(
    name = "serve",
    mixinStandardHelpOptions = true,
    description = "Run the streaming scorer against a Kafka cluster.",
    footer = {
      "",
      "Every setting also comes from a CTR_* environment variable (CTR_BATCH_SIZE,",
      "CTR_HTTP_HOST, CTR_STATE_DIR, ...) or the --config file (batch.size, ...);",
      "the options given here win.",
      "HTTP: GET /health /metrics /model /users/{userId}"
    })
public final class ServeCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
      description = "Kafka brokers (default: CTR_BOOTSTRAP_SERVERS, else localhost:9092).")
  String bootstrapServers;

  @Option(names = "--config", paramLabel = "FILE", description = "Scorer properties file (keys as in the footer).")
  Path configFile;

  @Option(names = "--kafka-properties", paramLabel = "FILE",
      description = "Kafka client properties (security.protocol, sasl.*, ssl.*) for every client.")
  Path kafkaProperties;

  @Option(names = "--prefix", paramLabel = "X", description = "Prefix of every topic name, e.g. 'dev.'.")
  String prefix;

  @Option(names = "--application-id", paramLabel = "ID",
      description = "Kafka Streams application id; instances with the same id share the work.")
  String applicationId;

  @Option(names = "--http-port", paramLabel = "N", description = "HTTP port (0: any free port; default 8080).")
  Integer httpPort;

  @Option(names = "--http-host", paramLabel = "ADDR",
      description = "HTTP bind address (default 127.0.0.1; 0.0.0.0 to accept remote clients).")
  String httpHost;

  @Option(names = "--create-topics", description = "Create the project's topics that are missing, then serve.")
  boolean createTopics;

  @Option(names = "--partitions", defaultValue = "4",
      description = "With --create-topics: partitions of the user-keyed topics. Default: ${DEFAULT-VALUE}.")
  int partitions;

  @Option(names = "--replication-factor", defaultValue = "1",
      description = "With --create-topics: replication factor. Default: ${DEFAULT-VALUE}.")
  short replicationFactor;

  /** The scorer while {@link #call()} runs it; for {@link #stop()}. */
  private volatile ScorerApp running;

  /**
   * Stops a running scorer as Ctrl-C would (its {@code call()} then returns 0); nothing when none
   * runs. For tests, which cannot send the JVM a signal.
   */
  void stop() {
    ScorerApp app = running;
    if (app != null) {
      app.close();
    }
  }

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    ScorerConfig config;
    Topics topics;
    try {
      config = ScorerConfig.load(configFile).with(overrides());
      topics = Topics.builder().optPrefix(config.topicPrefix()).optUserPartitions(partitions).build();
      config.kafkaClientProperties(); // a missing security file stops us here, not in a client
    } catch (IOException e) {
      err.println("ctr serve: cannot read " + configFile + ": " + e.getMessage());
      return 2;
    } catch (IllegalArgumentException e) {
      err.println("ctr serve: " + e.getMessage());
      return 2;
    }
    Optional<String> login = KafkaPreflight.loginProblem(
        config.kafkaClientProperties(), config.bootstrapServers(), KafkaPreflight.TIMEOUT);
    if (login.isPresent()) {
      err.println("ctr serve: " + login.get());
      return 1;
    }
    try {
      if (createTopics) {
        Set<String> created = ScorerApp.createMissingTopics(config, topics, replicationFactor);
        err.println("ctr serve: topics created: " + (created.isEmpty() ? "none (all existed)" : created));
      }
      try (ScorerApp app = ScorerApp.service(config)) {
        running = app;
        err.println("ctr serve: scoring " + topics.impressions().name() + " -> " + topics.scores().name()
            + " at " + config.bootstrapServers() + "; HTTP on " + config.httpHost() + ":"
            + app.httpPort().orElse(config.httpPort()) + "; Ctrl-C to stop");
        err.flush();
        int exit;
        try {
          exit = app.run();
        } finally {
          running = null;
        }
        if (exit != 0) {
          err.println("ctr serve: " + app.failure().orElse("Kafka Streams stopped on an error"));
        }
        return exit;
      }
    } catch (IllegalStateException | org.apache.kafka.common.KafkaException e) {
      err.println("ctr serve: "
          + KafkaAuthentication.describeFailure(config.bootstrapServers(), e).orElse(e.getMessage()));
      return 1;
    }
  }

  /** Command-line options as setting overrides; only those given. */
  private Map<String, String> overrides() {
    Map<String, String> o = new LinkedHashMap<>();
    put(o, "bootstrap.servers", bootstrapServers);
    put(o, "topic.prefix", prefix);
    put(o, "application.id", applicationId);
    put(o, "http.port", httpPort == null ? null : httpPort.toString());
    put(o, "http.host", httpHost);
    put(o, "kafka.properties", kafkaProperties == null ? null : kafkaProperties.toString());
    return o;
  }

  private static void put(Map<String, String> o, String key, String value) {
    if (value != null) {
      o.put(key, value);
    }
  }
}
