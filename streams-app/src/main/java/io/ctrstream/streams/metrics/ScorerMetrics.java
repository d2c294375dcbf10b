package io.ctrstream.streams.metrics;

import io.ctrstream.schemas.FailureKind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.MultiGauge;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.Objects;
import java.util.concurrent.TimeUnit;

/**
 * The scorer's counters. Thread-safe (Micrometer meters are), shared by all stream threads.
 *
 * <ul>
 *   <li>{@code ctr.dead.letters{topic,kind}}: input records routed to the dead-letter topic
 *   <li>{@code ctr.catalog.rejected{kind}}: movies the global catalog skipped (a global store
 *       cannot write to a topic, so these are only counted and logged)
 *   <li>{@code ctr.scores{prior}}: scores emitted, prior or model
 *   <li>{@code ctr.batch.size}: rows per scored batch
 *   <li>{@code ctr.feedback{source}}: training examples emitted: impression, organic, click or non_click
 *   <li>{@code ctr.score.latency}: time to score one batch (model call only)
 *   <li>{@code ctr.impression.lag}: how long after its record timestamp an impression reached the
 *       scorer (upstream, broker and poll delay, before any batching)
 *   <li>{@code ctr.model.info{version}}: 1 for the model version being served, prior included
 *   <li>{@code ctr.model.swaps}: releases installed (each stream task swaps before its next batch)
 *   <li>{@code ctr.model.rejected{reason}}: releases refused (checksum, corrupt, spec, probe, ...)
 *   <li>{@code ctr.model.load}: time to fetch, verify, load and probe one release
 *   <li>{@code ctr.model.unhealthy}: 1 while the model served gave a non-finite score or failed
 *       (until another version is served), else 0
 *   <li>{@code ctr.errors.skipped{stage}}: records or dead letters that could not be written
 *   <li>{@code ctr.wrong.partition{topic}}: input records on another partition than the Java
 *       client's partitioner (murmur2) puts their key on
 *   <li>{@code ctr.stream.thread.failures}: stream threads that died on an uncaught error
 *   <li>{@code ctr.release.follower.alive}: 1 while the release follower's thread runs its loop,
 *       0 before it starts and once it has ended (for health checks)
 *   <li>{@code ctr.release.follower.errors{kind}}: unexpected failures the follower survived
 *       (an exception or an {@link Error} such as running out of memory while loading or polling)
 *   <li>{@code ctr.score.distribution}: the model's scores (probabilities), in fixed buckets
 *       0.05, 0.1, ... 1.0; the prior's are not recorded (they are all the same, counted by
 *       {@code ctr.scores{prior="true"}})
 *   <li>{@code ctr.model.scores{version}}: scores emitted by each model version (the versions
 *       served lately: older ones are dropped after {@value #VERSIONS_KEPT} swaps)
 * </ul>
 *
 * <p>Timers publish histogram buckets (Prometheus {@code _bucket} series), so percentiles are
 * computed by the server with {@code histogram_quantile} and aggregate across instances.
 * {@code ctr.scores{prior}} and {@code ctr.model.rejected{reason}} exist at 0 from the start, so a
 * first prior score or first rejection shows as an increase.
 */
public final class ScorerMetrics {
  private final MeterRegistry registry;
  private final DistributionSummary batchSize;
  private final Timer scoreLatency;
  private final Timer batchAge;
  private final Timer impressionLag;
  private final Timer modelLoad;
  private final Timer scoreRequestLatency;
  private final Counter swaps;
  private final MultiGauge modelInfo;
  private final Counter threadFailures;
  private final AtomicReference<UnhealthyModel> unhealthy = new AtomicReference<>();
  private final Map<String, WrongPartition> wrongPartitions = new ConcurrentHashMap<>();
  private final DistributionSummary scoreDistribution;
  private final java.util.Deque<String> versionsServed = new java.util.ArrayDeque<>();
  /** How many versions keep their {@code ctr.model.scores} counter. */
  static final int VERSIONS_KEPT = 4;
  /** Bucket bounds of {@code ctr.score.distribution}. */
  static final double[] SCORE_BUCKETS = {
      0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5,
      0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1.0};

