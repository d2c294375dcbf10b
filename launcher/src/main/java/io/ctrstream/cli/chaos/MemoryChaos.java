package io.ctrstream.cli.chaos;

import io.ctrstream.cli.bench.BenchCluster;
import io.ctrstream.cli.bench.ScoringBenchmark;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.Rating;
import io.ctrstream.schemas.TopicSpec;
import io.ctrstream.schemas.Topics;
import io.ctrstream.schemas.UserProfile;
import io.ctrstream.streams.config.BoundedRocksDbConfig;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.SwappableModelProvider;
import io.ctrstream.streams.state.StoreNames;
import io.ctrstream.streams.topology.ScorerTopology;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Grows the users a scorer has seen step by step (10,000 to 1,000,000 by default) and measures,
 * after each step, what bounded state promises: the heap after a collection, the process's
 * resident memory, what RocksDB's shared cache holds (memtables included) against {@code
 * rocksdb.memory.bytes}, the bytes of the local state directory, the users forgotten by {@code
 * user.retention.ms}, and the step's throughput (events a second, producing to all processed).
 *
 * <p>The scorer runs in this process as the service does (its topology, {@link
 * ScorerConfig#toStreamsProperties()}, the bounded RocksDB setter), serving the prior so that the
 * figures are the state's, not a model's. Each new user sends a profile, some ratings (which grow
 * the user's state and rated-movie records) and some impressions (scored, reading the state). Each
 * step's events are stamped {@code days-per-step} days after the previous step's, ending now, so
 * users of old steps fall out of the retention as event time moves on.
 *
 * <p>Checks, each a failure when broken: RocksDB's usage stays within its bound (10% slack: the
 * cache does not evict pinned blocks); resident memory stays within the heap's maximum plus the
 * RocksDB bound plus {@code rss-allowance} (the JVM's own memory, and the broker's when it runs
 * in this process); the last step's throughput is at least {@code 1 - max-throughput-drop} of the
 * first measured step's; the users forgotten are between those whose last event is surely past
 * the retention and those whose first event might be; and the store holds exactly the users seen
 * less those forgotten.
 */
public final class MemoryChaos {
  private static final Logger LOG = LoggerFactory.getLogger(MemoryChaos.class);
  private static final double ROCKSDB_SLACK = 1.10;

  /** The figures after one step. */
  public record Step(String name, long usersSeen, long newUsers, long events, double seconds,
      double eventsPerSecond, long heapUsedBytes, long rssBytes, long rocksDbUsageBytes,
      long rocksDbPinnedBytes, long stateBytes, long usersStored, long usersForgotten,
      long eventTimeMs) {}

  /** The run: every step, the bounds, and the checks that failed (none: it passed). */
  public record Result(List<Step> steps, long rocksDbBoundBytes, long heapMaxBytes, long rssBoundBytes,
      long retentionMs, double throughputRatio, long forgottenAtLeast, long forgottenAtMost,
      List<String> failures, String cluster) {
    public boolean passed() {
      return failures.isEmpty();
    }
  }

  private final Builder b;

  private MemoryChaos(Builder b) {
    this.b = b;
  }

  public static Builder builder() {
    return new Builder();
  }

  public Result run() throws InterruptedException {
    Path stateRoot;
    try {
      stateRoot = Files.createTempDirectory("ctr-chaos-memory-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try (BenchCluster kafka = b.bootstrapServers == null
        ? BenchCluster.inProcess(EmbeddedKafka.builder()
            .optBrokerProperty("log.retention.bytes", Long.toString(256L << 20)))
        : BenchCluster.external(b.bootstrapServers, b.kafkaProperties, b.replicationFactor)) {
      return runOn(kafka, stateRoot);
    } finally {
      deleteTree(stateRoot);
    }
  }

  private Result runOn(BenchCluster kafka, Path stateRoot) throws InterruptedException {
    Topics topics = Topics.builder().optPrefix(kafka.namePrefix() + "-memory.")
        .optUserPartitions(b.partitions).build();
    kafka.createTopics(topics);
    Map<String, String> settings = new HashMap<>(Map.of(
        "bootstrap.servers", kafka.bootstrapServers(),
        "application.id", kafka.namePrefix() + "-memory-app",
        "topic.prefix", topics.prefix(),
        "state.dir", stateRoot.toString(),
        "rocksdb.memory.bytes", Long.toString(b.rocksDbMemoryBytes),
        "user.retention.ms", Long.toString(b.retention.toMillis()),
        "http.port", "0"));
    if (b.kafkaProperties != null) {
      settings.put("kafka.properties", b.kafkaProperties.toString());
    }
    ScorerConfig config = ScorerConfig.fromMap(settings);
    Properties props = config.toStreamsProperties();
    ScorerMetrics metrics = ScorerMetrics.inMemory();
    SwappableModelProvider models = new SwappableModelProvider(0.5, metrics);
    Map<String, Object> producerConfig = new HashMap<>(kafka.clientConfig());
    producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    producerConfig.put(ProducerConfig.BATCH_SIZE_CONFIG, 256 * 1024);
    producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
    Random random = new Random(b.seed);
    long heapMax = Runtime.getRuntime().maxMemory();
    long rssBound = heapMax + b.rocksDbMemoryBytes + b.rssAllowanceBytes;
    List<Long> targets = new ArrayList<>();
    if (b.warmUpUsers > 0) {
      targets.add((long) b.warmUpUsers);
    }
    b.userSteps.forEach(t -> targets.add(t + (b.warmUpUsers > 0 ? b.warmUpUsers : 0)));
    // Event time: the last step ends now; each earlier one starts days-per-step before the next.
    long stepMs = Duration.ofDays(b.daysPerStep).toMillis();
    long end = System.currentTimeMillis() - Duration.ofHours(1).toMillis();
    List<Long> stepTimes = new ArrayList<>();
    for (int i = 0; i < targets.size(); i++) {
      int fromLast = targets.size() - 1 - i;
      stepTimes.add(end - fromLast * stepMs);
    }

    List<Step> steps = new ArrayList<>();
    List<String> failures = new ArrayList<>();
    try (KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer());
        KafkaStreams streams = new KafkaStreams(ScorerTopology.build(config, models, metrics), props)) {
      topics.all().forEach(t -> producer.partitionsFor(t.name()));
      for (int m = 0; m < b.movies; m++) {
        String id = "cm" + m;
        send(producer, topics.movies(), id, new Movie(id, "Movie " + m, List.of(GENRES[m % GENRES.length])),
            stepTimes.get(0));
      }
      producer.flush();
      streams.start();
      long seen = 0;
      long ratingsSent = 0;
      long impressionsSent = 0;
      for (int i = 0; i < targets.size(); i++) {
        boolean warmUp = b.warmUpUsers > 0 && i == 0;
        String name = warmUp ? "warm-up" : Long.toString(targets.get(i) - (b.warmUpUsers > 0 ? b.warmUpUsers : 0));
        long newUsers = targets.get(i) - seen;
        long base = stepTimes.get(i);
        long events = newUsers * (1 + b.ratingsPerUser + b.impressionsPerUser);
        b.progress.begin("users " + (warmUp ? "warm-up" : "to " + name), events);
        long begin = System.nanoTime();
        long sent = 0;
        for (long k = 0; k < newUsers; k++) {
          String user = "cu" + (seen + k);
          long ts = base + k; // one ms per user: event time moves on within the step too
          send(producer, topics.users(), user, new UserProfile(user, k % 2 == 0 ? "F" : "M",
              18 + (int) (k % 50), "other", String.format(java.util.Locale.ROOT, "%05d", k % 100_000)), ts);
          for (int r = 0; r < b.ratingsPerUser; r++) {
            String movie = "cm" + random.nextInt(b.movies);
            send(producer, topics.ratings(), user,
                new Rating(user, movie, 1.0 + random.nextInt(5), ts), ts);
          }
          for (int j = 0; j < b.impressionsPerUser; j++) {
            String movie = "cm" + random.nextInt(b.movies);
            send(producer, topics.impressions(), user,
                new Impression("ci" + (seen + k) + "-" + j, user, movie, ts), ts);
          }
          sent += 1 + b.ratingsPerUser + b.impressionsPerUser;
          if ((k & 1023) == 0) {
            b.progress.update(processed(metrics, seen + k, ratingsSent, impressionsSent, sent));
          }
        }
        producer.flush();
        ratingsSent += newUsers * b.ratingsPerUser;
        impressionsSent += newUsers * b.impressionsPerUser;
        long ratingsTarget = ratingsSent;
        long impressionsTarget = impressionsSent;
        awaitCount(events, () -> {
          long r = Math.min(ratingsTarget, (long) counted(metrics, "ctr.feedback"));
          long s = Math.min(impressionsTarget, (long) counted(metrics, "ctr.scores"));
          // Profiles are not counted by a meter; they are done when the ratings after them are.
          long done = (r - (ratingsTarget - newUsers * b.ratingsPerUser))
              + (s - (impressionsTarget - newUsers * b.impressionsPerUser));
          return r >= ratingsTarget && s >= impressionsTarget ? events : Math.max(0, done);
        });
        double seconds = (System.nanoTime() - begin) / 1e9;
        b.progress.end();
        seen = targets.get(i);
        Step step = measure(name, seen, newUsers, events, seconds, streams, metrics, stateRoot, base);
        steps.add(step);
        LOG.info("{} users: {} events in {} s ({}/s); heap {} MiB, RSS {} MiB, RocksDB {} MiB of {}"
                + " MiB, state {} MiB, users stored {}, forgotten {}", name, events,
            Math.round(seconds), Math.round(step.eventsPerSecond()), mib(step.heapUsedBytes()),
            mib(step.rssBytes()), mib(step.rocksDbUsageBytes()), mib(b.rocksDbMemoryBytes),
            mib(step.stateBytes()), step.usersStored(), step.usersForgotten());
        if (step.usersStored() != step.usersSeen() - step.usersForgotten()) {
          failures.add(String.format(java.util.Locale.ROOT,
              "after %s users the store held %d users, not the %d seen less the %d forgotten", name,
              step.usersStored(), step.usersSeen(), step.usersForgotten()));
        }
        if (step.rocksDbUsageBytes() > b.rocksDbMemoryBytes * ROCKSDB_SLACK) {
          failures.add(String.format(java.util.Locale.ROOT,
              "after %s users RocksDB held %d MiB, over its bound of %d MiB", name,
              mib(step.rocksDbUsageBytes()), mib(b.rocksDbMemoryBytes)));
        }
        if (step.rssBytes() > rssBound) {
          failures.add(String.format(java.util.Locale.ROOT,
              "after %s users the resident memory was %d MiB, over %d MiB (heap max + RocksDB bound"
                  + " + allowance)", name, mib(step.rssBytes()), mib(rssBound)));
        }
      }
      streams.close(Duration.ofSeconds(30));
      streams.cleanUp();
    }

    List<Step> measured = steps.stream().filter(s -> !s.name().equals("warm-up")).toList();
    double ratio = measured.size() < 2 ? 1.0
        : measured.get(measured.size() - 1).eventsPerSecond() / measured.get(0).eventsPerSecond();
    if (ratio < 1 - b.maxThroughputDrop) {
      failures.add(String.format(java.util.Locale.ROOT,
          "throughput fell to %.2f of the first step's (at most a %.0f%% drop allowed)", ratio,
          b.maxThroughputDrop * 100));
    }
    long[] expected = expectedForgotten(targets, stepTimes);
    long forgotten = steps.isEmpty() ? 0 : steps.get(steps.size() - 1).usersForgotten();
    if (forgotten < expected[0] || forgotten > expected[1]) {
      failures.add(String.format(java.util.Locale.ROOT,
          "%d users forgotten; the retention of %d days should forget between %d and %d",
          forgotten, b.retention.toDays(), expected[0], expected[1]));
    }
    return new Result(steps, b.rocksDbMemoryBytes, heapMax, rssBound, b.retention.toMillis(), ratio,
        expected[0], expected[1], failures, kafka.describe());
  }

  /**
   * Users surely forgotten by the end (their last event, plus the retention, plus one activity
   * step, is before the last step's first event) and those possibly forgotten (their first event
   * plus the retention is before the last step's last event).
   */
  private long[] expectedForgotten(List<Long> targets, List<Long> stepTimes) {
    if (b.retention.isZero() || targets.isEmpty()) {
      return new long[] {0, 0};
    }
    long retention = b.retention.toMillis();
    long activityStep = Math.max(1, retention / 100);
    int last = targets.size() - 1;
    long lastFirst = stepTimes.get(last);
    long lastLast = lastFirst + targets.get(last) - (last == 0 ? 0 : targets.get(last - 1));
    long atLeast = 0;
    long atMost = 0;
    long seen = 0;
    for (int i = 0; i < last; i++) {
      long users = targets.get(i) - seen;
      long first = stepTimes.get(i);
      long lastEvent = first + users - 1;
      if (lastEvent + retention + activityStep <= lastFirst) {
        atLeast += users;
      }
      if (first + retention <= lastLast) {
        atMost += users;
      }
      seen = targets.get(i);
    }
    return new long[] {atLeast, atMost};
  }

  private Step measure(String name, long seen, long newUsers, long events, double seconds,
      KafkaStreams streams, ScorerMetrics metrics, Path stateRoot, long eventTime) {
    System.gc();
    long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
    Optional<BoundedRocksDbConfig.Usage> rocks = BoundedRocksDbConfig.usage(b.rocksDbMemoryBytes);
    long stored = -1;
    // Counted one by one: RocksDB's estimate was off by half or more after deletes.
    try (KeyValueIterator<String, Object> all = streams.store(StoreQueryParameters.fromNameAndType(
        StoreNames.USER_STATE, QueryableStoreTypes.<String, Object>keyValueStore())).all()) {
      stored = 0;
      while (all.hasNext()) {
        all.next();
        stored++;
      }
    } catch (RuntimeException e) {
      LOG.warn("could not count the stored users: {}", e.getMessage());
    }
    return new Step(name, seen, newUsers, events, seconds, events / Math.max(1e-9, seconds), heap,
        residentBytes(), rocks.map(BoundedRocksDbConfig.Usage::usageBytes).orElse(0L),
        rocks.map(BoundedRocksDbConfig.Usage::pinnedBytes).orElse(0L), treeBytes(stateRoot), stored,
        (long) counted(metrics, "ctr.users.forgotten"), eventTime);
  }

  private static final String[] GENRES = {"Action", "Comedy", "Drama", "Horror", "Romance",
      "Thriller", "Documentary", "Animation"};

  private long processed(ScorerMetrics metrics, long users, long ratingsBefore, long impressionsBefore,
      long sent) {
    long r = (long) counted(metrics, "ctr.feedback") - ratingsBefore;
    long s = (long) counted(metrics, "ctr.scores") - impressionsBefore;
    return Math.max(0, Math.min(sent, r + s));
  }

  private static <V> void send(KafkaProducer<String, byte[]> producer, TopicSpec<String, V> topic,
      String key, V value, long timestamp) {
    producer.send(new ProducerRecord<>(topic.name(), null, timestamp, key,
        topic.valueSerde().serialize(value)));
  }

  private void awaitCount(long target, LongSupplier count) throws InterruptedException {
    long deadline = System.nanoTime() + b.timeout.toNanos();
    long c;
    while ((c = count.getAsLong()) < target) {
      b.progress.update(c);
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("only " + c + " of " + target + " events processed after "
            + b.timeout.toSeconds() + " s; is the machine overloaded? raise --timeout-s");
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
    b.progress.update(c);
  }

  private static double counted(ScorerMetrics metrics, String name) {
    return metrics.registry().find(name).counters().stream().mapToDouble(c -> c.count()).sum();
  }

  /** Resident set size of this process (Linux {@code /proc/self/status}), or -1 elsewhere. */
  static long residentBytes() {
    Path status = Path.of("/proc/self/status");
    if (!Files.isReadable(status)) {
      return -1;
    }
    try {
      for (String line : Files.readAllLines(status, StandardCharsets.US_ASCII)) {
        if (line.startsWith("VmRSS:")) {
          String[] parts = line.substring(6).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024;
        }
      }
    } catch (IOException | NumberFormatException e) {
      LOG.debug("cannot read VmRSS: {}", e.getMessage());
    }
    return -1;
  }

  static long treeBytes(Path root) {
    try (Stream<Path> files = Files.walk(root)) {
      return files.filter(Files::isRegularFile).mapToLong(p -> {
        try {
          return Files.size(p);
        } catch (IOException e) {
          return 0; // a file RocksDB removed while we walked
        }
      }).sum();
    } catch (IOException | UncheckedIOException e) {
      return -1;
    }
  }

  private static long mib(long bytes) {
    return bytes < 0 ? bytes : bytes >> 20;
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> files = Files.walk(root)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("could not delete {}: {}", root, e.getMessage());
    }
  }

  public static final class Builder {
    private List<Long> userSteps = List.of(10_000L, 30_000L, 100_000L, 300_000L, 1_000_000L);
    private int warmUpUsers = 5_000;
    private int ratingsPerUser = 2;
    private int impressionsPerUser = 1;
    private int movies = 1_000;
    private int partitions = 4;
    private long rocksDbMemoryBytes = 64L << 20;
    private Duration retention = Duration.ofDays(90);
    private int daysPerStep = 30;
    private double maxThroughputDrop = 0.2;
    private long rssAllowanceBytes = 768L << 20;
    private Duration timeout = Duration.ofMinutes(30);
    private long seed = 1;
    private String bootstrapServers;
    private Path kafkaProperties;
    private Optional<Short> replicationFactor = Optional.empty();
    private ScoringBenchmark.Progress progress = ScoringBenchmark.Progress.NONE;

    private Builder() {}

    /** Total users seen after each measured step, increasing. */
    public Builder optUserSteps(List<Long> steps) {
      this.userSteps = List.copyOf(steps);
      return this;
    }

    public Builder optWarmUpUsers(int users) {
      this.warmUpUsers = users;
      return this;
    }

    public Builder optRatingsPerUser(int n) {
      this.ratingsPerUser = n;
      return this;
    }

    public Builder optImpressionsPerUser(int n) {
      this.impressionsPerUser = n;
      return this;
    }

    public Builder optMovies(int n) {
      this.movies = n;
      return this;
    }

    public Builder optPartitions(int n) {
      this.partitions = n;
      return this;
    }

    public Builder optRocksDbMemoryBytes(long bytes) {
      this.rocksDbMemoryBytes = bytes;
      return this;
    }

    public Builder optRetention(Duration retention) {
      this.retention = retention;
      return this;
    }

    public Builder optDaysPerStep(int days) {
      this.daysPerStep = days;
      return this;
    }

    public Builder optMaxThroughputDrop(double drop) {
      this.maxThroughputDrop = drop;
      return this;
    }

    public Builder optRssAllowanceBytes(long bytes) {
      this.rssAllowanceBytes = bytes;
      return this;
    }

    public Builder optTimeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /** A running cluster instead of a broker in this process; null: in process. */
    public Builder optCluster(String bootstrapServers, Path kafkaProperties, Optional<Short> replicationFactor) {
      this.bootstrapServers = bootstrapServers;
      this.kafkaProperties = kafkaProperties;
      this.replicationFactor = replicationFactor;
      return this;
    }

    public Builder optProgress(ScoringBenchmark.Progress progress) {
      this.progress = progress;
      return this;
    }

    /** @throws IllegalArgumentException naming every setting that is out of range */
    public MemoryChaos build() {
      List<String> problems = new ArrayList<>();
      if (userSteps.isEmpty()) {
        problems.add("at least one step of users is needed");
      }
      for (int i = 0; i < userSteps.size(); i++) {
        if (userSteps.get(i) <= (i == 0 ? 0 : userSteps.get(i - 1))) {
          problems.add("user steps must be positive and increasing, got " + userSteps);
          break;
        }
      }
      if (warmUpUsers < 0 || ratingsPerUser < 1 || impressionsPerUser < 0 || movies < 1 || partitions < 1) {
        problems.add("warm-up users >= 0, ratings per user >= 1, impressions per user >= 0, movies >= 1"
            + " and partitions >= 1 are needed");
      }
      if (rocksDbMemoryBytes < (16L << 20)) {
        problems.add("the RocksDB bound must be at least 16 MiB");
      }
      if (retention.isNegative() || daysPerStep < 0) {
        problems.add("retention and days per step must not be negative");
      }
      if ((long) daysPerStep * (userSteps.size() + 1) > 365L * 20) {
        problems.add("steps times days per step must stay within 20 years (event times before 1995"
            + " are dead-lettered)");
      }
      if (!(maxThroughputDrop >= 0 && maxThroughputDrop <= 1)) {
        problems.add("the allowed throughput drop must be in [0, 1]");
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(String.join("; ", problems));
      }
      return new MemoryChaos(this);
    }
  }
}
