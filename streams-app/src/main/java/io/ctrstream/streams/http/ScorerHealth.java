package io.ctrstream.streams.http;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;

/**
 * Liveness and readiness of one scorer, each with the detail of every check, as orchestrators
 * expect them ({@code /health/live}, {@code /health/ready}).
 *
 * <ul>
 *   <li>Live: Kafka Streams is not dead (ERROR, PENDING_ERROR, NOT_RUNNING) and the release
 *       follower, when there is one, has not died. A restart is the remedy for what fails here.
 *   <li>Ready: live, and Kafka Streams is RUNNING (REBALANCING for at most the grace period), fewer
 *       than two stream threads died within the failure window (a thread that keeps dying on a
 *       record is not serving), and the served model is not marked unhealthy (it gave a
 *       non-finite score). Records on the wrong partition for their key are reported, not failed.
 * </ul>
 *
 * Thread-safe.
 */
public final class ScorerHealth {
  private static final Set<KafkaStreams.State> DEAD = Set.of(
      KafkaStreams.State.ERROR, KafkaStreams.State.PENDING_ERROR, KafkaStreams.State.NOT_RUNNING);

  /** One answer: whether all checks pass, and each check's detail. */
  public record Report(boolean ok, Map<String, Object> checks) {}

  private final Supplier<KafkaStreams.State> state;
  private final BooleanSupplier followerAlive;
  private final Supplier<Optional<String>> modelProblem;
  private final Supplier<Map<String, ?>> wrongPartitions;
  private final long rebalancingGraceMs;
  private final long threadFailureWindowMs;
  private final LongSupplier clock;
  private final Deque<Long> threadFailures = new ArrayDeque<>();
  private KafkaStreams.State lastState;
  private long stateSince;

  private ScorerHealth(Builder b) {
    this.state = b.state;
    this.followerAlive = b.followerAlive;
    this.modelProblem = b.modelProblem;
    this.wrongPartitions = b.wrongPartitions;
    this.rebalancingGraceMs = b.rebalancingGraceMs;
    this.threadFailureWindowMs = b.threadFailureWindowMs;
    this.clock = b.clock;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A stream thread died on an uncaught error (it may be replaced). */
  public synchronized void threadFailed() {
    threadFailures.addLast(clock.getAsLong());
  }

  /** Liveness: whether a restart is needed (false) or not. */
  public synchronized Report live() {
    Map<String, Object> checks = new LinkedHashMap<>();
    boolean ok = streamsAlive(checks) & followerAlive(checks);
    return new Report(ok, checks);
  }

  /** Readiness: whether this instance serves now. */
  public synchronized Report ready() {
    long now = clock.getAsLong();
    Map<String, Object> checks = new LinkedHashMap<>();
    boolean ok = streamsAlive(checks) & followerAlive(checks);
    KafkaStreams.State s = observedState(now);
    long inState = now - stateSince;
    boolean running = s == KafkaStreams.State.RUNNING
        || s == KafkaStreams.State.REBALANCING && inState <= rebalancingGraceMs;
    checks.put("running", check(running, s == KafkaStreams.State.REBALANCING
        ? "REBALANCING for " + inState + " ms (grace " + rebalancingGraceMs + " ms)"
        : s.name() + " for " + inState + " ms"));
    while (!threadFailures.isEmpty() && threadFailures.peekFirst() < now - threadFailureWindowMs) {
      threadFailures.removeFirst();
    }
    boolean threadsOk = threadFailures.size() < 2;
    checks.put("streamThreads", check(threadsOk, threadFailures.size() + " stream thread failures in the last "
        + threadFailureWindowMs + " ms" + (threadsOk ? "" : ": a thread keeps dying")));
    Optional<String> model = modelProblem.get();
    checks.put("model", check(model.isEmpty(), model.orElse("no non-finite score from the served model")));
    Map<String, ?> wrong = wrongPartitions.get();
    if (!wrong.isEmpty()) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("ok", true);
      c.put("detail", "records on another partition than murmur2 gives their key (produce with the Java "
          + "client's partitioner; kcat: -X partitioner=murmur2_random)");
      c.put("topics", wrong);
      checks.put("partitioning", c);
    }
    ok &= running & threadsOk & model.isEmpty();
    return new Report(ok, checks);
  }

  private boolean streamsAlive(Map<String, Object> checks) {
    KafkaStreams.State s = observedState(clock.getAsLong());
    boolean ok = !DEAD.contains(s);
    checks.put("streams", check(ok, s.name()));
    return ok;
  }

  private boolean followerAlive(Map<String, Object> checks) {
    if (followerAlive == null) {
      return true;
    }
    boolean ok = followerAlive.getAsBoolean();
    checks.put("releaseFollower", check(ok, ok ? "following model releases" : "the release follower thread died"));
    return ok;
  }

  private KafkaStreams.State observedState(long now) {
    KafkaStreams.State s = state.get();
    if (s != lastState) {
      lastState = s;
      stateSince = now;
    }
    return s;
  }

  private static Map<String, Object> check(boolean ok, String detail) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ok", ok);
    m.put("detail", detail);
    return m;
  }

  /** Builder: {@code setState} required. */
  public static final class Builder {
    private Supplier<KafkaStreams.State> state;
    private BooleanSupplier followerAlive;
    private Supplier<Optional<String>> modelProblem = Optional::empty;
    private Supplier<Map<String, ?>> wrongPartitions = Map::of;
    private long rebalancingGraceMs = 120_000;
    private long threadFailureWindowMs = 300_000;
    private LongSupplier clock = System::currentTimeMillis;

    private Builder() {}

    public Builder setState(Supplier<KafkaStreams.State> state) {
      this.state = state;
      return this;
    }

    /** Whether the release follower is alive; not set: no follower, no check. */
    public Builder optFollowerAlive(BooleanSupplier followerAlive) {
      this.followerAlive = followerAlive;
      return this;
    }

    /** Why the served model is unhealthy, empty when it is not. */
    public Builder optModelProblem(Supplier<Optional<String>> modelProblem) {
      this.modelProblem = Objects.requireNonNull(modelProblem);
      return this;
    }

    /** Input topics with records on the wrong partition (topic to detail). */
    public Builder optWrongPartitions(Supplier<Map<String, ?>> wrongPartitions) {
      this.wrongPartitions = Objects.requireNonNull(wrongPartitions);
      return this;
    }

    /** How long REBALANCING is still ready; default 120 s ({@code ready.rebalancing.grace.ms}). */
    public Builder optRebalancingGraceMs(long ms) {
      this.rebalancingGraceMs = ms;
      return this;
    }

    /** Two thread failures within this window make it not ready; default 5 min. */
    public Builder optThreadFailureWindowMs(long ms) {
      this.threadFailureWindowMs = ms;
      return this;
    }

    /** Wall clock, for tests; default {@code System::currentTimeMillis}. */
    public Builder optClock(LongSupplier clock) {
      this.clock = Objects.requireNonNull(clock);
      return this;
    }

    public ScorerHealth build() {
      Objects.requireNonNull(state, "state not set: call setState");
      return new ScorerHealth(this);
    }
  }
}
