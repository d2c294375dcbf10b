package io.ctrstream.cli;

import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/**
 * The options of a command that runs against a broker it starts in its own process unless told
 * to use a running cluster: the benchmarks and the chaos checks.
 */
final class ClusterOptions {

  @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
      description = "Run against this running cluster instead of a broker started in this process."
          + " Topics get a prefix unique to the run and are deleted at the end.")
  String bootstrapServers;

  @Option(names = "--kafka-properties", paramLabel = "FILE",
      description = "Kafka client properties (security.protocol, sasl.*, ssl.*) for --bootstrap-servers.")
  Path kafkaProperties;

  @Option(names = "--replication-factor", paramLabel = "N",
      description = "Replicas of each topic on --bootstrap-servers (default: min(3, brokers)).")
  Short replicationFactor;

  Optional<Short> replicationFactor() {
    return Optional.ofNullable(replicationFactor);
  }
}
