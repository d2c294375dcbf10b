package io.ctrstream.trainer.replay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * Proves the checkpoint schedule the demo uses (20 % then every 10 %) lists exactly 0.2 ... 1.0
 * without floating-point drift, and that a fraction's threshold is the smallest rating count
 * reaching it.
 */
class CheckpointsTest {

  @Test
  void twentyPercentThenEveryTenPercent() {
    assertThat(Checkpoints.startingAt(0.2, 0.1).fractions())
        .containsExactly(0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0);
    assertThat(Checkpoints.startingAt(0.25, 0.5).fractions()).containsExactly(0.25, 0.75);
  }

  @Test
  void thresholdIsTheSmallestCountReachingTheFraction() {
    assertThat(Checkpoints.threshold(0.3, 10)).isEqualTo(3); // 0.3 * 10 = 3.0000000000000004
    assertThat(Checkpoints.threshold(0.25, 9)).isEqualTo(3); // 2.25 -> 3
    assertThat(Checkpoints.threshold(0.5, 9)).isEqualTo(5);
    assertThat(Checkpoints.threshold(1.0, 9)).isEqualTo(9);
    assertThat(Checkpoints.threshold(0.2, 60_000)).isEqualTo(12_000);
    assertThat(Checkpoints.threshold(0.1, 1)).isEqualTo(1);
  }

  @Test
  void rejectsFractionsOutsideTheUnitIntervalOrOutOfOrder() {
    assertThatThrownBy(() -> Checkpoints.of(0.5, 0.5)).hasMessageContaining("strictly increasing");
    assertThatThrownBy(() -> Checkpoints.of(0.0)).hasMessageContaining("(0, 1]");
    assertThatThrownBy(() -> Checkpoints.of(1.5)).hasMessageContaining("got [1.5]");
    assertThatThrownBy(() -> Checkpoints.startingAt(0.2, 0))
        .hasMessageContaining("step must be > 0");
    assertThat(Checkpoints.none().fractions()).isEmpty();
  }
}
