package io.ctrstream.streams.config;

import io.ctrstream.dien.release.BundleUriPolicy;
import io.ctrstream.schemas.Topics;
import io.ctrstream.streams.errors.DeadLetterExceptionHandlers;
import io.ctrstream.streams.errors.SafeTimestampExtractor;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

import org.slf4j.Logger;

/**
 * Everything the scorer can be told, in one immutable record: defaults, overridden by a
 * properties file, overridden by environment variables ({@code history.length} is {@code
 * CTR_HISTORY_LENGTH}; {@code CTR_NUM_STANDBY_REPLICAS} is also read, as docker-compose names it).
 * Validated on construction, so a bad value stops the service at start
 * with a message that says what to change. {@link #log(Logger)} prints it once at start.
 *
 * @param bootstrapServers Kafka brokers to connect to, host:port[,host:port]
 * @param applicationId Kafka Streams application id: consumer group, and prefix of internal topics
 * @param topicPrefix prefix of every topic name, so several deployments can share a cluster
 * @param stateDir where RocksDB state lives on local disk
 * @param historyLength N, the number of recent highly rated movies kept per user (10 in DIEN)
 * @param batchSize impressions scored together; a full batch is scored at once
 * @param maxBatchWaitMs longest an impression waits in a partial batch (wall clock)
 * @param pendingWindowMs how long a scored impression waits for its rating (event time)
 * @param processingGuarantee exactly_once_v2 or at_least_once
 * @param streamThreads stream threads in this instance (each has its own scorer per task)
 * @param standbyReplicas warm copies of each task's state on other instances
 * @param rocksDbMemoryBytes bound on RocksDB off-heap memory (block cache + memtables), whole instance
 * @param httpHost address of the HTTP endpoint (health, metrics, queries)
 * @param httpPort port of the HTTP endpoint
 * @param priorProbability the score served while no model has been released
 * @param maxValueBytes larger input values are dead-lettered unread
 * @param modelName the model whose releases this scorer follows (the key in {@code model-releases})
 * @param httpAdvertisedHost the host other instances and clients reach this one at ({@code
 *     application.server}); empty: {@code http.host}, or this machine's name when that is a wildcard
 * @param kafkaPropertiesFile a Kafka client properties file (SASL/SSL ...) given to every client; empty: none
 * @param commitIntervalMs how often Kafka Streams commits (under exactly-once: how long a score
 *     waits before a read_committed consumer sees it)
 * @param compressionType compression of what the scorer produces (scores, feedback, changelogs):
 *     none, lz4, zstd, snappy or gzip. None by default: at scoring rates the producer's batches
 *     are small, and lz4 allocated a 64 KiB block buffer for each one (30% of the heap churn in
 *     {@code ./ctr bench scoring}); compress where network or disk bytes cost more than latency
 * @param maxKeyBytes larger input keys are dead-lettered unread (a key is a userId or movieId)
 * @param deadLetterMaxPayloadBytes what a dead letter keeps of the original key and of the
 *     original value (each); their length and sha256 are always kept
 * @param eventTimeMaxFutureMs event timestamps further than this ahead of the wall clock are
 *     dead-lettered
 * @param eventTimeEarliestMs event timestamps before this epoch ms are dead-lettered
 * @param readyRebalancingGraceMs how long readiness tolerates REBALANCING before it answers 503
 * @param readyThreadFailureWindowMs readiness answers 503 while two or more stream threads failed
 *     within this window (a thread that keeps dying)
 * @param releaseUriAllowed comma-separated places a release's {@code bundleUri} may point at
 *     ({@code file:/dir/} directories, {@code https://host/path/} prefixes); empty (the default):
 *     no URI at all, only inline bundles
 * @param releaseMaxBundleBytes largest model bundle accepted, inline or fetched (what it unpacks
 *     to may be 4 times this); larger releases are refused as they stream
 * @param releasePublicKey Ed25519 public key file (X.509, PEM or DER); when set, only releases
 *     signed by its private key are served; empty: signatures are not checked
 * @param userRetentionMs a user with no event (profile, impression or rating) for this long, in
 *     event time, is forgotten: state, rated movies and their changelog records are deleted; 0
 *     keeps every user for ever
 * @param sessionTimeoutMs the main consumer's {@code session.timeout.ms}: how long an instance
 *     that died (or stopped without leaving) keeps its partitions before the group moves them
 * @param instanceId static group membership ({@code group.instance.id}, one per stream thread
 *     with the thread's index appended): an instance restarted with the same id within the session
 *     timeout takes its partitions back at once, without a rebalance; empty: dynamic membership
 * @param ratingPositiveThreshold a rating at or above this is a positive: label 1 in its feedback,
 *     an entry of the user's history, a high rating in the user's and the movie's counts
 * @param clicksFeedback whether clicks are read and every scored impression is attributed: a
 *     click within {@code attribution.window.ms} gives a positive feedback example (source {@code
 *     click}), no click a negative one (source {@code non_click}); off by default, when the
 *     {@code clicks} topic is not read and only ratings give feedback
 * @param attributionWindowMs how long after its event time a scored impression can be clicked
 *     (event time); used only when {@code feedback.clicks} is on
 * @param scoreMaxCandidates most candidates one {@code POST /score} request may ask for; more
 *     are refused with 413 (one request is one model call, so this bounds its memory and time)
 */