  /** The model version found unhealthy, why, and when (wall clock). */
  public record UnhealthyModel(String version, String reason, long at) {}

  /** Records of one input topic found on the wrong partition: how many, and the last one's place. */
  public record WrongPartition(String topic, long count, int partition, int expected) {}

  public ScorerMetrics(MeterRegistry registry) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.batchSize = DistributionSummary.builder("ctr.batch.size")
        .description("rows per scored batch").register(registry);
    this.scoreLatency = Timer.builder("ctr.score.latency").description("time to score one batch")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry);
    this.batchAge = Timer.builder("ctr.batch.age")
        .description("how long the oldest impression of a batch waited in the buffer before scoring")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofSeconds(30))
        .register(registry);
    this.impressionLag = Timer.builder("ctr.impression.lag")
        .description("how long after its record timestamp an impression reached the scorer")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(10))
        .register(registry);
    this.modelLoad = Timer.builder("ctr.model.load")
        .description("time to fetch, verify, load and probe one model release")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofMillis(10)).maximumExpectedValue(Duration.ofMinutes(5))
        .register(registry);
    this.scoreRequestLatency = Timer.builder("ctr.score.request.latency")
        .description("time to answer one POST /score request, whatever its outcome")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofNanos(100_000)).maximumExpectedValue(Duration.ofSeconds(10))
        .register(registry);
    for (String outcome : SCORE_REQUEST_OUTCOMES) {
      scoreRequestCounter(outcome);
    }
    this.scoreDistribution = DistributionSummary.builder("ctr.score.distribution")
        .description("the model's scores (probabilities); prior scores are not recorded")
        .serviceLevelObjectives(SCORE_BUCKETS)
        .register(registry);
    for (boolean prior : new boolean[] {true, false}) {
      scoresCounter(prior);
    }
    for (io.ctrstream.dien.release.Rejection r : io.ctrstream.dien.release.Rejection.values()) {
      rejectedCounter(r.wireName());
    }
    this.swaps = Counter.builder("ctr.model.swaps").description("model releases installed")
        .register(registry);
    this.modelInfo = MultiGauge.builder("ctr.model.info")
        .description("1 for the model version being served").register(registry);
    this.threadFailures = Counter.builder("ctr.stream.thread.failures")
        .description("stream threads that died on an uncaught error").register(registry);
    Gauge.builder("ctr.model.unhealthy", unhealthy, u -> u.get() == null ? 0 : 1)
        .description("1 while the served model gave a non-finite score or failed").register(registry);
  }

  /** Counters on a private registry (tests, tools). */
  public static ScorerMetrics inMemory() {
    return new ScorerMetrics(new SimpleMeterRegistry());
  }

  /** Counters on a Prometheus registry, as the running service exposes them on /metrics. */
  public static ScorerMetrics prometheus() {
    return new ScorerMetrics(new PrometheusMeterRegistry(PrometheusConfig.DEFAULT));
  }

  /**
   * Outcomes of {@code POST /score}: {@code ok} (200), {@code bad_request} (400, 405), {@code
   * too_large} (413), {@code redirect} (307 to the instance holding the user), {@code
   * unavailable} (503), {@code error} (500: the model failed or gave no probability).
   */
  public static final List<String> SCORE_REQUEST_OUTCOMES =
      List.of("ok", "bad_request", "too_large", "redirect", "unavailable", "error");

  /** One {@code POST /score} request was answered with {@code outcome} in {@code nanos}. */
  public void scoreRequest(String outcome, long nanos) {
    scoreRequestLatency.record(nanos, TimeUnit.NANOSECONDS);
    scoreRequestCounter(outcome).increment();
  }

  private Counter scoreRequestCounter(String outcome) {
    return Counter.builder("ctr.score.requests").description("POST /score requests by outcome")
        .tag("outcome", outcome).register(registry);
  }

  /** One batch went through the model in {@code nanos}. */
  public void scoreLatency(long nanos) {
    scoreLatency.record(nanos, TimeUnit.NANOSECONDS);
  }

  /** The oldest impression of the batch being scored waited {@code millis} in the buffer. */
  public void batchAge(long millis) {
    batchAge.record(millis, TimeUnit.MILLISECONDS);
  }

  /**
   * An impression reached the scorer {@code millis} after its record timestamp (negative clock
   * skew counts as 0). With the batch age and the score latency it splits a score's delay into
   * arriving, waiting for a batch and scoring.
   */
  public void impressionLag(long millis) {
    impressionLag.record(Math.max(0, millis), TimeUnit.MILLISECONDS);
  }

  /** The version now served; replaces the previous one in {@code ctr.model.info}. */
  public void modelServed(String version) {
    modelInfo.register(List.of(MultiGauge.Row.of(Tags.of("version", version), 1)), true);
    synchronized (versionsServed) {
      versionsServed.remove(version);
      versionsServed.addLast(version);
      versionCounter(version);
      while (versionsServed.size() > VERSIONS_KEPT) {
        String old = versionsServed.removeFirst();
        Counter c = registry.find("ctr.model.scores").tag("version", old).counter();
        if (c != null) {
          registry.remove(c);
        }
      }
    }
  }

  private Counter versionCounter(String version) {
    return Counter.builder("ctr.model.scores").description("scores emitted by each model version")
        .tag("version", version).register(registry);
  }

  /**
   * Scores of one batch: {@code probabilities[from, from + n)} by {@code version}. Non-finite
   * scores (failures, dead-lettered) are not counted.
   */
  public void scoresServed(String version, float[] probabilities) {
    int finite = 0;
    boolean prior = io.ctrstream.schemas.Score.PRIOR_VERSION.equals(version);
    for (float p : probabilities) {
      if (Float.isFinite(p)) {
        finite++;
        if (!prior) {
          scoreDistribution.record(p);
        }
      }
    }
    if (finite > 0) {
      versionCounter(version).increment(finite);
    }
  }

  /** A release was installed after loading for {@code loadTime}. */
  public void modelSwapped(Duration loadTime) {
    swaps.increment();
    modelLoad.record(loadTime);
  }

  /** A release was refused; {@code reason} is one short word (checksum, corrupt, spec, probe ...). */
  public void modelRejected(String reason) {
    rejectedCounter(reason).increment();
  }

  private Counter rejectedCounter(String reason) {
    return Counter.builder("ctr.model.rejected").description("model releases refused")
        .tag("reason", reason).register(registry);
  }

  /** Publishes {@code ctr.release.follower.alive}: 1 while {@code alive} says so, else 0. */
  public void releaseFollowerAlive(java.util.function.BooleanSupplier alive) {
    io.micrometer.core.instrument.Gauge.builder("ctr.release.follower.alive", () -> alive.getAsBoolean() ? 1 : 0)
        .description("1 while the model release follower runs").strongReference(true).register(registry);
  }

  /** The release follower survived an unexpected failure of {@code kind} (exception, error, out_of_memory). */
  public void releaseFollowerError(String kind) {
    Counter.builder("ctr.release.follower.errors").description("unexpected failures the release follower survived")
        .tag("kind", kind).register(registry).increment();
  }

  /** Unexpected failures the release follower survived so far, every kind. */
  public double releaseFollowerErrors() {
    return registry.find("ctr.release.follower.errors").counters().stream().mapToDouble(Counter::count).sum();
  }

  /** Releases installed so far. */
  public double modelSwaps() {
    return swaps.count();
  }

  /** Releases refused so far for {@code reason}. */
  public double modelRejections(String reason) {
    Counter c = registry.find("ctr.model.rejected").tag("reason", reason).counter();
    return c == null ? 0 : c.count();
  }

  public MeterRegistry registry() {
    return registry;
  }

  public void deadLetter(String topic, FailureKind kind) {
    Counter.builder("ctr.dead.letters").description("input records dead-lettered")
        .tag("topic", topic).tag("kind", kind.wireName()).register(registry).increment();
  }

  public void catalogRejected(FailureKind kind) {
    Counter.builder("ctr.catalog.rejected").description("movies skipped by the catalog")
        .tag("kind", kind.wireName()).register(registry).increment();
  }

  public void scored(int rows, boolean prior) {
    scoresCounter(prior).increment(rows);
    batchSize.record(rows);
  }

  private Counter scoresCounter(boolean prior) {
    return Counter.builder("ctr.scores").description("scores emitted")
        .tag("prior", Boolean.toString(prior)).register(registry);
  }

  /** Users forgotten by {@code user.retention.ms} in one expiry pass. */
  public void usersForgotten(int n) {
    if (n > 0) {
      Counter.builder("ctr.users.forgotten").description("users forgotten after user.retention.ms without an event")
          .register(registry).increment(n);
    }
  }

  public void feedback(String source) {
    Counter.builder("ctr.feedback").description("training examples emitted")
        .tag("source", source).register(registry).increment();
  }

  /** Dead letters so far, all topics and kinds. */
  public double deadLetters() {
    return registry.find("ctr.dead.letters").counters().stream().mapToDouble(Counter::count).sum();
  }

  /** Dead letters so far of one kind. */
  public double deadLetters(FailureKind kind) {
    return registry.find("ctr.dead.letters").tag("kind", kind.wireName()).counters().stream()
        .mapToDouble(Counter::count).sum();
  }

  /**
   * The model {@code version} gave a non-finite score or failed on a batch: it is unhealthy until
   * another version is served ({@link #modelServed}).
   */
  public void modelUnhealthy(String version, String reason) {
    unhealthy.set(new UnhealthyModel(version, reason, System.currentTimeMillis()));
  }

  /** The unhealthy model, when the version marked so is still the one served. */
  public Optional<UnhealthyModel> unhealthyModel(String servedVersion) {
    UnhealthyModel u = unhealthy.get();
    return u != null && u.version().equals(servedVersion) ? Optional.of(u) : Optional.empty();
  }

  /** Something could not be written at {@code stage} and was skipped. */
  public void errorSkipped(String stage) {
    Counter.builder("ctr.errors.skipped").description("records or dead letters that could not be written")
        .tag("stage", stage).register(registry).increment();
  }

  /** Skipped so far at {@code stage}. */
  public double errorsSkipped(String stage) {
    Counter c = registry.find("ctr.errors.skipped").tag("stage", stage).counter();
    return c == null ? 0 : c.count();
  }

  /** A record of {@code topic} arrived on {@code partition}; murmur2 puts its key on {@code expected}. */
  public void wrongPartition(String topic, int partition, int expected) {
    Counter.builder("ctr.wrong.partition").description("input records on another partition than murmur2 gives their key")
        .tag("topic", topic).register(registry).increment();
    wrongPartitions.merge(topic, new WrongPartition(topic, 1, partition, expected),
        (a, b) -> new WrongPartition(topic, a.count() + 1, partition, expected));
  }

  /** Input topics with records on the wrong partition, by topic. */
  public Map<String, WrongPartition> wrongPartitions() {
    return Map.copyOf(wrongPartitions);
  }

  /** A stream thread died on an uncaught error. */
  public void streamThreadFailed() {
    threadFailures.increment();
  }

  /** Stream threads that died so far. */
  public double streamThreadFailures() {
    return threadFailures.count();
  }

  /** Batches scored so far. */
  public long batches() {
    return batchSize.count();
  }
}
