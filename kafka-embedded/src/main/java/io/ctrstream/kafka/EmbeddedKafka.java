package io.ctrstream.kafka;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import kafka.server.BrokerServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.apache.kafka.common.network.ListenerName;
import org.apache.kafka.common.test.KafkaClusterTestKit;
import org.apache.kafka.common.test.TestKitNodes;
import org.apache.kafka.common.test.api.TestKitDefaults;
import org.apache.kafka.metadata.bootstrap.BootstrapMetadata;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A single-node Kafka cluster (one combined KRaft broker + controller) running inside this JVM.
 *
 * <p>Contract:
 *
 * <ul>
 *   <li>{@link Builder#start()} formats a fresh cluster in the data directory, starts it and
 *       returns once the broker is registered and unfenced; {@link #bootstrapServers()} is then
 *       usable by any client.
 *   <li>It listens on {@code localhost} only: on a random free port by default (tests), or on a
 *       fixed port ({@link Builder#optPort(int)}, for {@code ./ctr broker --port 9092}) that
 *       clients outside this JVM such as kcat can reach.
 *   <li>Single-broker settings are applied so that consumer groups, transactions
 *       ({@code exactly_once_v2}) and Kafka Streams work: replication factor 1 and min ISR 1 for
 *       the internal topics. Without them a Streams application stays in REBALANCING for ever
 *       and no error is raised.
 *   <li>{@link #createTopics(Collection)} is idempotent: topics that already exist are left as
 *       they are.
 *   <li>{@link #close()} stops broker and controller; it deletes the data directory when that was
 *       a temporary one (see {@link Builder#optDeleteOnClose(boolean)}). A data directory cannot
 *       be reused across starts: every start formats a new cluster (new cluster id), so a
 *       non-empty directory is refused.
 *   <li>{@link #stopBroker()} and {@link #startBroker()} (or {@link #restartBroker(Duration)})
 *       restart the broker within a running cluster, as an operator restarts a broker process:
 *       the broker shuts down in a controlled way (it is fenced, its clients lose their
 *       connections), its log directories stay as they are, and it starts again on them with the
 *       same node id, cluster id and ports, recovering its partitions, consumer group offsets,
 *       transactions and producer state from its logs. Only the broker side of the combined node
 *       restarts: the KRaft controller (and its metadata log) stays up, as a separate controller
 *       quorum would in a real cluster.
 * </ul>
 *
 * <p>Built on Kafka's own {@link KafkaClusterTestKit} (module kafka-test-common-runtime), the
 * harness Kafka uses for its integration tests, so the broker is the real one, not a mock.
 */
public final class EmbeddedKafka implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddedKafka.class);

  /**
   * Name of the extra listener used for a fixed client port. The test kit pre-binds random ports
   * for its own broker and controller listeners and ignores any port configured for them, so a
   * fixed port needs a listener of its own.
   */
  static final String FIXED_PORT_LISTENER = "CLIENT";

  /**
   * Name of the optional SASL_PLAINTEXT listener ({@link Builder#optSaslPlainUsers(Map)}); the
   * broker's own traffic and {@link #bootstrapServers()} stay on PLAINTEXT.
   */
  static final String SASL_LISTENER = "SASL";

  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);
  private static final Duration BROKER_RESTART_TIMEOUT = Duration.ofSeconds(60);

  private final KafkaClusterTestKit cluster;
  private final String bootstrapServers;
  private final String saslBootstrapServers;
  private final Path dataDir;
  private final Duration startupTime;
  private boolean closed;
  private boolean brokerStopped;

  private EmbeddedKafka(
      KafkaClusterTestKit cluster,
      String bootstrapServers,
      String saslBootstrapServers,
      Path dataDir,
      Duration startupTime) {
    this.cluster = cluster;
    this.bootstrapServers = bootstrapServers;
    this.saslBootstrapServers = saslBootstrapServers;
    this.dataDir = dataDir;
    this.startupTime = startupTime;
  }

  /** A builder with the defaults: random port, temporary data directory deleted on close. */
  public static Builder builder() {
    return new Builder();
  }

  /** {@code host:port} for {@code bootstrap.servers} of any client. */
  public String bootstrapServers() {
    return bootstrapServers;
  }

  /**
   * {@code host:port} of the SASL_PLAINTEXT listener (mechanism PLAIN) for clients that must
   * authenticate with one of the users given to {@link Builder#optSaslPlainUsers(Map)}.
   *
   * @throws IllegalStateException when the cluster was started without SASL users
   */
  public String saslBootstrapServers() {
    if (saslBootstrapServers == null) {
      throw new IllegalStateException(
          "this broker has no SASL listener; start it with builder().optSaslPlainUsers(...)");
    }
    return saslBootstrapServers;
  }

  /** The folder that holds the metadata log and the topic data of this cluster. */
  public Path dataDir() {
    return dataDir;
  }

  /** Wall-clock time from {@link Builder#start()} until the broker was ready. */
  public Duration startupTime() {
    return startupTime;
  }

  /** Properties of a client of this cluster: just {@code bootstrap.servers}, ready to extend. */
  public Map<String, Object> clientConfig() {
    Map<String, Object> config = new LinkedHashMap<>();
    config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    return config;
  }

  /**
   * Creates the given topics; a topic that already exists is left as it is (a warning is logged
   * when its partition count differs from the one asked for). Returns once every partition of
   * every given topic has a leader, so producers do not start against a half-created topic.
   *
   * @return the names of the topics this call created (the others existed already)
   * @throws IllegalStateException when Kafka refuses a topic for another reason, or does not
   *     answer within 30 s
   */
  public Set<String> createTopics(Collection<NewTopic> topics) {
    Objects.requireNonNull(topics, "topics must not be null; pass an empty list for none");
    Set<String> created = new LinkedHashSet<>();
    if (topics.isEmpty()) {
      return created;
    }
    try (Admin admin = Admin.create(clientConfig())) {
      CreateTopicsResult result = admin.createTopics(topics);
      for (NewTopic topic : topics) {
        try {
          result.values().get(topic.name()).get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
          created.add(topic.name());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException(
                "could not create topic " + topic.name() + ": " + e.getCause().getMessage(), e);
          }
        }
      }
      Map<String, TopicDescription> described = awaitLeaders(admin, topics);
      for (NewTopic topic : topics) {
        int actual = described.get(topic.name()).partitions().size();
        if (!created.contains(topic.name()) && actual != topic.numPartitions()
            && topic.numPartitions() > 0) {
          log.warn(
              "topic {} exists with {} partitions, not the {} asked for; left as it is",
              topic.name(),
              actual,
              topic.numPartitions());
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException(
          "Kafka did not answer within " + ADMIN_TIMEOUT.toSeconds() + " s while creating topics",
          e);
    }
    log.info("topics created: {}; already present: {}", created, topics.size() - created.size());
    return created;
  }

  /** Polls the topic descriptions until every partition has a leader. */
  private static Map<String, TopicDescription> awaitLeaders(Admin admin, Collection<NewTopic> topics)
      throws InterruptedException, TimeoutException {
    List<String> names = topics.stream().map(NewTopic::name).distinct().toList();
    long deadline = System.nanoTime() + ADMIN_TIMEOUT.toNanos();
    while (true) {
      try {
        Map<String, TopicDescription> described =
            admin
                .describeTopics(names)
                .allTopicNames()
                .get(ADMIN_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        boolean allLed =
            described.values().stream()
                .flatMap(d -> d.partitions().stream())
                .allMatch(p -> p.leader() != null && !p.leader().isEmpty());
        if (allLed) {
          return described;
        }
      } catch (ExecutionException e) {
        // Metadata may lag the controller by a moment right after creation; anything else is real.
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw new IllegalStateException("could not describe topics " + names, e.getCause());
        }
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("topics " + names + " have no leader yet");
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
  }

  /** Whether the broker is serving: started, and not stopped by {@link #stopBroker()}. */
  public synchronized boolean brokerRunning() {
    return !closed && !brokerStopped;
  }

  /**
   * Shuts the broker down in a controlled way, keeping its data; the controller stays up. Clients
   * see the broker gone until {@link #startBroker()}. Idempotent.
   *
   * @return how long the shutdown took
   * @throws IllegalStateException when the cluster is closed
   */
  public synchronized Duration stopBroker() {
    if (closed) {
      throw new IllegalStateException("the embedded Kafka cluster is closed");
    }
    if (brokerStopped) {
      return Duration.ZERO;
    }
    long begin = System.nanoTime();
    for (BrokerServer broker : cluster.brokers().values()) {
      broker.shutdown();
      broker.awaitShutdown();
    }
    brokerStopped = true;
    Duration took = Duration.ofNanos(System.nanoTime() - begin);
    log.info("embedded Kafka broker at {} stopped (data kept in {}) in {} ms", bootstrapServers,
        dataDir, took.toMillis());
    return took;
  }

  /**
   * Starts the broker stopped by {@link #stopBroker()} again on its log directories, with the
   * same node id, cluster id and ports, and returns once it is registered and unfenced (its
   * partitions led again). Idempotent.
   *
   * @return how long the start took
   * @throws IllegalStateException when the cluster is closed, or the broker fails to start or is
   *     not unfenced within 60 s
   */
  public synchronized Duration startBroker() {
    if (closed) {
      throw new IllegalStateException("the embedded Kafka cluster is closed");
    }
    if (!brokerStopped) {
      return Duration.ZERO;
    }
    long begin = System.nanoTime();
    try {
      for (BrokerServer broker : cluster.brokers().values()) {
        broker.startup();
        broker.lifecycleManager().initialUnfenceFuture()
            .get(BROKER_RESTART_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while starting the broker again", e);
    } catch (ExecutionException | TimeoutException | RuntimeException e) {
      throw new IllegalStateException("the embedded Kafka broker failed to start again on "
          + dataDir + ": " + e, e);
    }
    brokerStopped = false;
    Duration took = Duration.ofNanos(System.nanoTime() - begin);
    log.info("embedded Kafka broker at {} started again on {} in {} ms", bootstrapServers, dataDir,
        took.toMillis());
    return took;
  }

  /**
   * {@link #stopBroker()}, {@code downtime} with no broker, then {@link #startBroker()}.
   *
   * @return from the moment the broker began to stop until it was serving again
   */
  public Duration restartBroker(Duration downtime) throws InterruptedException {
    Objects.requireNonNull(downtime, "downtime must not be null; pass Duration.ZERO for none");
    long begin = System.nanoTime();
    stopBroker();
    TimeUnit.NANOSECONDS.sleep(Math.max(0, downtime.toNanos()));
    startBroker();
    return Duration.ofNanos(System.nanoTime() - begin);
  }

  /** Stops the cluster; idempotent. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    long begin = System.nanoTime();
    try {
      cluster.close();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      log.warn("interrupted while stopping the embedded Kafka broker");
    } catch (Exception e) {
      log.warn("embedded Kafka broker did not stop cleanly", e);
    }
    log.info(
        "embedded Kafka broker at {} stopped in {} ms",
        bootstrapServers,
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - begin));
  }

  /**
   * Configures an {@link EmbeddedKafka}. Everything is optional; {@link #start()} validates and
   * starts.
   */
  public static final class Builder {
    private int port;
    private Path dataDir;
    private Boolean deleteOnClose;
    private final Map<String, String> brokerProperties = new LinkedHashMap<>();
    private final Map<String, String> saslUsers = new LinkedHashMap<>();
    private int saslPort;

    private Builder() {
      // The settings a single broker needs (see the class comment), and small internal topics
      // so the first consumer group and the first transaction do not create 50 partitions each.
      brokerProperties.put("offsets.topic.replication.factor", "1");
      brokerProperties.put("offsets.topic.num.partitions", "5");
      brokerProperties.put("transaction.state.log.replication.factor", "1");
      brokerProperties.put("transaction.state.log.min.isr", "1");
      brokerProperties.put("transaction.state.log.num.partitions", "5");
      brokerProperties.put("share.coordinator.state.topic.replication.factor", "1");
      brokerProperties.put("share.coordinator.state.topic.min.isr", "1");
      brokerProperties.put("group.initial.rebalance.delay.ms", "0");
    }

    /**
     * Client port on localhost; 0 (the default) picks a free one. A fixed port lets processes
     * outside this JVM connect (e.g. 9092 for kcat and the scorer).
     */
    public Builder optPort(int port) {
      this.port = port;
      return this;
    }

    /**
     * Folder for the cluster's logs; it must be absent or empty. Default: a new temporary folder.
     */
    public Builder optDataDir(Path dataDir) {
      this.dataDir = dataDir;
      return this;
    }

    /**
     * Whether {@link #close()} deletes the data folder. Default: true for a temporary folder,
     * false for one given with {@link #optDataDir(Path)} (so it can be inspected afterwards).
     */
    public Builder optDeleteOnClose(boolean deleteOnClose) {
      this.deleteOnClose = deleteOnClose;
      return this;
    }

    /** Any broker setting, e.g. {@code log.retention.ms}; overrides the defaults above. */
    public Builder optBrokerProperty(String key, String value) {
      if (key == null || key.isBlank() || value == null) {
        throw new IllegalArgumentException(
            "broker property needs a non-blank key and a non-null value, got " + key + "=" + value);
      }
      brokerProperties.put(key, value);
      return this;
    }

    /**
     * Adds a SASL_PLAINTEXT listener on localhost (mechanism PLAIN) that accepts exactly these
     * users, name to password; its address is {@link EmbeddedKafka#saslBootstrapServers()}.
     * Authentication only: no authorizer, so an authenticated user may do anything. The
     * PLAINTEXT listener stays, for the broker's own traffic and {@link
     * EmbeddedKafka#bootstrapServers()}. A client authenticates with
     * {@code security.protocol=SASL_PLAINTEXT}, {@code sasl.mechanism=PLAIN} and
     * {@code sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required
     * username="..." password="...";}.
     *
     * @throws IllegalArgumentException for no users, or a name or password that is blank or
     *     holds a quote, backslash, semicolon or space (they would break the JAAS line)
     */
    public Builder optSaslPlainUsers(Map<String, String> users) {
      if (users == null || users.isEmpty()) {
        throw new IllegalArgumentException("SASL/PLAIN needs at least one user, got " + users);
      }
      users.forEach(
          (name, password) -> {
            if (!jaasSafe(name) || !jaasSafe(password)) {
              throw new IllegalArgumentException(
                  "SASL user names and passwords must be non-blank, without quotes, backslashes,"
                      + " semicolons or spaces; got user '"
                      + name
                      + "'");
            }
          });
      saslUsers.clear();
      saslUsers.putAll(users);
      return this;
    }

    /**
     * Port of the SASL listener on localhost (with {@link #optSaslPlainUsers(Map)}); 0, the
     * default, picks a free one.
     */
    public Builder optSaslPort(int saslPort) {
      this.saslPort = saslPort;
      return this;
    }

    private static boolean jaasSafe(String s) {
      return s != null && !s.isBlank() && s.chars().noneMatch(c -> c == '"' || c == '\\'
          || Character.isWhitespace(c) || c == ';');
    }

    /**
     * Validates the settings, formats a fresh cluster and starts it.
     *
     * @throws IllegalArgumentException for a bad port or a non-empty data folder
     * @throws IllegalStateException when Kafka fails to start (e.g. the port is taken)
     */
    public EmbeddedKafka start() {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException(
            "port must be 0 (pick a free one) or 1..65535, got " + port);
      }
      if (saslPort < 0 || saslPort > 65535) {
        throw new IllegalArgumentException(
            "SASL port must be 0 (pick a free one) or 1..65535, got " + saslPort);
      }
      if (saslPort > 0 && saslUsers.isEmpty()) {
        throw new IllegalArgumentException("a SASL port needs SASL users: call optSaslPlainUsers");
      }
      boolean sasl = !saslUsers.isEmpty();
      Path base = resolveDataDir();
      boolean delete = deleteOnClose != null ? deleteOnClose : dataDir == null;

      long begin = System.nanoTime();
      TestKitNodes nodes =
          new TestKitNodes.Builder(productionBootstrapMetadata())
              .setCombined(true)
              .setNumBrokerNodes(1)
              .setNumControllerNodes(1)
              .setBaseDirectory(base)
              .build();
      KafkaClusterTestKit.Builder kit =
          new KafkaClusterTestKit.Builder(nodes).setDeleteOnClose(delete);
      brokerProperties.forEach(kit::setConfigProp);
      if (port > 0 || sasl) {
        String broker = TestKitDefaults.DEFAULT_BROKER_LISTENER_NAME;
        String controller = TestKitDefaults.DEFAULT_CONTROLLER_LISTENER_NAME;
        // Port 0 for the kit's own listeners: it substitutes its pre-bound sockets for them.
        // Port 0 for an extra listener binds a free port; the broker registers the bound one.
        List<String> listeners = new ArrayList<>();
        List<String> protocols = new ArrayList<>();
        listeners.add(broker + "://localhost:0");
        protocols.add(broker + ":PLAINTEXT");
        listeners.add(controller + "://localhost:0");
        protocols.add(controller + ":PLAINTEXT");
        if (port > 0) {
          listeners.add(FIXED_PORT_LISTENER + "://localhost:" + port);
          protocols.add(FIXED_PORT_LISTENER + ":PLAINTEXT");
        }
        if (sasl) {
          listeners.add(SASL_LISTENER + "://localhost:" + saslPort);
          protocols.add(SASL_LISTENER + ":SASL_PLAINTEXT");
          String prefix = "listener.name." + SASL_LISTENER.toLowerCase(java.util.Locale.ROOT) + ".";
          kit.setConfigProp(prefix + "sasl.enabled.mechanisms", "PLAIN");
          kit.setConfigProp(prefix + "plain.sasl.jaas.config", plainJaasConfig(saslUsers));
          kit.setConfigProp("sasl.enabled.mechanisms", "PLAIN");
        }
        kit.setConfigProp("listeners", String.join(",", listeners));
        kit.setConfigProp("listener.security.protocol.map", String.join(",", protocols));
      }

      KafkaClusterTestKit cluster = null;
      try {
        cluster = kit.build();
        cluster.format();
        cluster.startup();
        cluster.waitForReadyBrokers();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        closeQuietly(cluster);
        throw new IllegalStateException("interrupted while starting the embedded Kafka broker", e);
      } catch (Exception e) {
        closeQuietly(cluster);
        String hint = port > 0 ? " (is port " + port + " already in use?)" : "";
        throw new IllegalStateException(
            "embedded Kafka broker failed to start" + hint + ": " + e.getMessage(), e);
      }
      Duration startup = Duration.ofNanos(System.nanoTime() - begin);
      String bootstrap = port > 0 ? "localhost:" + port : cluster.bootstrapServers();
      String saslBootstrap = null;
      if (sasl) {
        int bound =
            cluster.brokers().values().iterator().next()
                .boundPort(new ListenerName(SASL_LISTENER));
        saslBootstrap = "localhost:" + bound;
      }
      log.info(
          "embedded Kafka broker (KRaft, combined) ready at {}{} in {} ms, data in {}",
          bootstrap,
          sasl ? " (SASL/PLAIN at " + saslBootstrap + ", " + saslUsers.size() + " user(s))" : "",
          startup.toMillis(),
          base);
      return new EmbeddedKafka(cluster, bootstrap, saslBootstrap, base, startup);
    }

    /** The broker-side PLAIN login module line: one {@code user_<name>="<password>"} per user. */
    private static String plainJaasConfig(Map<String, String> users) {
      StringBuilder jaas =
          new StringBuilder("org.apache.kafka.common.security.plain.PlainLoginModule required");
      users.forEach((name, password) ->
          jaas.append(" user_").append(name).append("=\"").append(password).append('"'));
      return jaas.append(';').toString();
    }

    /**
     * The metadata version and feature levels that {@code kafka-storage format} gives a released
     * broker of this Kafka version. The kit's own default is the newest, still unstable, metadata
     * version, which clients of a real cluster would never meet.
     */
    private static BootstrapMetadata productionBootstrapMetadata() {
      MetadataVersion version = MetadataVersion.latestProduction();
      Map<String, Short> features = new LinkedHashMap<>();
      for (Feature feature : Feature.PRODUCTION_FEATURES) {
        // kraft.version belongs to the quorum, not to the bootstrap records.
        if (feature != Feature.KRAFT_VERSION) {
          features.put(feature.featureName(), feature.defaultLevel(version));
        }
      }
      return BootstrapMetadata.fromVersions(version, features, "ctr-embedded");
    }

    private Path resolveDataDir() {
      try {
        if (dataDir == null) {
          return Files.createTempDirectory("ctr-kafka-");
        }
        if (Files.exists(dataDir)) {
          if (!Files.isDirectory(dataDir)) {
            throw new IllegalArgumentException("dataDir must be a folder, got file " + dataDir);
          }
          try (Stream<Path> entries = Files.list(dataDir)) {
            List<Path> present = entries.limit(3).collect(Collectors.toCollection(ArrayList::new));
            if (!present.isEmpty()) {
              throw new IllegalArgumentException(
                  "dataDir must be absent or empty (each start formats a new cluster), but "
                      + dataDir
                      + " holds "
                      + present
                      + "; delete it or pick another folder");
            }
          }
        }
        return Files.createDirectories(dataDir);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot prepare the Kafka data folder " + dataDir, e);
      }
    }

    private static void closeQuietly(KafkaClusterTestKit cluster) {
      if (cluster == null) {
        return;
      }
      try {
        cluster.close();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (Exception e) {
        log.warn("cleanup after a failed start did not complete", e);
      }
    }
  }
}
