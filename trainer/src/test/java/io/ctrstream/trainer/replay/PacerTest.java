package io.ctrstream.trainer.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Proves the pacing arithmetic on a fake clock (nothing sleeps): events go out at exact
 * multiples of 1/rate from the first, sleep overshoot and send cost do not drift the average, a
 * stall is followed by a burst of at most maxLag worth of events, and resume() after a
 * deliberate pause allows no burst at all.
 */
class PacerTest {

  private static final long MS = 1_000_000L;

  /** A clock that only moves when the pacer sleeps or the test says so. */
  private static final class FakeTime {
    long now = 42 * MS;
    long overshoot;
    final List<Long> sleeps = new ArrayList<>();

    void sleep(long nanos) {
      sleeps.add(nanos);
      now += nanos + overshoot;
    }

    Pacer pacer(double rate, long maxLagNanos) {
      return new Pacer(rate, maxLagNanos, () -> now, this::sleep);
    }
  }

  @Test
  void eventsAreDueAtExactMultiplesOfTheInterval() throws InterruptedException {
    FakeTime t = new FakeTime();
    Pacer pacer = t.pacer(500, 1000 * MS);
    long start = t.now;
    for (int i = 0; i < 1000; i++) {
      pacer.acquire();
    }
    // The first event goes at once, each later one 1/500 s after the previous: 999 intervals.
    assertThat(t.now - start).isEqualTo(999 * 2 * MS);
    assertThat(t.sleeps).hasSize(999).allMatch(s -> s == 2 * MS);
  }

  @Test
  void sleepOvershootDoesNotAccumulate() throws InterruptedException {
    FakeTime t = new FakeTime();
    t.overshoot = MS * 7 / 10; // every sleep wakes 0.7 ms late, as Thread.sleep does
    Pacer pacer = t.pacer(500, 1000 * MS);
    long start = t.now;
    for (int i = 0; i < 1000; i++) {
      pacer.acquire();
    }
    // Only the last sleep's overshoot remains: the schedule is absolute, not relative.
    assertThat(t.now - start).isEqualTo(999 * 2 * MS + t.overshoot);
    assertThat(t.sleeps.subList(1, t.sleeps.size())).allMatch(s -> s == 2 * MS - t.overshoot);
  }

  @Test
  void sendCostIsAbsorbedByShorterSleeps() throws InterruptedException {
    FakeTime t = new FakeTime();
    Pacer pacer = t.pacer(250, 1000 * MS); // 4 ms per event
    long start = t.now;
    for (int i = 0; i < 100; i++) {
      pacer.acquire();
      t.now += 3 * MS; // sending takes 3 ms
    }
    assertThat(t.sleeps).hasSize(99).allMatch(s -> s == MS);
    assertThat(t.now - start).isEqualTo(99 * 4 * MS + 3 * MS);
  }

  @Test
  void aStallIsFollowedByABurstOfAtMostMaxLag() throws InterruptedException {
    FakeTime t = new FakeTime();
    long maxLag = 100 * MS;
    Pacer pacer = t.pacer(1000, maxLag); // 1 ms per event
    for (int i = 0; i < 10; i++) {
      pacer.acquire();
    }
    t.now += 5_000 * MS; // a 5 s stall
    int sleepsBefore = t.sleeps.size();
    int unpaced = 0;
    while (t.sleeps.size() == sleepsBefore) {
      pacer.acquire();
      unpaced++;
    }
    // maxLag / interval events were overdue, plus the one due exactly now; the next one slept.
    assertThat(unpaced - 1).isEqualTo(101);
    assertThat(t.sleeps.get(t.sleeps.size() - 1)).isEqualTo(MS);
  }

  @Test
  void resumeAfterAPauseAllowsNoBurst() throws InterruptedException {
    FakeTime t = new FakeTime();
    Pacer pacer = t.pacer(1000, 1000 * MS);
    for (int i = 0; i < 10; i++) {
      pacer.acquire();
    }
    t.now += 5_000 * MS; // a checkpoint hook that ran for 5 s
    pacer.resume();
    int sleepsBefore = t.sleeps.size();
    pacer.acquire(); // due now
    assertThat(t.sleeps).hasSize(sleepsBefore);
    pacer.acquire(); // one interval later
    assertThat(t.sleeps).hasSize(sleepsBefore + 1);
    assertThat(t.sleeps.get(sleepsBefore)).isEqualTo(MS);
  }

  @Test
  void maximumRateNeverReadsTheClockNorSleeps() throws InterruptedException {
    List<String> calls = new ArrayList<>();
    // The rate Pacer.unlimited() uses.
    Pacer pacer = new Pacer(Double.MAX_VALUE, 0, () -> {
      calls.add("clock");
      return 0L;
    }, nanos -> calls.add("sleep " + nanos));
    for (int i = 0; i < 1_000; i++) {
      pacer.acquire();
    }
    pacer.resume();
    assertThat(calls).isEmpty();
  }

  @Test
  void rejectsARateThatIsNotPositive() {
    FakeTime t = new FakeTime();
    assertThatThrownBy(() -> t.pacer(0, 0)).hasMessageContaining("eventsPerSecond must be > 0");
    assertThatThrownBy(() -> t.pacer(Double.NaN, 0)).hasMessageContaining("got NaN");
    assertThatThrownBy(() -> t.pacer(10, -1)).hasMessageContaining("maxLagNanos must be >= 0");
  }
}
