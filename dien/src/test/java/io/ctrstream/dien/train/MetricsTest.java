package io.ctrstream.dien.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

/**
 * Proves AUC and log loss against values worked out by hand (pair counting for AUC, logarithms
 * for log loss), including ties, undefined cases and clipping.
 */
class MetricsTest {

  @Test
  void aucCountsCorrectlyOrderedPairs() {
    // positives 0.8, 0.4; negatives 0.1, 0.5: pairs (0.8>0.1) (0.8>0.5) (0.4>0.1) (0.4<0.5) = 3/4
    int[] labels = {1, 0, 1, 0};
    float[] scores = {0.8f, 0.1f, 0.4f, 0.5f};
    assertThat(Metrics.auc(labels, scores)).isCloseTo(0.75, within(1e-12));
  }

  @Test
  void aucGivesTiedPairsHalfCredit() {
    // positives 0.5, 0.9; negatives 0.5, 0.2, 0.5
    // 0.9 beats all 3 = 3; 0.5 beats 0.2 = 1, ties two 0.5 negatives = 2 * 0.5 = 1; total 5 / 6
    int[] labels = {1, 0, 1, 0, 0};
    float[] scores = {0.5f, 0.5f, 0.9f, 0.2f, 0.5f};
    assertThat(Metrics.auc(labels, scores)).isCloseTo(5.0 / 6.0, within(1e-12));
  }

  @Test
  void aucIsOneForPerfectAndZeroForReversedRanking() {
    int[] labels = {0, 0, 1, 1};
    assertThat(Metrics.auc(labels, new float[] {0.1f, 0.2f, 0.3f, 0.4f})).isEqualTo(1.0);
    assertThat(Metrics.auc(labels, new float[] {0.4f, 0.3f, 0.2f, 0.1f})).isEqualTo(0.0);
    assertThat(Metrics.auc(labels, new float[] {0.5f, 0.5f, 0.5f, 0.5f})).isEqualTo(0.5);
  }

  @Test
  void aucIsUndefinedWithOneClass() {
    assertThat(Metrics.auc(new int[] {1, 1}, new float[] {0.2f, 0.3f})).isNaN();
  }

  @Test
  void logLossIsMeanNegativeLogLikelihood() {
    int[] labels = {1, 0, 1};
    float[] p = {0.8f, 0.3f, 0.5f};
    double expected = -(Math.log(0.8f) + Math.log(1 - 0.3f) + Math.log(0.5f)) / 3;
    assertThat(Metrics.logLoss(labels, p)).isCloseTo(expected, within(1e-9));
    // (0.2231 + 0.3567 + 0.6931) / 3
    assertThat(Metrics.logLoss(labels, p)).isCloseTo(0.42432, within(1e-4));
  }

  @Test
  void logLossClipsCertainMistakes() {
    double loss = Metrics.logLoss(new int[] {1, 0}, new float[] {0f, 1f});
    assertThat(loss).isCloseTo(-Math.log(Metrics.LOG_LOSS_EPS), within(1e-6));
  }

  @Test
  void rejectsMismatchedLengthsAndBadLabels() {
    assertThatThrownBy(() -> Metrics.auc(new int[] {1}, new float[] {0.1f, 0.2f}))
        .hasMessageContaining("same length");
    assertThatThrownBy(() -> Metrics.logLoss(new int[] {2}, new float[] {0.1f}))
        .hasMessageContaining("0 or 1");
  }
}
