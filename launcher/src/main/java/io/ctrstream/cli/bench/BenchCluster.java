package io.ctrstream.cli.bench;

import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Topics;
import io.ctrstream.trainer.replay.TopicSetup;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kafka cluster a scoring benchmark runs against: a broker started in this process (the
 * default, nothing to set up), or a running cluster named by its bootstrap servers, so the broker's
 * CPU, memory and garbage collection are not the scorer's.
 *
 * <p>On a running cluster every topic of the benchmark carries a prefix unique to this
 * invocation, and {@link #close()} deletes what the benchmark made: its topics and the internal
 * topics (changelogs) of its Kafka Streams applications.
 */
public abstract class BenchCluster implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(BenchCluster.class);
  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(60);

  /** {@code bootstrap.servers} and any security settings: what every client of the run needs. */
  public abstract Map<String, Object> clientConfig();

  /** Where the cluster is, for the log and the result line. */
  public abstract String describe();

  /** Whether the broker runs in this JVM (its CPU is then counted with the scorer's). */
  public abstract boolean inProcess();

  /** Prefix of the topics and application ids of this invocation. */
  public abstract String namePrefix();

  /** Creates the registry's topics and waits until each partition has a leader. */
  public abstract void createTopics(Topics topics);

  @Override
  public abstract void close();

  public String bootstrapServers() {
    return (String) clientConfig().get(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG);
  }

  /** A broker started now in this process; stopped (and its data deleted) by {@link #close()}. */
  public static BenchCluster inProcess(EmbeddedKafka.Builder builder) {
    return inProcess(builder, "bench");
  }

  /** As {@link #inProcess(EmbeddedKafka.Builder)}, its names starting with {@code prefix}. */
  public static BenchCluster inProcess(EmbeddedKafka.Builder builder, String prefix) {
    EmbeddedKafka kafka = builder.start();
    return new BenchCluster() {
      @Override
      public Map<String, Object> clientConfig() {
        return kafka.clientConfig();
      }

      @Override
      public String describe() {
        return "in-process broker at " + kafka.bootstrapServers();
      }

      @Override
      public boolean inProcess() {
        return true;
      }

      @Override
      public String namePrefix() {
        return prefix;
      }

      @Override
      public void createTopics(Topics topics) {
        kafka.createTopics(topics.newTopics((short) 1));
      }

      @Override
      public void close() {
        kafka.close();
      }
    };
  }

  /**
   * A running cluster.
   *
   * @param bootstrapServers host:port[,host:port]
   * @param kafkaProperties client properties file (security.protocol, sasl.*, ssl.*); null: none
   * @param replicationFactor replicas of each benchmark topic; empty: min(3, brokers)
   * @throws IllegalArgumentException when the properties file cannot be read
   */
  public static BenchCluster external(String bootstrapServers, Path kafkaProperties,
      Optional<Short> replicationFactor) {
    return external("bench", bootstrapServers, kafkaProperties, replicationFactor);
  }

  /**
   * As {@link #external(String, Path, Optional)}, for the tool {@code tool}: topics and
   * application ids start with {@code ctr-<tool>-<epoch ms>-}.
   */
  public static BenchCluster external(String tool, String bootstrapServers, Path kafkaProperties,
      Optional<Short> replicationFactor) {
    Map<String, Object> config = new LinkedHashMap<>();
    if (kafkaProperties != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(kafkaProperties, StandardCharsets.UTF_8)) {
        p.load(r);
      } catch (IOException e) {
        throw new IllegalArgumentException("cannot read the Kafka properties file " + kafkaProperties
            + ": " + e.getMessage(), e);
      }
      p.stringPropertyNames().forEach(k -> config.put(k, p.getProperty(k)));
    }
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    // Unique per invocation, so a benchmark never meets the topics of an earlier one.
    String prefix = "ctr-" + tool + "-" + System.currentTimeMillis() + "-";
    Map<String, Object> clients = Map.copyOf(config);
    return new BenchCluster() {
      @Override
      public Map<String, Object> clientConfig() {
        return new LinkedHashMap<>(clients);
      }

      @Override
      public String describe() {
        return "cluster at " + bootstrapServers;
      }

      @Override
      public boolean inProcess() {
        return false;
      }

      @Override
      public String namePrefix() {
        return prefix;
      }

      @Override
      public void createTopics(Topics topics) {
        try (Admin admin = Admin.create(clients)) {
          TopicSetup.createMissing(admin, topics, replicationFactor, ADMIN_TIMEOUT);
        }
      }

      @Override
      public void close() {
        try (Admin admin = Admin.create(clients)) {
          List<String> ours = admin.listTopics().names().get(ADMIN_TIMEOUT.toMillis(),
              TimeUnit.MILLISECONDS).stream().filter(t -> t.startsWith(prefix)).sorted().toList();
          if (!ours.isEmpty()) {
            admin.deleteTopics(ours).all().get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
          }
          LOG.info("deleted the run's {} topics (prefix {}) from {}", ours.size(), prefix,
              bootstrapServers);
        } catch (ExecutionException | TimeoutException e) {
          LOG.warn("could not delete the run's topics (prefix {}) from {}: {}", prefix,
              bootstrapServers, e.getMessage());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    };
  }
}
