package io.ctrstream.dien.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** The closed-form fits: a logistic regression recovers the weights it was drawn from; Platt. */
class LogisticTest {

  @Test
  void recoversTheWeightsOfTheModelTheLabelsWereDrawnFrom() {
    Random r = new Random(7);
    int n = 40_000;
    float[] x = new float[n * 2];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      x[2 * i] = (float) r.nextGaussian();
      x[2 * i + 1] = (float) r.nextGaussian();
      double z = 1.2 * x[2 * i] - 0.7 * x[2 * i + 1] + 0.3;
      y[i] = r.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
    }
    double[] w = Logistic.fit(x, 2, y, 0);
    assertThat(w[0]).isCloseTo(1.2, within(0.05));
    assertThat(w[1]).isCloseTo(-0.7, within(0.05));
    assertThat(w[2]).isCloseTo(0.3, within(0.05));
    float[] p = Logistic.predict(x, 2, w);
    assertThat(p).hasSize(n);
    assertThat(Metrics.auc(y, p)).isGreaterThan(0.75);
  }

  @Test
  void plattScalingUndoesAnOverconfidentScore() {
    Random r = new Random(3);
    int n = 20_000;
    float[] p = new float[n];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      double z = r.nextGaussian();
      y[i] = r.nextDouble() < 1 / (1 + Math.exp(-z)) ? 1 : 0;
      p[i] = (float) (1 / (1 + Math.exp(-(3 * z - 1)))); // too sharp and shifted
    }
    double[] platt = Logistic.platt(p, y);
    assertThat(platt[0]).isCloseTo(1 / 3.0, within(0.03));
    assertThat(platt[1]).isCloseTo(1 / 3.0, within(0.05));
    float[] fixed = new float[n];
    for (int i = 0; i < n; i++) {
      double z = Math.log(p[i] / (1 - p[i]));
      fixed[i] = (float) (1 / (1 + Math.exp(-(platt[0] * z + platt[1]))));
    }
    assertThat(Metrics.expectedCalibrationError(y, fixed, 10))
        .isLessThan(0.02)
        .isLessThan(Metrics.expectedCalibrationError(y, p, 10));
  }

  @Test
  void aScoreThatRanksBackwardsIsLeftAlone() {
    float[] p = {0.9f, 0.8f, 0.2f, 0.1f};
    int[] y = {0, 0, 1, 1};
    assertThat(Logistic.platt(p, y)).containsExactly(1, 0);
  }

  @Test
  void expectedCalibrationErrorByHand() {
    // bin 0.1-0.2: two rows, mean 0.15, rate 0.5 -> 0.35; bin 0.9-1: two rows, mean 0.95, rate 1
    float[] p = {0.1f, 0.2f - 1e-6f, 0.9f, 1f};
    int[] y = {0, 1, 1, 1};
    assertThat(Metrics.expectedCalibrationError(y, p, 10)).isCloseTo((2 * 0.35 + 2 * 0.05) / 4,
        within(1e-5));
    double[][] bins = Metrics.reliability(y, p, 10);
    assertThat(bins[1][0]).isEqualTo(2);
    assertThat(bins[9][2]).isEqualTo(1);
    assertThat(bins[5][1]).isNaN();
  }
}
