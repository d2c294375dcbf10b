package io.ctrstream.trainer.replay;

import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Spaces events to a target rate on an absolute schedule: event {@code n} (counted from 0) is due
 * at {@code origin + n / rate}. Sleeping until a due time, rather than for a fixed interval after
 * each send, keeps the average exact although each sleep overshoots by a little.
 *
 * <p>When sending falls behind (a slow broker, a long GC), the pacer sends without sleeping to
 * catch up, but never by more than {@code maxLag} worth of events: beyond that the schedule is
 * moved, so a stall is followed by a bounded burst, not by minutes of full speed. After a
 * deliberate pause (a checkpoint hook), {@link #resume()} moves the schedule so nothing bursts.
 *
 * <p>Not thread-safe: one pacer per sending thread. Clock and sleep are injected so the schedule
 * is testable without sleeping.
 */
final class Pacer {

  /** Sleeps for a number of nanoseconds. */
  @FunctionalInterface
  interface Sleeper {
    void sleepNanos(long nanos) throws InterruptedException;
  }

  private static final Sleeper SYSTEM_SLEEPER = TimeUnit.NANOSECONDS::sleep;

  private final double nanosPerEvent;
  private final long maxLagNanos;
  private final LongSupplier clock;
  private final Sleeper sleeper;
  private long origin;
  private long next;
  private boolean started;

  /**
   * @param eventsPerSecond target rate, > 0
   * @param maxLagNanos how far behind schedule catching up may reach, >= 0
   */
  Pacer(double eventsPerSecond, long maxLagNanos, LongSupplier clock, Sleeper sleeper) {
    // Double.MAX_VALUE (unlimited()) passes and gives 0 ns per event: acquire() returns at once.
    if (!(eventsPerSecond > 0) || Double.isInfinite(eventsPerSecond)) {
      throw new IllegalArgumentException(
          "eventsPerSecond must be > 0 and finite, got " + eventsPerSecond);
    }
    if (maxLagNanos < 0) {
      throw new IllegalArgumentException("maxLagNanos must be >= 0, got " + maxLagNanos);
    }
    this.nanosPerEvent = eventsPerSecond == Double.MAX_VALUE ? 0 : 1e9 / eventsPerSecond;
    this.maxLagNanos = maxLagNanos;
    this.clock = clock;
    this.sleeper = sleeper;
  }

  /** A pacer on the system clock that may catch up by at most one second. */
  static Pacer system(double eventsPerSecond) {
    return new Pacer(
        eventsPerSecond, TimeUnit.SECONDS.toNanos(1), System::nanoTime, SYSTEM_SLEEPER);
  }

  /** A pacer that never waits (rate unlimited). */
  static Pacer unlimited() {
    return new Pacer(Double.MAX_VALUE, 0, () -> 0L, nanos -> {});
  }

  /** Waits until the next event is due, then counts it. The first event is due at once. */
  void acquire() throws InterruptedException {
    if (nanosPerEvent == 0) {
      return;
    }
    long now = clock.getAsLong();
    if (!started) {
      started = true;
      origin = now;
    }
    long due = dueAt(next);
    long wait = due - now;
    if (wait > 0) {
      sleeper.sleepNanos(wait);
    } else if (-wait > maxLagNanos) {
      // Too far behind: pretend this event was scheduled maxLag ago, so at most maxLag of
      // events go out unpaced.
      origin = now - maxLagNanos - offset(next);
    }
    next++;
  }

  /** Moves the schedule so that the next event is due now (call after a deliberate pause). */
  void resume() {
    if (started) {
      origin = clock.getAsLong() - offset(next);
    }
  }

  /** When event {@code n} is due on the current schedule (nanoTime). */
  long dueAt(long n) {
    return origin + offset(n);
  }

  private long offset(long n) {
    return Math.round(n * nanosPerEvent);
  }
}
