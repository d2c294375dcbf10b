package io.ctrstream.cli.bench;

import io.ctrstream.dien.bundle.BundleException;
import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.serving.BatchScorer;
import io.ctrstream.dien.serving.PriorScorer;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.Rating;
import io.ctrstream.schemas.TopicSpec;
import io.ctrstream.schemas.Topics;
import io.ctrstream.schemas.UserProfile;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.SwappableModelProvider;
import io.ctrstream.streams.topology.ScorerTopology;
import io.micrometer.core.instrument.Counter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.DoubleUnaryOperator;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * End-to-end scoring benchmark, in one process and one call of {@link #run()}, on a broker started
 * in this process (the default) or on a running cluster ({@link Builder#optCluster}; the broker's
 * CPU is then not in the per-CPU-second figures, which count this process).
 *
 * <p>A first, discarded run warms the JVM up. Every run gets topics of its own (a prefix per run), a fresh application id and state
 * directory, the same workload ({@link BenchWorkload}: movies, profiles and a history preload of
 * ratings, which the scorer consumes first so that features are non-trivial), then:
 *
 * <ol>
 *   <li>warm-up: impressions until the JIT and the model have settled;
 *   <li>peak: {@code impressions} impressions produced as fast as the producer goes; throughput
 *       is their count over the time from the first to the last score ({@code scoredAt});
 *   <li>latency (model runs only): impressions at {@code offered} per second, each stamped with
 *       its send time; latency is the time a read_committed consumer sees its score minus that
 *       stamp, into an HdrHistogram (ms).
 * </ol>
 *
 * The main comparison is the DIEN model against the same topology with the model call replaced by
 * a constant ({@link PriorScorer}), both at the main batch size and commit interval; the offered
 * load defaults to half the DIEN peak measured just before on the same instance, and the constant
 * run's latency is measured at that same load: the floor of what the pipeline without the model
 * costs. A sweep then repeats peak and latency (at the same offered
 * load) for each commit interval at the main batch size and each batch size at the main commit
 * interval. The scorer runs as the service does: {@link ScorerConfig#toStreamsProperties()},
 * exactly_once_v2, one stream thread, with only {@code commit.interval.ms} added.
 */
public final class ScoringBenchmark {
  private static final Logger LOG = LoggerFactory.getLogger(ScoringBenchmark.class);

  /** Progress of the benchmark's phases (a console bar, or nothing). */
  public interface Progress {
    /** A phase of {@code total} steps starts. */
    void begin(String task, long total);

    /** {@code done} of the current phase's steps are done. */
    void update(long done);

    void end();

    Progress NONE = new Progress() {
      @Override
      public void begin(String task, long total) {}

      @Override
      public void update(long done) {}

      @Override
      public void end() {}
    };
  }

  /**
   * One run's measurements.
   *
   * @param scorer "dien" or "constant"
   * @param perSecond peak scores per second, first to last score
   * @param perCpuSecond peak-phase scores per second of this process's CPU time (broker,
   *     scorer, producer and reader together, all in this JVM): what the pipeline costs, which
   *     moves much less than {@code perSecond} when other processes compete for the cores
   * @param offeredPerSecond offered load of the latency phase; 0 when there was none
   * @param achievedPerSecond impressions actually sent per second in the latency phase
   * @param latencyMs produce-to-visible-score latency (ms) of the latency phase; null without one
   * @param untilScoredMs produce-to-scored (ms, the scorer's clock when the batch ran) of the
   *     same scores: the latency less the wait for the transaction to commit; null without one
   */
  public record Run(
      String scorer,
      int batchSize,
      long commitIntervalMs,
      long impressions,
      double perSecond,
      double perCpuSecond,
      double offeredPerSecond,
      double achievedPerSecond,
      Histogram latencyMs,
      Histogram untilScoredMs) {

    public double p(double percentile) {
      return latencyMs == null ? Double.NaN : latencyMs.getValueAtPercentile(percentile);
    }

    /** Percentile of produce-to-scored (before the commit). */
    public double scoredP(double percentile) {
      return untilScoredMs == null ? Double.NaN : untilScoredMs.getValueAtPercentile(percentile);
    }
  }

  /**
   * Everything measured.
   *
   * @param scorer the DIEN run at the main settings (with latency)
   * @param constant the constant-model run at the main settings, its latency at the DIEN run's
   *     offered load
   * @param sweep the DIEN runs of the commit-interval and batch-size sweep, the main run included
   */
  public record Result(Run scorer, Run constant, List<Run> sweep, double meanPositivesPerUser,
      long parameterCount, boolean brokerInProcess) {
    public double ratio() {
      return scorer.perSecond() / constant.perSecond();
    }

    /** {@link #ratio()} in scores per CPU second: the model's share of the cost. */
    public double cpuRatio() {
      return scorer.perCpuSecond() / constant.perCpuSecond();
    }

    /**
     * The sweep row to recommend: the highest throughput among those whose p99 is under {@code
     * p99LimitMs}, or, when none is, the lowest p99.
     */
    public Run recommended(double p99LimitMs) {
      return sweep.stream().filter(r -> r.p(99) < p99LimitMs)
          .max(Comparator.comparingDouble(Run::perSecond))
          .orElseGet(() -> sweep.stream().min(Comparator.comparingDouble(r -> r.p(99))).orElseThrow());
    }
  }

  private final Builder b;
  private int runs;

  private ScoringBenchmark(Builder b) {
    this.b = b;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Starts a broker, runs everything, stops the broker. */
  public Result run() throws IOException, InterruptedException {
    BenchWorkload workload = new BenchWorkload(b.users, b.movies, b.ratingsPerUser, b.seed,
        System.currentTimeMillis());
    b.progress.begin("building the " + b.model.name().toLowerCase(java.util.Locale.ROOT) + " model", 1);
    ModelBundle bundle = b.model.bundle(workload, b.seed);
    long params;
    try (var net = bundle.newNetwork()) {
      params = net.parameterCount();
    } catch (BundleException e) {
      throw new IllegalStateException("the benchmark bundle does not load: " + e.getMessage(), e);
    }
    b.progress.end();
    Supplier<BatchScorer> dien = () -> {
      try {
        return bundle.newScorer();
      } catch (BundleException e) {
        throw new IllegalStateException("the benchmark bundle does not load: " + e.getMessage(), e);
      }
    };
    Supplier<BatchScorer> constant = () -> new ConstantScorer(0.5);
    Path stateRoot = Files.createTempDirectory("ctr-bench-state-");
    b.progress.begin(b.bootstrapServers == null ? "starting the in-process broker"
        : "connecting to " + b.bootstrapServers, 1);
    try (BenchCluster kafka = b.bootstrapServers == null
        ? BenchCluster.inProcess(EmbeddedKafka.builder())
        : BenchCluster.external(b.bootstrapServers, b.kafkaProperties, b.replicationFactor)) {
      b.progress.end();
      LOG.info("benchmark against the {}", kafka.describe());
      // A discarded first run: in a fresh JVM the JIT is still compiling the broker, client,
      // Streams and model code, which made whichever run came first look several times slower.
      // Its paced phase matters as much as its peak: a minute into the process C2 still took
      // most of a core, and impressions reached the scorer 100-400 ms late (20 ms once warm).
      if (b.warmUpRun) {
        runOnce(kafka, workload, stateRoot, "jvm-warm-up", dien, b.batchSize, b.commitIntervalMs,
            b.sweepImpressions, peak -> b.offeredPerSecond > 0 ? b.offeredPerSecond : peak / 2,
            b.warmUpSeconds);
      }
      Run main = runOnce(kafka, workload, stateRoot, "dien", dien, b.batchSize,
          b.commitIntervalMs, b.impressions,
          peak -> b.offeredPerSecond > 0 ? b.offeredPerSecond : peak / 2, b.latencySeconds);
      double offered = main.offeredPerSecond();
      // The same load through the same topology with no model: the latency the broker, Streams
      // and the exactly-once commit cost by themselves, which no model can go below.
      Run constantRun = runOnce(kafka, workload, stateRoot, "constant", constant, b.batchSize,
          b.commitIntervalMs, b.impressions, peak -> offered, b.latencySeconds);
      List<Run> sweep = new ArrayList<>();
      sweep.add(main);
      for (long commit : b.commitIntervals) {
        if (commit != b.commitIntervalMs) {
          sweep.add(runOnce(kafka, workload, stateRoot, "dien", dien, b.batchSize, commit,
              b.sweepImpressions, peak -> offered, b.latencySeconds));
        }
      }
      for (int batch : b.batchSizes) {
        if (batch != b.batchSize) {
          sweep.add(runOnce(kafka, workload, stateRoot, "dien", dien, batch, b.commitIntervalMs,
              b.sweepImpressions, peak -> offered, b.latencySeconds));
        }
      }
      sweep.sort(Comparator.comparingLong(Run::commitIntervalMs).thenComparingInt(Run::batchSize));
      return new Result(main, constantRun, sweep, workload.meanPositives(), params,
          kafka.inProcess());
    } finally {
      deleteTree(stateRoot);
    }
  }

  /**
   * One scorer instance on fresh topics: preload, warm-up, {@code peakImpressions} at full speed,
   * then, once the peak phase is all scored and the scorer idle, a latency phase at {@code
   * offeredFromPeak(peak)} impressions per second for {@code latencySeconds} (none when either
   * is 0).
   */
  private Run runOnce(BenchCluster kafka, BenchWorkload workload, Path stateRoot, String scorer,
      Supplier<BatchScorer> factory, int batchSize, long commitMs, long peakImpressions,
      DoubleUnaryOperator offeredFromPeak, double latencySeconds) throws InterruptedException {
    int run = ++runs;
    String label = String.format(java.util.Locale.ROOT, "run %d: %s batch %d commit %d ms", run,
        scorer, batchSize, commitMs);
    Topics topics = Topics.builder().optPrefix(kafka.namePrefix() + run + ".")
        .optUserPartitions(b.partitions).build();
    kafka.createTopics(topics);
    Map<String, String> settings = new HashMap<>(Map.of(
        "bootstrap.servers", kafka.bootstrapServers(),
        "application.id", kafka.namePrefix() + run + "-app",
        "topic.prefix", topics.prefix(),
        "state.dir", stateRoot.resolve("run" + run).toString(),
        "batch.size", Integer.toString(batchSize),
        "batch.max.wait.ms", Long.toString(b.maxWaitMs),
        "history.length", Integer.toString(BenchModel.HISTORY_LENGTH),
        "http.port", "0",
        "commit.interval.ms", Long.toString(commitMs)));
    if (b.kafkaProperties != null) {
      settings.put("kafka.properties", b.kafkaProperties.toString());
    }
    ScorerConfig config = ScorerConfig.fromMap(settings);
    Properties props = config.toStreamsProperties();
    props.putAll(b.streamsProperties);
    ScorerMetrics metrics = ScorerMetrics.inMemory();
    SwappableModelProvider models = new SwappableModelProvider(0.5, metrics);
    models.release("bench-" + scorer, factory);
    Map<String, Object> producerConfig = new HashMap<>(kafka.clientConfig());
    producerConfig.put(ProducerConfig.LINGER_MS_CONFIG, 1);
    producerConfig.put(ProducerConfig.ACKS_CONFIG, "all");
    // Not idempotent: on topics this fresh an idempotent producer was seen stuck for good in
    // OUT_OF_ORDER_SEQUENCE_NUMBER retries (Kafka 4.1); one request in flight keeps the order,
    // and a rare duplicate impression only adds a score the waits tolerate (they count >=).
    producerConfig.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    producerConfig.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    Random random = new Random(b.seed + run);
    try (KafkaProducer<String, byte[]> producer =
            new KafkaProducer<>(producerConfig, new StringSerializer(), new ByteArraySerializer());
        KafkaStreams streams = new KafkaStreams(ScorerTopology.build(config, models, metrics), props);
        ScoreWatcher watcher = new ScoreWatcher(kafka.clientConfig(), topics.scores())) {
      // Fetch the new topics' metadata first, so no send goes to a partition not yet led.
      topics.all().forEach(t -> producer.partitionsFor(t.name()));
      LOG.info("{}: preloading {} movies, {} users, {} ratings", label, workload.movies().size(),
          workload.users().size(), workload.ratings().size());
      for (Movie m : workload.movies()) {
        send(producer, topics.movies(), m.movieId(), m, workload.start());
      }
      for (UserProfile u : workload.users()) {
        send(producer, topics.users(), u.userId(), u, workload.start());
      }
      for (Rating r : workload.ratings()) {
        send(producer, topics.ratings(), r.userId(), r, r.timestamp());
      }
      producer.flush();
      streams.start();
      long ratings = workload.ratings().size();
      await(label + " history preload", ratings, () -> (long) counted(metrics, "ctr.feedback"));

      long warm = Math.max(batchSize * 4L, Math.min(5_000, peakImpressions / 5));
      produce(producer, topics, workload, random, 'w', warm, 0, null);
      await(label + " warm-up", warm, () -> watcher.count('w'));

      b.progress.begin(label + " peak", peakImpressions);
      PhaseStats beforePeak = PhaseStats.of(metrics);
      long cpu0 = processCpuNanos();
      produce(producer, topics, workload, random, 'p', peakImpressions, 0, null);
      awaitCount(peakImpressions, () -> watcher.count('p'));
      long cpu = processCpuNanos() - cpu0;
      b.progress.end();
      double perSecond = peakImpressions * 1000.0 / Math.max(1, watcher.peakSpanMs());
      double perCpuSecond = cpu > 0 ? peakImpressions / (cpu / 1e9) : Double.NaN;
      LOG.info("{}: peak {} scores/s, {} per CPU second, load average {}; {}", label,
          Math.round(perSecond), Math.round(perCpuSecond), loadAverage(),
          PhaseStats.of(metrics).since(beforePeak));

      double offered = offeredFromPeak.applyAsDouble(perSecond);
      Histogram latency = null;
      Histogram untilScored = null;
      double achieved = 0;
      if (offered > 0 && latencySeconds > 0) {
        long n = Math.max(1, Math.round(offered * latencySeconds));
        b.progress.begin(String.format(java.util.Locale.ROOT, "%s latency at %.0f/s", label,
            offered), n);
        PhaseStats beforeLatency = PhaseStats.of(metrics);
        long begin = System.nanoTime();
        produce(producer, topics, workload, random, 'l', n, offered, () -> watcher.count('l'));
        achieved = n / ((System.nanoTime() - begin) / 1e9);
        awaitCount(n, () -> watcher.count('l'));
        b.progress.end();
        latency = watcher.latency();
        untilScored = watcher.untilScored();
        LOG.info("{}: latency p50 {} ms, p99 {} ms at {}/s offered (produce to scored: p50 {} ms,"
                + " p99 {} ms); {}", label, latency.getValueAtPercentile(50),
            latency.getValueAtPercentile(99), Math.round(offered),
            untilScored.getValueAtPercentile(50), untilScored.getValueAtPercentile(99),
            PhaseStats.of(metrics).since(beforeLatency));
      }
      streams.close(Duration.ofSeconds(30));
      streams.cleanUp(); // a benchmark's state is not kept
      return new Run(scorer, batchSize, commitMs, peakImpressions, perSecond, perCpuSecond,
          offered > 0 ? offered : 0, achieved, latency, untilScored);
    }
  }

  /**
   * Sends {@code n} impressions of the phase letter {@code phase} to random (user, movie) pairs:
   * as fast as possible when {@code perSecond} is 0, else paced to that rate, each stamped with
   * its send time.
   */
  private void produce(KafkaProducer<String, byte[]> producer, Topics topics,
      BenchWorkload workload, Random random, char phase, long n, double perSecond,
      LongSupplier progress) {
    List<UserProfile> users = workload.users();
    long begin = System.nanoTime();
    for (long k = 0; k < n; k++) {
      if (perSecond > 0) {
        long due = begin + (long) (k * 1e9 / perSecond);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
        if (progress != null && k % 256 == 0) {
          b.progress.update(progress.getAsLong());
        }
      }
      String user = users.get(random.nextInt(users.size())).userId();
      // Send time: latency is measured from it, and event time stays near the wall clock.
      long ts = System.currentTimeMillis();
      Impression i = new Impression(phase + Long.toString(k), user, workload.movieId(random), ts);
      send(producer, topics.impressions(), user, i, ts);
    }
    producer.flush();
  }

  private static <V> void send(KafkaProducer<String, byte[]> producer, TopicSpec<String, V> topic,
      String key, V value, long timestamp) {
    producer.send(new ProducerRecord<>(topic.name(), null, timestamp, key,
        topic.valueSerde().serialize(value)));
  }

  private void await(String task, long target, LongSupplier count) throws InterruptedException {
    b.progress.begin(task, target);
    awaitCount(target, count);
    b.progress.end();
  }

  /** Polls {@code count} every 20 ms until it reaches {@code target}; fails after the timeout. */
  private void awaitCount(long target, LongSupplier count) throws InterruptedException {
    long deadline = System.nanoTime() + b.timeout.toNanos();
    long c;
    while ((c = count.getAsLong()) < target) {
      b.progress.update(c);
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException("only " + c + " of " + target + " done after "
            + b.timeout.toSeconds() + " s; is the machine overloaded? raise --timeout-s");
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
    b.progress.update(c);
  }

  /** CPU time of this JVM, all threads, or -1 where the platform does not say. */
  private static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** The machine's 1-minute load average, or -1 where it is not known. */
  public static double loadAverage() {
    return ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
  }

  private static double counted(ScorerMetrics metrics, String name) {
    return metrics.registry().find(name).counters().stream().mapToDouble(Counter::count).sum();
  }

  private static void deleteTree(Path root) {
    try (Stream<Path> paths = Files.walk(root)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      LOG.warn("could not delete the benchmark state in {}: {}", root, e.getMessage());
    } catch (UncheckedIOException e) {
      LOG.warn("could not delete the benchmark state in {}: {}", root, e.getMessage());
    }
  }

  /**
   * Cumulative totals of the scorer's own meters; the difference of two snapshots describes one
   * phase: how many batches, how full, how long the model took, and how late impressions reached
   * the scorer and how long they waited for their batch (means: the meters' percentiles cover a
   * sliding window that mixes phases).
   */
  record PhaseStats(long batches, double rows, long modelCalls, double modelMs, long arrivals,
      double lagMs, long ages, double ageMs) {
    static PhaseStats of(ScorerMetrics metrics) {
      var registry = metrics.registry();
      var size = registry.find("ctr.batch.size").summary();
      var model = registry.find("ctr.score.latency").timer();
      var lag = registry.find("ctr.impression.lag").timer();
      var age = registry.find("ctr.batch.age").timer();
      return new PhaseStats(size == null ? 0 : size.count(), size == null ? 0 : size.totalAmount(),
          model == null ? 0 : model.count(),
          model == null ? 0 : model.totalTime(TimeUnit.MILLISECONDS),
          lag == null ? 0 : lag.count(), lag == null ? 0 : lag.totalTime(TimeUnit.MILLISECONDS),
          age == null ? 0 : age.count(), age == null ? 0 : age.totalTime(TimeUnit.MILLISECONDS));
    }

    /** What happened between {@code before} and this snapshot, as one readable line. */
    String since(PhaseStats before) {
      long n = batches - before.batches;
      long calls = modelCalls - before.modelCalls;
      long arrived = arrivals - before.arrivals;
      long aged = ages - before.ages;
      return String.format(java.util.Locale.ROOT,
          "%d batches of %.1f rows on average, model %.2f ms per batch (%.0f ms in all),"
              + " impressions reached the scorer %.1f ms after they were sent and the oldest of a"
              + " batch waited %.1f ms (means)", n, n == 0 ? 0 : (rows - before.rows) / n,
          calls == 0 ? 0 : (modelMs - before.modelMs) / calls, modelMs - before.modelMs,
          arrived == 0 ? 0 : (lagMs - before.lagMs) / arrived,
          aged == 0 ? 0 : (ageMs - before.ageMs) / aged);
    }
  }

  /** The model call replaced by a constant: the cost of everything but the model. */
  private static final class ConstantScorer implements BatchScorer {
    private final PriorScorer prior;

    ConstantScorer(double value) {
      this.prior = new PriorScorer(value);
    }

    @Override
    public float[] score(List<io.ctrstream.dien.features.FeatureRow> rows) {
      return prior.score(rows);
    }

    @Override
    public String modelVersion() {
      return "bench-constant"; // not "prior": the scores are counted as model scores
    }

    @Override
    public void close() {}
  }

  /** Builder; every setting is optional and validated in {@link #build()}. */
  public static final class Builder {
    private long impressions = 20_000;
    private long sweepImpressions = 10_000;
    private int users = 1_000;
    private int movies = 3_706;
    private int ratingsPerUser = 16;
    private double offeredPerSecond;
    private double latencySeconds = 10;
    private int batchSize = 64;
    private long commitIntervalMs = 100;
    private long maxWaitMs = 50;
    private List<Integer> batchSizes = List.of(32, 128, 256);
    private List<Long> commitIntervals = List.of(20L, 50L, 100L, 200L, 500L);
    private BenchModel model = BenchModel.REFERENCE;
    private long seed = 42;
    private Duration timeout = Duration.ofMinutes(5);
    private Progress progress = Progress.NONE;
    private boolean warmUpRun = true;
    private double warmUpSeconds = 40;
    private Map<String, String> streamsProperties = Map.of();
    private String bootstrapServers;
    private int partitions = 4;
    private Path kafkaProperties;
    private Optional<Short> replicationFactor = Optional.empty();

    private Builder() {}

    /**
     * Runs against this running cluster instead of a broker started in this process (default:
     * null, in-process). Its topics get a prefix unique to the invocation and are deleted at the
     * end.
     *
     * @param kafkaProperties client properties file (SASL/SSL) or null
     * @param replicationFactor replicas per benchmark topic; empty: min(3, brokers)
     */
    public Builder optCluster(String bootstrapServers, Path kafkaProperties,
        Optional<Short> replicationFactor) {
      this.bootstrapServers = bootstrapServers;
      this.kafkaProperties = kafkaProperties;
      this.replicationFactor = Objects.requireNonNull(replicationFactor, "replicationFactor");
      return this;
    }

    /**
     * Kafka Streams properties set on every run after the scorer's own (experiments such as
     * {@code max.task.idle.ms} or {@code poll.ms}); they are printed with the results.
     */
    public Builder optStreamsProperties(Map<String, String> properties) {
      this.streamsProperties = Map.copyOf(properties);
      return this;
    }

    /**
     * Partitions of the user-keyed topics (default 4, as the service's topics): each is a task
     * with its own micro-batch, so at a given load more partitions mean smaller batches.
     */
    public Builder optPartitions(int partitions) {
      this.partitions = partitions;
      return this;
    }

    /** Whether a discarded first run warms the JVM up (default true; off for quick checks). */
    public Builder optWarmUpRun(boolean warmUpRun) {
      this.warmUpRun = warmUpRun;
      return this;
    }

    /**
     * Duration of the warm-up run's paced phase (default 40 s): the JIT keeps compiling for
     * about that long into the process.
     */
    public Builder optWarmUpSeconds(double seconds) {
      this.warmUpSeconds = seconds;
      return this;
    }

    /** Impressions of the peak phase of the two main runs. */
    public Builder optImpressions(long n) {
      this.impressions = n;
      return this;
    }

    /** Impressions of the peak phase of each sweep run. */
    public Builder optSweepImpressions(long n) {
      this.sweepImpressions = n;
      return this;
    }

    public Builder optUsers(int users) {
      this.users = users;
      return this;
    }

    /** Catalog size (3,706 as MovieLens-1M). */
    public Builder optMovies(int movies) {
      this.movies = movies;
      return this;
    }

    /** Preloaded ratings per user (about 60% positive). */
    public Builder optRatingsPerUser(int n) {
      this.ratingsPerUser = n;
      return this;
    }

    /** Offered load of the latency phases; 0: half the measured DIEN peak. */
    public Builder optOfferedPerSecond(double perSecond) {
      this.offeredPerSecond = perSecond;
      return this;
    }

    public Builder optLatencySeconds(double seconds) {
      this.latencySeconds = seconds;
      return this;
    }

    /** Batch size of the main runs. */
    public Builder optBatchSize(int batchSize) {
      this.batchSize = batchSize;
      return this;
    }

    /** Commit interval of the main runs. */
    public Builder optCommitIntervalMs(long ms) {
      this.commitIntervalMs = ms;
      return this;
    }

    /** batch.max.wait.ms of every run. */
    public Builder optMaxWaitMs(long ms) {
      this.maxWaitMs = ms;
      return this;
    }

    /** Batch sizes of the sweep (at the main commit interval). */
    public Builder optBatchSizes(List<Integer> sizes) {
      this.batchSizes = List.copyOf(new LinkedHashSet<>(sizes));
      return this;
    }

    /** Commit intervals of the sweep (at the main batch size). */
    public Builder optCommitIntervals(List<Long> intervals) {
      this.commitIntervals = List.copyOf(new LinkedHashSet<>(intervals));
      return this;
    }

    public Builder optModel(BenchModel model) {
      this.model = Objects.requireNonNull(model, "model");
      return this;
    }

    /** "tiny" or "reference". */
    public Builder optModel(String model) {
      return optModel(BenchModel.parse(model));
    }

    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Longest wait for any one phase. */
    public Builder optTimeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    public Builder optProgress(Progress progress) {
      this.progress = Objects.requireNonNull(progress, "progress");
      return this;
    }

    public ScoringBenchmark build() {
      List<String> problems = new ArrayList<>();
      if (impressions < 1) {
        problems.add("impressions must be > 0, got " + impressions);
      }
      if (sweepImpressions < 1) {
        problems.add("sweep impressions must be > 0, got " + sweepImpressions);
      }
      if (partitions < 1) {
        problems.add("partitions must be > 0, got " + partitions);
      }
      if (users < 1) {
        problems.add("users must be > 0, got " + users);
      }
      if (movies < 2) {
        problems.add("movies must be >= 2, got " + movies);
      }
      if (ratingsPerUser < 0) {
        problems.add("ratings per user must be >= 0, got " + ratingsPerUser);
      }
      if (!(offeredPerSecond >= 0)) {
        problems.add("offered per second must be >= 0 (0: half the peak), got " + offeredPerSecond);
      }
      if (!(latencySeconds > 0)) {
        problems.add("latency seconds must be > 0, got " + latencySeconds);
      }
      if (!(warmUpSeconds >= 0)) {
        problems.add("warm-up seconds must be >= 0, got " + warmUpSeconds);
      }
      if (batchSize < 1 || batchSizes.stream().anyMatch(s -> s == null || s < 1)) {
        problems.add("batch sizes must be > 0, got " + batchSize + " and " + batchSizes);
      }
      if (commitIntervalMs < 1 || commitIntervals.stream().anyMatch(c -> c == null || c < 1)) {
        problems.add("commit intervals must be > 0 ms, got " + commitIntervalMs + " and "
            + commitIntervals);
      }
      if (maxWaitMs < 1) {
        problems.add("max wait must be > 0 ms, got " + maxWaitMs);
      }
      if (bootstrapServers != null && bootstrapServers.isBlank()) {
        problems.add("bootstrap servers must not be blank (leave them out for an in-process broker)");
      }
      if (replicationFactor.isPresent() && replicationFactor.get() < 1) {
        problems.add("replication factor must be >= 1, got " + replicationFactor.get());
      }
      if (bootstrapServers == null && (kafkaProperties != null || replicationFactor.isPresent())) {
        problems.add("Kafka properties and a replication factor are for a running cluster: give its"
            + " bootstrap servers too");
      }
      if (kafkaProperties != null && !Files.isReadable(kafkaProperties)) {
        problems.add("Kafka properties file " + kafkaProperties + " cannot be read");
      }
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        problems.add("timeout must be > 0, got " + timeout);
      }
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException(String.join("; ", problems));
      }
      return new ScoringBenchmark(this);
    }
  }
}