public record ScorerConfig(
    String bootstrapServers,
    String applicationId,
    String topicPrefix,
    String stateDir,
    int historyLength,
    int batchSize,
    long maxBatchWaitMs,
    long pendingWindowMs,
    String processingGuarantee,
    int streamThreads,
    int standbyReplicas,
    long rocksDbMemoryBytes,
    String httpHost,
    int httpPort,
    double priorProbability,
    int maxValueBytes,
    String modelName,
    String httpAdvertisedHost,
    String kafkaPropertiesFile,
    long commitIntervalMs,
    String compressionType,
    int maxKeyBytes,
    int deadLetterMaxPayloadBytes,
    long eventTimeMaxFutureMs,
    long eventTimeEarliestMs,
    long readyRebalancingGraceMs,
    long readyThreadFailureWindowMs,
    String releaseUriAllowed,
    long releaseMaxBundleBytes,
    String releasePublicKey,
    long userRetentionMs,
    long sessionTimeoutMs,
    String instanceId,
    double ratingPositiveThreshold,
    boolean clicksFeedback,
    long attributionWindowMs,
    int scoreMaxCandidates) {

  /** Streams property under which the RocksDB bound reaches {@link BoundedRocksDbConfig}. */
  public static final String ROCKSDB_MEMORY_PROPERTY = "ctr.rocksdb.memory.bytes";

  /** One setting: property key, one-line description, default. The env name is derived. */
  public record Setting(String key, String description, String defaultValue) {
    /** {@code history.length} is read from {@code CTR_HISTORY_LENGTH}. */
    public String envName() {
      return "CTR_" + key.toUpperCase(Locale.ROOT).replace('.', '_');
    }
  }

  /** 1995-01-01T00:00:00Z: no MovieLens event is older. */
  public static final long EARLIEST_DEFAULT_MS = 788_918_400_000L;

  /** Every setting, in record order. */
  public static final List<Setting> SETTINGS =
      List.of(
          new Setting("bootstrap.servers", "Kafka brokers, host:port[,host:port]", "localhost:9092"),
          new Setting("application.id", "Kafka Streams application id (group, internal topic prefix)", "ctr-scorer"),
          new Setting("topic.prefix", "prefix of every topic name", ""),
          new Setting("state.dir", "local directory of RocksDB state",
              Path.of(System.getProperty("java.io.tmpdir"), "ctr-scorer-state").toString()),
          new Setting("history.length", "recent highly rated movies kept per user (N)", "10"),
          new Setting("batch.size", "impressions scored together", "128"),
          new Setting("batch.max.wait.ms", "longest wait of an impression in a partial batch (wall clock)", "50"),
          new Setting("pending.window.ms", "how long a scored impression waits for its rating (event time)", "3600000"),
          new Setting("processing.guarantee", "exactly_once_v2 or at_least_once", StreamsConfig.EXACTLY_ONCE_V2),
          new Setting("stream.threads", "stream threads in this instance", "1"),
          new Setting("standby.replicas", "warm state copies on other instances", "0"),
          new Setting("rocksdb.memory.bytes", "RocksDB off-heap bound (cache + memtables) per instance", Long.toString(256L << 20)),
          new Setting("http.host", "HTTP endpoint address", "127.0.0.1"),
          new Setting("http.port", "HTTP endpoint port", "8080"),
          new Setting("prior.probability", "score served while no model is released", "0.5"),
          new Setting("max.value.bytes", "input values larger than this are dead-lettered", Integer.toString(64 * 1024)),
          new Setting("model.name", "model whose releases are followed (key in model-releases)", "dien"),
          new Setting("http.advertised.host", "host others reach this instance at; empty: http.host or hostname", ""),
          new Setting("kafka.properties", "Kafka client properties file (SASL/SSL) for every client; empty: none", ""),
          new Setting("commit.interval.ms", "Kafka Streams commit interval; under exactly-once the floor of score latency", "100"),
          new Setting("compression.type", "compression of scores, feedback and changelogs: none, lz4, zstd, snappy, gzip", "none"),
          new Setting("max.key.bytes", "input keys larger than this are dead-lettered", "1024"),
          new Setting("dead.letter.max.payload.bytes", "bytes of the original key and of the value a dead letter keeps (each)", Integer.toString(16 * 1024)),
          new Setting("event.time.max.future.ms", "event timestamps further ahead of the wall clock are dead-lettered", Long.toString(86_400_000L)),
          new Setting("event.time.earliest.ms", "event timestamps before this epoch ms are dead-lettered (1995-01-01)", Long.toString(EARLIEST_DEFAULT_MS)),
          new Setting("ready.rebalancing.grace.ms", "how long /health/ready tolerates REBALANCING", "120000"),
          new Setting("ready.thread.failure.window.ms", "/health/ready is 503 while 2+ stream threads failed within this window", "300000"),
          new Setting("release.uri.allowed", "places a release bundleUri may point at (file:/dir/, https://host/path/, comma-separated); empty: inline bundles only", ""),
          new Setting("release.max.bundle.bytes", "largest model bundle accepted, inline or fetched (refused while streaming)", Long.toString(64L << 20)),
          new Setting("release.public.key", "Ed25519 public key file (X.509 PEM/DER); set: only releases signed by its private key; empty: not checked", ""),
          new Setting("user.retention.ms", "users with no event for this long (event time) are forgotten; 0: kept for ever",
              Long.toString(Duration.ofDays(90).toMillis())),
          new Setting("session.timeout.ms", "how long a dead instance keeps its partitions before they move (main consumer)", "45000"),
          new Setting("instance.id", "static group membership id, unique and stable per instance (e.g. the pod name); empty: dynamic", ""),
          new Setting("rating.positive.threshold", "ratings at or above this are positives (label 1, history, high-rating counts)", "4"),
          new Setting("feedback.clicks", "read clicks: each scored impression gives a click (label 1) or non_click (label 0) example", "false"),
          new Setting("attribution.window.ms", "how long after an impression (event time) a click counts; then it is a non-click",
              Long.toString(Duration.ofMinutes(30).toMillis())),
          new Setting("score.max.candidates", "most candidates one POST /score request may ask for (more: 413)", "500"));

  /** Values of {@code compression.type}. */
  public static final List<String> COMPRESSION_TYPES = List.of("none", "lz4", "zstd", "snappy", "gzip");

  /** Other environment names read for a setting, as deployments already spell them. */
  public static final Map<String, String> ENV_ALIASES = Map.of("CTR_NUM_STANDBY_REPLICAS", "standby.replicas");

  public ScorerConfig {
    List<String> problems = new ArrayList<>();
    requireText(problems, "bootstrap.servers", bootstrapServers);
    requireText(problems, "application.id", applicationId);
    requireText(problems, "state.dir", stateDir);
    requireText(problems, "http.host", httpHost);
    requireText(problems, "model.name", modelName);
    if (httpAdvertisedHost == null || httpAdvertisedHost.contains(":") && !httpAdvertisedHost.startsWith("[")) {
      problems.add("http.advertised.host must be a host name without port (\"\" for the default), got "
          + httpAdvertisedHost);
    }
    if (kafkaPropertiesFile == null) {
      problems.add("kafka.properties must not be null; use \"\" for none");
    }
    if (topicPrefix == null) {
      problems.add("topic.prefix must not be null; use \"\" for none");
    } else {
      try {
        Topics.withPrefix(topicPrefix);
      } catch (IllegalArgumentException e) {
        problems.add("topic." + e.getMessage());
      }
    }
    positive(problems, "history.length", historyLength);
    positive(problems, "batch.size", batchSize);
    positive(problems, "batch.max.wait.ms", maxBatchWaitMs);
    positive(problems, "commit.interval.ms", commitIntervalMs);
    positive(problems, "pending.window.ms", pendingWindowMs);
    positive(problems, "stream.threads", streamThreads);
    positive(problems, "session.timeout.ms", sessionTimeoutMs);
    if (instanceId == null || !instanceId.equals(instanceId.strip()) || instanceId.length() > 200) {
      problems.add("instance.id must be at most 200 characters without surrounding spaces (empty: dynamic"
          + " membership), got \"" + instanceId + "\"");
    }
    if (userRetentionMs < 0) {
      problems.add("user.retention.ms must be >= 0 (0: users are kept for ever), got " + userRetentionMs);
    }
    if (!(ratingPositiveThreshold >= 0.5 && ratingPositiveThreshold <= 5)) {
      problems.add("rating.positive.threshold must be in [0.5, 5] (ratings are 0.5 to 5 stars), got "
          + ratingPositiveThreshold);
    }
    positive(problems, "attribution.window.ms", attributionWindowMs);
    if (standbyReplicas < 0) {
      problems.add("standby.replicas must be >= 0, got " + standbyReplicas);
    }
    if (rocksDbMemoryBytes < (16L << 20)) {
      problems.add("rocksdb.memory.bytes must be >= 16 MiB (16777216), got " + rocksDbMemoryBytes);
    }
    if (httpPort < 0 || httpPort > 65535) {
      problems.add("http.port must be 0..65535 (0: any free port), got " + httpPort);
    }
    if (!(priorProbability > 0 && priorProbability < 1)) {
      problems.add("prior.probability must be in (0, 1), got " + priorProbability);
    }
    if (maxValueBytes < 1024) {
      problems.add("max.value.bytes must be >= 1024, got " + maxValueBytes);
    }
    if (scoreMaxCandidates < 1 || scoreMaxCandidates > 100_000) {
      problems.add("score.max.candidates must be in [1, 100000], got " + scoreMaxCandidates);
    }
    if (maxKeyBytes < 64 || maxKeyBytes > maxValueBytes) {
      problems.add("max.key.bytes must be in [64, max.value.bytes " + maxValueBytes + "], got " + maxKeyBytes);
    }
    if (deadLetterMaxPayloadBytes < 256 || deadLetterMaxPayloadBytes > 256 * 1024) {
      problems.add("dead.letter.max.payload.bytes must be in [256, 262144] (a dead letter must stay far below the "
          + "producer's max.request.size), got " + deadLetterMaxPayloadBytes);
    }
    positive(problems, "event.time.max.future.ms", eventTimeMaxFutureMs);
    if (eventTimeEarliestMs < 0) {
      problems.add("event.time.earliest.ms must be >= 0, got " + eventTimeEarliestMs);
    }
    if (readyRebalancingGraceMs < 0) {
      problems.add("ready.rebalancing.grace.ms must be >= 0, got " + readyRebalancingGraceMs);
    }
    positive(problems, "ready.thread.failure.window.ms", readyThreadFailureWindowMs);
    if (!StreamsConfig.EXACTLY_ONCE_V2.equals(processingGuarantee)
        && !StreamsConfig.AT_LEAST_ONCE.equals(processingGuarantee)) {
      problems.add("processing.guarantee must be exactly_once_v2 or at_least_once, got " + processingGuarantee);
    }
    if (!COMPRESSION_TYPES.contains(compressionType)) {
      problems.add("compression.type must be one of " + String.join(", ", COMPRESSION_TYPES) + ", got "
          + compressionType);
    }
    if (releaseUriAllowed == null) {
      problems.add("release.uri.allowed must not be null; use \"\" for none");
    } else {
      try {
        BundleUriPolicy.parse(releaseUriAllowed);
      } catch (IllegalArgumentException e) {
        problems.add("release.uri.allowed: " + e.getMessage());
      }
    }
    if (releaseMaxBundleBytes < 1024) {
      problems.add("release.max.bundle.bytes must be >= 1024, got " + releaseMaxBundleBytes);
    }
    if (releasePublicKey == null) {
      problems.add("release.public.key must not be null; use \"\" for none");
    } else if (!releasePublicKey.isEmpty() && !Files.isReadable(Path.of(releasePublicKey))) {
      problems.add("release.public.key " + releasePublicKey + " is not a readable file");
    }
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException("invalid scorer configuration: " + String.join("; ", problems));
    }
  }

  /** The defaults alone. */
  public static ScorerConfig defaults() {
    return fromMap(Map.of());
  }

  /** Defaults, then {@code propertiesFile} (when not null), then the process environment. */
  public static ScorerConfig load(Path propertiesFile) throws IOException {
    return load(propertiesFile, System.getenv());
  }

  /** Defaults, then {@code propertiesFile} (when not null), then {@code env}. */
  public static ScorerConfig load(Path propertiesFile, Map<String, String> env) throws IOException {
    Map<String, String> values = new LinkedHashMap<>();
    if (propertiesFile != null) {
      Properties p = new Properties();
      try (Reader r = Files.newBufferedReader(propertiesFile, StandardCharsets.UTF_8)) {
        p.load(r);
      }
      for (String name : p.stringPropertyNames()) {
        if (SETTINGS.stream().noneMatch(s -> s.key().equals(name))) {
          throw new IllegalArgumentException("unknown setting \"" + name + "\" in " + propertiesFile
              + "; known: " + SETTINGS.stream().map(Setting::key).toList());
        }
        values.put(name, p.getProperty(name).trim());
      }
    }
    // An alias yields to the canonical name when both are set.
    ENV_ALIASES.forEach((envName, key) -> {
      String v = env.get(envName);
      if (v != null) {
        values.put(key, v.trim());
      }
    });
    for (Setting s : SETTINGS) {
      String v = env.get(s.envName());
      if (v != null) {
        values.put(s.key(), v.trim());
      }
    }
    return fromMap(values);
  }

  /** Defaults overridden by {@code values} (keys as in {@link #SETTINGS}). */
  public static ScorerConfig fromMap(Map<String, String> values) {
    Map<String, String> v = new LinkedHashMap<>();
    for (Setting s : SETTINGS) {
      v.put(s.key(), values.getOrDefault(s.key(), s.defaultValue()));
    }
    for (String key : values.keySet()) {
      if (!v.containsKey(key)) {
        throw new IllegalArgumentException("unknown setting \"" + key + "\"");
      }
    }
    return new ScorerConfig(
        v.get("bootstrap.servers"),
        v.get("application.id"),
        v.get("topic.prefix"),
        v.get("state.dir"),
        parseInt(v, "history.length"),
        parseInt(v, "batch.size"),
        parseLong(v, "batch.max.wait.ms"),
        parseLong(v, "pending.window.ms"),
        v.get("processing.guarantee"),
        parseInt(v, "stream.threads"),
        parseInt(v, "standby.replicas"),
        parseLong(v, "rocksdb.memory.bytes"),
        v.get("http.host"),
        parseInt(v, "http.port"),
        parseDouble(v, "prior.probability"),
        parseInt(v, "max.value.bytes"),
        v.get("model.name"),
        v.get("http.advertised.host"),
        v.get("kafka.properties"),
        parseLong(v, "commit.interval.ms"),
        v.get("compression.type"),
        parseInt(v, "max.key.bytes"),
        parseInt(v, "dead.letter.max.payload.bytes"),
        parseLong(v, "event.time.max.future.ms"),
        parseLong(v, "event.time.earliest.ms"),
        parseLong(v, "ready.rebalancing.grace.ms"),
        parseLong(v, "ready.thread.failure.window.ms"),
        v.get("release.uri.allowed"),
        parseLong(v, "release.max.bundle.bytes"),
        v.get("release.public.key"),
        parseLong(v, "user.retention.ms"),
        parseLong(v, "session.timeout.ms"),
        v.get("instance.id"),
        parseDouble(v, "rating.positive.threshold"),
        parseBoolean(v, "feedback.clicks"),
        parseLong(v, "attribution.window.ms"),
        parseInt(v, "score.max.candidates"));
  }

  /** A copy with some settings changed (keys as in {@link #SETTINGS}); for tests and tools. */
  public ScorerConfig with(Map<String, String> overrides) {
    Map<String, String> v = new LinkedHashMap<>(asMap());
    v.putAll(overrides);
    return fromMap(v);
  }

  /** The topic registry this configuration implies. */
  public Topics topics() {
    return Topics.withPrefix(topicPrefix);
  }

  /** Setting key to value, in record order. */
  public Map<String, String> asMap() {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("bootstrap.servers", bootstrapServers);
    m.put("application.id", applicationId);
    m.put("topic.prefix", topicPrefix);
    m.put("state.dir", stateDir);
    m.put("history.length", Integer.toString(historyLength));
    m.put("batch.size", Integer.toString(batchSize));
    m.put("batch.max.wait.ms", Long.toString(maxBatchWaitMs));
    m.put("pending.window.ms", Long.toString(pendingWindowMs));
    m.put("processing.guarantee", processingGuarantee);
    m.put("stream.threads", Integer.toString(streamThreads));
    m.put("standby.replicas", Integer.toString(standbyReplicas));
    m.put("rocksdb.memory.bytes", Long.toString(rocksDbMemoryBytes));
    m.put("http.host", httpHost);
    m.put("http.port", Integer.toString(httpPort));
    m.put("prior.probability", Double.toString(priorProbability));
    m.put("max.value.bytes", Integer.toString(maxValueBytes));
    m.put("model.name", modelName);
    m.put("http.advertised.host", httpAdvertisedHost);
    m.put("kafka.properties", kafkaPropertiesFile);
    m.put("commit.interval.ms", Long.toString(commitIntervalMs));
    m.put("compression.type", compressionType);
    m.put("max.key.bytes", Integer.toString(maxKeyBytes));
    m.put("dead.letter.max.payload.bytes", Integer.toString(deadLetterMaxPayloadBytes));
    m.put("event.time.max.future.ms", Long.toString(eventTimeMaxFutureMs));
    m.put("event.time.earliest.ms", Long.toString(eventTimeEarliestMs));
    m.put("ready.rebalancing.grace.ms", Long.toString(readyRebalancingGraceMs));
    m.put("ready.thread.failure.window.ms", Long.toString(readyThreadFailureWindowMs));
    m.put("release.uri.allowed", releaseUriAllowed);
    m.put("release.max.bundle.bytes", Long.toString(releaseMaxBundleBytes));
    m.put("release.public.key", releasePublicKey);
    m.put("user.retention.ms", Long.toString(userRetentionMs));
    m.put("session.timeout.ms", Long.toString(sessionTimeoutMs));
    m.put("instance.id", instanceId);
    m.put("rating.positive.threshold", Double.toString(ratingPositiveThreshold));
    m.put("feedback.clicks", Boolean.toString(clicksFeedback));
    m.put("attribution.window.ms", Long.toString(attributionWindowMs));
    m.put("score.max.candidates", Integer.toString(scoreMaxCandidates));
    return m;
  }

  /** Logs every setting with its description, once, at start. */
  public void log(Logger log) {
    StringBuilder sb = new StringBuilder("scorer configuration:");
    Map<String, String> values = asMap();
    for (Setting s : SETTINGS) {
      sb.append(System.lineSeparator()).append(String.format(Locale.ROOT, "  %-22s = %-28s # %s",
          s.key(), values.get(s.key()), s.description()));
    }
    log.info("{}", sb);
  }

  /**
   * The host:port other instances and clients reach this one's HTTP endpoint at: {@code
   * http.advertised.host}, else {@code http.host} unless it is a wildcard, else this machine's
   * name (a container's hostname in docker-compose).
   */
  public String advertisedEndpoint() {
    String host = httpAdvertisedHost;
    if (host.isEmpty()) {
      host = httpHost;
      if ("0.0.0.0".equals(host) || "::".equals(host) || "[::]".equals(host)) {
        try {
          host = java.net.InetAddress.getLocalHost().getHostName();
        } catch (java.net.UnknownHostException e) {
          throw new IllegalStateException("http.host is a wildcard and this machine's name cannot be "
              + "resolved; set http.advertised.host (CTR_HTTP_ADVERTISED_HOST)", e);
        }
      }
    }
    return host + ":" + httpPort;
  }

  /**
   * The Kafka client properties of {@code kafka.properties} (SASL, SSL, ...), empty when none is
   * configured. Applied to every client the scorer makes (streams, release follower, admin).
   *
   * @throws IllegalArgumentException when the file cannot be read
   */
  public Properties kafkaClientProperties() {
    Properties p = new Properties();
    if (!kafkaPropertiesFile.isEmpty()) {
      Path file = Path.of(kafkaPropertiesFile);
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(r);
      } catch (IOException e) {
        throw new IllegalArgumentException("kafka.properties file " + file + " cannot be read: " + e.getMessage(), e);
      }
    }
    return p;
  }

  /** Kafka Streams properties: guarantee, threads, standbys, bounded RocksDB, no record cache. */
  public Properties toStreamsProperties() {
    Properties p = new Properties();
    // Client security settings first; what the scorer sets itself below is not overridable.
    p.putAll(kafkaClientProperties());
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, processingGuarantee);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, streamThreads);
    p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, standbyReplicas);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, commitIntervalMs);
    p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbConfig.class);
    p.put(ROCKSDB_MEMORY_PROPERTY, Long.toString(rocksDbMemoryBytes));
    // Stores are written through: the micro-batch buffer must reach its changelog with the offsets.
    p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
    p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, advertisedEndpoint());
    // Heartbeats at most a third of the session apart (Kafka's default of 3 s for a 45 s session).
    p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG),
        (int) Math.min(Integer.MAX_VALUE, sessionTimeoutMs));
    p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG),
        (int) Math.max(100, Math.min(3_000, sessionTimeoutMs / 3)));
    if (!instanceId.isEmpty()) {
      p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), instanceId);
    }
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG),
        Math.max(1 << 20, maxValueBytes * 4));
    p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), compressionType);
    // A record with a broken timestamp must not stop the task: it takes the partition's time, or
    // the wall clock when the partition has none yet (its first record).
    p.put(StreamsConfig.DEFAULT_TIMESTAMP_EXTRACTOR_CLASS_CONFIG, SafeTimestampExtractor.class);
    // A record that cannot be read, processed or written goes to dead-letters (or is counted and
    // skipped); the stream thread goes on instead of dying on it again and again.
    p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterExceptionHandlers.Deserialization.class);
    p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterExceptionHandlers.Processing.class);
    p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterExceptionHandlers.Production.class);
    return p;
  }

  private static void requireText(List<String> problems, String key, String value) {
    if (value == null || value.isBlank()) {
      problems.add(key + " must not be empty");
    }
  }

  private static void positive(List<String> problems, String key, long value) {
    if (value <= 0) {
      problems.add(key + " must be > 0, got " + value);
    }
  }

  private static int parseInt(Map<String, String> v, String key) {
    try {
      return Integer.parseInt(v.get(key).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be an integer, got \"" + v.get(key) + "\"", e);
    }
  }

  private static long parseLong(Map<String, String> v, String key) {
    try {
      return Long.parseLong(v.get(key).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be an integer, got \"" + v.get(key) + "\"", e);
    }
  }

  private static boolean parseBoolean(Map<String, String> v, String key) {
    String value = v.get(key).trim().toLowerCase(Locale.ROOT);
    if (!value.equals("true") && !value.equals("false")) {
      throw new IllegalArgumentException(key + " must be true or false, got \"" + v.get(key) + "\"");
    }
    return Boolean.parseBoolean(value);
  }

  private static double parseDouble(Map<String, String> v, String key) {
    try {
      return Double.parseDouble(v.get(key).trim());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(key + " must be a number, got \"" + v.get(key) + "\"", e);
    }
  }
}
