package io.ctrstream.streams;

import io.ctrstream.schemas.KafkaAuthentication;
import io.ctrstream.schemas.Topics;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.streams.errors.ErrorSink;
import io.ctrstream.streams.errors.KafkaErrorSink;
import io.ctrstream.streams.http.ScorerHealth;
import io.ctrstream.streams.http.RequestScorer;
import io.ctrstream.streams.http.ScorerHttpServer;
import io.ctrstream.streams.http.StreamsUserStateQuery;
import io.ctrstream.streams.http.UserStateQuery;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.ModelProvider;
import io.ctrstream.streams.model.SwappableModelProvider;
import io.ctrstream.streams.release.LoadedModel;
import io.ctrstream.streams.release.ModelReleaseFollower;
import io.ctrstream.streams.topology.FeatureAssembler;
import io.ctrstream.streams.topology.ScorerTopology;
import io.ctrstream.streams.config.BoundedRocksDbConfig;
import io.ctrstream.streams.metrics.ProcessMetrics;
import io.ctrstream.streams.state.StoreNames;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running scorer: the topology of {@link ScorerTopology} on a {@link KafkaStreams} client,
 * and, as a service, the {@link ModelReleaseFollower} that hot-swaps models and the {@link
 * ScorerHttpServer} (health, metrics, model, interactive queries). Holds no scoring logic; the
 * launcher's {@code serve} command runs it with {@link #run()}, tests start and close it.
 *
 * <p>Start order: HTTP answers first (health says 503 until Streams runs), the follower reads the
 * releases present (bounded wait) so a restarted scorer serves the latest model from its first
 * batch, then Streams starts. Local state is never wiped at start (the history we depend on lives
 * there); a record that cannot be read, processed or written is dead-lettered by the exception
 * handlers ({@link KafkaErrorSink}) and the thread goes on; a stream thread that still dies on an
 * unexpected error is replaced, counted, and readiness says so when it keeps dying. {@link
 * #close()} stops HTTP, Streams (the last batches finish), the dead-letter producer, then the
 * follower.
 */
public final class ScorerApp implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ScorerApp.class);
  /** Longest wait at start for the releases already published to be read. */
  static final Duration CATCH_UP_WAIT = Duration.ofSeconds(60);

  private final ScorerConfig config;
  private final ScorerMetrics metrics;
  private final ModelProvider models;
  private final ModelReleaseFollower follower;
  private final ScorerHttpServer http;
  private final RequestScorer scoring; // POST /score; null without HTTP
  private final KafkaStreams streams;
  private final KafkaStreamsMetrics streamsMetrics;
  private final ProcessMetrics processMetrics = new ProcessMetrics();
  private final java.util.concurrent.ScheduledExecutorService kafkaMetricsRefresh;
  /** How often Kafka client metrics that appeared since are bound to the registry. */
  static final Duration KAFKA_METRICS_REFRESH = Duration.ofSeconds(15);
  private final StreamsUserStateQuery users;
  private final KafkaErrorSink errors;
  private final ScorerHealth health;
  private final CountDownLatch stopped = new CountDownLatch(1);
  private final AtomicBoolean failed = new AtomicBoolean();
  private final AtomicReference<String> failure = new AtomicReference<>();
  private final AtomicBoolean closed = new AtomicBoolean();

  /** The topology alone on {@code models} (no follower, no HTTP), counting into {@code metrics}. */
  public ScorerApp(ScorerConfig config, ModelProvider models, ScorerMetrics metrics) {
    this(builder().setConfig(config).optModels(models).optMetrics(metrics).optFollowReleases(false).optHttp(false));
  }

  private ScorerApp(Builder b) {
    ScorerConfig cfg = b.config;
    this.metrics = b.metrics != null ? b.metrics : ScorerMetrics.prometheus();
    this.models = b.models != null ? b.models : new SwappableModelProvider(cfg.priorProbability(), metrics);
    ScorerHttpServer server = null;
    RequestScorer requests = null;
    ModelReleaseFollower f = null;
    KafkaStreams ks = null;
    KafkaErrorSink sink = null;
    ModelReleaseFollower[] followerRef = new ModelReleaseFollower[1];
    KafkaStreams[] streamsRef = new KafkaStreams[1];
    this.health = ScorerHealth.builder()
        .setState(() -> streamsRef[0] == null ? KafkaStreams.State.CREATED : streamsRef[0].state())
        .optFollowerAlive(b.follow ? () -> followerRef[0] != null && followerRef[0].isRunning() : null)
        .optModelProblem(() -> metrics.unhealthyModel(modelVersion())
            .map(u -> "model " + u.version() + " is unhealthy: " + u.reason()))
        .optWrongPartitions(metrics::wrongPartitions)
        .optRebalancingGraceMs(cfg.readyRebalancingGraceMs())
        .optThreadFailureWindowMs(cfg.readyThreadFailureWindowMs())
        .build();
    try {
      if (b.http) {
        requests = new RequestScorer(this::lookupUser, () -> {
          if (streamsRef[0] == null) {
            throw new org.apache.kafka.streams.errors.InvalidStateStoreException("Kafka Streams is not created yet");
          }
          return FeatureAssembler.queryable(streamsRef[0]);
        }, models, metrics, cfg.scoreMaxCandidates(), cfg.maxKeyBytes());
        server = ScorerHttpServer.builder()
            .optHealth(health)
            .optHost(cfg.httpHost())
            .optPort(cfg.httpPort())
            .setState(this::streamsState)
            .setModelVersion(this::modelVersion)
            .setManifest(() -> liveModel().map(LoadedModel::manifest))
            .optRelease(() -> liveModel().map(ScorerApp::releaseInfo))
            .setMetrics(this::scrape)
            .setUsers(this::lookupUser)
            .optScoring(requests)
            .build();
        if (cfg.httpPort() == 0) {
          // application.server must name the port others can reach, so the chosen one.
          cfg = cfg.with(Map.of("http.port", Integer.toString(server.port())));
        }
      }
      this.config = cfg;
      if (b.follow) {
        if (!(models instanceof SwappableModelProvider swappable)) {
          throw new IllegalArgumentException("following model releases needs a SwappableModelProvider, got "
              + models.getClass().getName());
        }
        f = ModelReleaseFollower.create(cfg, swappable, metrics);
        followerRef[0] = f;
      }
      sink = new KafkaErrorSink(cfg, metrics);
      Properties props = cfg.toStreamsProperties();
      props.put(ErrorSink.CONFIG, sink); // the exception handlers dead-letter through it
      ks = new KafkaStreams(ScorerTopology.build(cfg, models, metrics, sink), props);
      streamsRef[0] = ks;
    } catch (IOException e) {
      throw new IllegalStateException("cannot bind the HTTP endpoint " + cfg.httpHost() + ":" + cfg.httpPort()
          + " (" + e.getMessage() + "); set http.port (CTR_HTTP_PORT) to a free port", e);
    } catch (RuntimeException e) {
      if (server != null) {
        server.close();
      }
      if (f != null) {
        f.close();
      }
      if (sink != null) {
        sink.close();
      }
      throw e;
    }
    this.errors = sink;
    this.http = server;
    this.scoring = requests;
    this.follower = f;
    this.streams = ks;
    this.users = new StreamsUserStateQuery(ks, config.advertisedEndpoint());
    streams.setUncaughtExceptionHandler(e -> {
      Optional<String> login = KafkaAuthentication.describeFailure(config.bootstrapServers(), e);
      if (login.isPresent()) {
        // A refused login does not heal by replacing the thread: stop, and say why.
        LOG.error("{}; stopping the scorer", login.get());
        failure.compareAndSet(null, login.get());
        return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.SHUTDOWN_CLIENT;
      }
      LOG.error("stream thread failed; replacing it", e);
      metrics.streamThreadFailed();
      health.threadFailed();
      return StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD;
    });
    streams.setStateListener((now, before) -> {
      LOG.info("scorer state {} -> {}", before, now);
      if (now == KafkaStreams.State.ERROR) {
        failure.compareAndSet(null, "Kafka Streams stopped on an error (see the log)");
        failed.set(true);
        stopped.countDown();
      }
    });
    // Kafka's metrics appear as its clients start (the consumers' lag once they fetch): look for
    // new ones every 15 s rather than Micrometer's default minute.
    this.kafkaMetricsRefresh = java.util.concurrent.Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ctr-kafka-metrics-refresh");
      t.setDaemon(true);
      return t;
    });
    this.streamsMetrics = new KafkaStreamsMetrics(streams, List.of(), kafkaMetricsRefresh, KAFKA_METRICS_REFRESH);
    streamsMetrics.bindTo(metrics.registry());
    bindServiceGauges(metrics.registry());
  }

  /**
   * JVM and process meters ({@link ProcessMetrics}) and what only the app knows: readiness, the
   * served model's age, pending impressions, the RocksDB cache.
   */
  private void bindServiceGauges(MeterRegistry registry) {
    processMetrics.bindTo(registry);
    Gauge.builder("ctr.ready", this, a -> a.health.ready().ok() ? 1 : 0)
        .description("1 while /health/ready answers 200").register(registry);
    Gauge.builder("ctr.model.age", this, ScorerApp::modelAgeSeconds).baseUnit("seconds")
        .description("seconds since the served release was created (NaN while the prior is served)")
        .register(registry);
    Gauge.builder("ctr.pending.impressions", this, ScorerApp::pendingImpressions)
        .description("impressions of this instance's tasks awaiting their rating (RocksDB estimate)")
        .register(registry);
    Gauge.builder("ctr.rocksdb.cache.usage", () -> BoundedRocksDbConfig.usage(config.rocksDbMemoryBytes())
            .map(u -> (double) u.usageBytes()).orElse(Double.NaN)).baseUnit("bytes")
        .description("bytes in the shared RocksDB block cache, memtables included").register(registry);
    Gauge.builder("ctr.rocksdb.cache.capacity", () -> BoundedRocksDbConfig.usage(config.rocksDbMemoryBytes())
            .map(u -> (double) u.capacityBytes()).orElse(Double.NaN)).baseUnit("bytes")
        .description("the bound of the shared RocksDB cache (rocksdb.memory.bytes)").register(registry);
  }

  private double modelAgeSeconds() {
    String served = modelVersion();
    return liveModel().filter(m -> m.version().equals(served))
        .map(m -> (System.currentTimeMillis() - m.createdAt()) / 1000.0)
        .orElse(Double.NaN);
  }

  private double pendingImpressions() {
    if (streams.state() != KafkaStreams.State.RUNNING) {
      return Double.NaN;
    }
    try {
      return streams.store(StoreQueryParameters.fromNameAndType(StoreNames.PENDING,
          QueryableStoreTypes.<String, Object>keyValueStore())).approximateNumEntries();
    } catch (RuntimeException e) {
      return Double.NaN; // migrating or rebalancing
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The whole service of {@code config}: Streams, release follower, HTTP, Prometheus metrics. */
  public static ScorerApp service(ScorerConfig config) {
    return builder().setConfig(config).build();
  }

  /** Logs the configuration once and starts: HTTP, then the follower (bounded catch-up), then Streams. */
  public void start() {
    config.log(LOG);
    if (http != null) {
      http.start();
    }
    if (follower != null) {
      follower.start();
      try {
        if (!follower.awaitCaughtUp(CATCH_UP_WAIT)) {
          LOG.warn("model releases not read within {} s; starting with {} and swapping when they arrive",
              CATCH_UP_WAIT.toSeconds(), modelVersion());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      streams.start();
    } catch (RuntimeException e) {
      // e.g. the global store's thread refused at login: start() throws, nothing was replaced
      KafkaAuthentication.describeFailure(config.bootstrapServers(), e).ifPresent(login -> {
        LOG.error("{}; the scorer does not start", login);
        failure.compareAndSet(null, login);
      });
      throw e;
    }
  }

  /**
   * The service's life: starts, registers a shutdown hook that closes everything, and blocks
   * until the hook runs or Streams fails.
   *
   * @return 0 after a shutdown, 1 when Kafka Streams stopped on an error
   */
  public int run() {
    Thread hook = new Thread(this::close, "ctr-scorer-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    start();
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    close();
    return failed.get() ? 1 : 0;
  }

  /**
   * Why Kafka Streams stopped on an error, in words (e.g. {@code authentication to ... failed:
   * ...}); empty while it did not.
   */
  public Optional<String> failure() {
    return Optional.ofNullable(failure.get());
  }

  /** Waits until {@link #close()} or a Streams error; true when that happened within {@code timeout}. */
  public boolean awaitStop(Duration timeout) throws InterruptedException {
    return stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The Kafka Streams client (state, interactive queries, metrics). */
  public KafkaStreams streams() {
    return streams;
  }

  /** The configuration in force (with the bound HTTP port when 0 was asked for). */
  public ScorerConfig config() {
    return config;
  }

  public ScorerMetrics metrics() {
    return metrics;
  }

  public ModelProvider models() {
    return models;
  }

  /** The bound HTTP port; empty without HTTP. */
  public Optional<Integer> httpPort() {
    return Optional.ofNullable(http).map(ScorerHttpServer::port);
  }

  /** Liveness and readiness, as {@code /health/live} and {@code /health/ready} answer them. */
  public ScorerHealth health() {
    return health;
  }

  /**
   * Whether the release follower runs (for health checks); empty when this app has none (the
   * topology alone, in tests).
   */
  public Optional<Boolean> releaseFollowerAlive() {
    return follower == null ? Optional.empty() : Optional.of(follower.isAlive());
  }

  /** What {@code GET /model} says of the live release: version, parent, release time, age, pin. */
  static Map<String, Object> releaseInfo(LoadedModel m) {
    Map<String, Object> r = new java.util.LinkedHashMap<>();
    r.put("version", m.version());
    String parent = m.manifest().parentVersion() != null ? m.manifest().parentVersion() : m.release().parentVersion();
    r.put("parent", parent);
    r.put("releasedAt", m.createdAt());
    r.put("ageSeconds", Math.max(0L, (System.currentTimeMillis() - m.createdAt()) / 1000L));
    r.put("pinned", m.release().markedPinned());
    return r;
  }

  /** The release installed by the follower, if any. */
  public Optional<LoadedModel> liveModel() {
    return follower == null ? Optional.empty() : follower.live();
  }

  /** The version served now ("prior" before any release). */
  public String modelVersion() {
    if (models instanceof SwappableModelProvider s) {
      return s.currentVersion();
    }
    return liveModel().map(LoadedModel::version).orElse("unknown");
  }

  private KafkaStreams.State streamsState() {
    return streams.state();
  }

  private UserStateQuery.Result lookupUser(String userId) {
    return users.lookup(userId);
  }

  private String scrape() {
    if (metrics.registry() instanceof PrometheusMeterRegistry p) {
      return p.scrape();
    }
    return "# the scorer's meter registry is " + metrics.registry().getClass().getSimpleName()
        + ", not Prometheus\n";
  }

  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    LOG.info("scorer stopping");
    if (http != null) {
      http.close();
    }
    if (scoring != null) {
      scoring.close();
    }
    streams.close(Duration.ofSeconds(30));
    streamsMetrics.close();
    kafkaMetricsRefresh.shutdownNow();
    processMetrics.close();
    errors.close();
    if (follower != null) {
      follower.close();
    }
    stopped.countDown();
    LOG.info("scorer stopped");
  }

  /**
   * Creates the topics of {@code topics} that do not exist yet (partitions and cleanup policy from
   * the registry), with the scorer's client settings.
   *
   * @return the names created now
   */
  public static Set<String> createMissingTopics(ScorerConfig config, Topics topics, short replicationFactor) {
    Properties p = new Properties();
    p.putAll(config.kafkaClientProperties());
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(AdminClientConfig.CLIENT_ID_CONFIG, config.applicationId() + "-topic-setup");
    Set<String> created = new TreeSet<>();
    try (Admin admin = Admin.create(p)) {
      Set<String> existing = admin.listTopics().names().get(60, TimeUnit.SECONDS);
      for (NewTopic t : topics.newTopics(replicationFactor)) {
        if (existing.contains(t.name())) {
          continue;
        }
        try {
          admin.createTopics(List.of(t)).all().get(60, TimeUnit.SECONDS);
          created.add(t.name());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException("cannot create topic " + t.name() + ": " + e.getCause().getMessage(), e);
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (ExecutionException | TimeoutException e) {
      throw new IllegalStateException("cannot list topics at " + config.bootstrapServers() + ": " + e, e);
    }
    LOG.info("topics created: {}", created.isEmpty() ? "none (all existed)" : created);
    return created;
  }

  /** Builder: {@code setConfig} required; the rest defaults to the full service. */
  public static final class Builder {
    private ScorerConfig config;
    private ModelProvider models;
    private ScorerMetrics metrics;
    private boolean follow = true;
    private boolean http = true;

    private Builder() {}

    public Builder setConfig(ScorerConfig config) {
      this.config = config;
      return this;
    }

    /** The model source; default a {@link SwappableModelProvider} on the configured prior. */
    public Builder optModels(ModelProvider models) {
      this.models = models;
      return this;
    }

    /** Where meters go; default {@link ScorerMetrics#prometheus()} (what /metrics shows). */
    public Builder optMetrics(ScorerMetrics metrics) {
      this.metrics = metrics;
      return this;
    }

    /** Whether to follow {@code model-releases} (needs a swappable provider); default true. */
    public Builder optFollowReleases(boolean follow) {
      this.follow = follow;
      return this;
    }

    /** Whether to serve HTTP on {@code http.host}:{@code http.port}; default true. */
    public Builder optHttp(boolean http) {
      this.http = http;
      return this;
    }

    public ScorerApp build() {
      Objects.requireNonNull(config, "config not set: call setConfig");
      return new ScorerApp(this);
    }
  }
}
