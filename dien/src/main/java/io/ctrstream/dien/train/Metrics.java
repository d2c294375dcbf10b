package io.ctrstream.dien.train;

import java.util.Arrays;

/**
 * Binary-classification metrics over plain arrays, as the reference computes them.
 *
 * <p>AUC is the rank statistic (Mann-Whitney U divided by the number of positive/negative pairs)
 * with tied scores given their average rank, so it equals scikit-learn's {@code roc_auc_score}.
 * Log loss clips probabilities to {@code [eps, 1 - eps]} so a confident mistake costs a large but
 * finite amount.
 */
public final class Metrics {

  /** Clip for log loss: the smallest step of a float near 1, since the model emits floats. */
  public static final double LOG_LOSS_EPS = 1e-7;

  private Metrics() {}

  /**
   * Area under the ROC curve.
   *
   * @param labels 0 or 1 per row
   * @param scores any monotone score per row (probabilities or logits)
   * @return the AUC in [0, 1], or {@code NaN} when all labels are equal (AUC is undefined then)
   */
  public static double auc(int[] labels, float[] scores) {
    checkSameLength(labels.length, scores.length);
    int n = labels.length;
    Integer[] order = new Integer[n];
    for (int i = 0; i < n; i++) {
      order[i] = i;
    }
    Arrays.sort(order, (a, b) -> Float.compare(scores[a], scores[b]));
    long positives = 0;
    double positiveRankSum = 0;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) {
        j++;
      }
      // ranks are 1-based; a run of ties i..j shares the mean of ranks i+1..j+1
      double averageRank = (i + j) / 2.0 + 1.0;
      for (int k = i; k <= j; k++) {
        int label = labels[order[k]];
        checkLabel(label);
        if (label == 1) {
          positives++;
          positiveRankSum += averageRank;
        }
      }
      i = j + 1;
    }
    long negatives = n - positives;
    if (positives == 0 || negatives == 0) {
      return Double.NaN;
    }
    double u = positiveRankSum - positives * (positives + 1) / 2.0;
    return u / ((double) positives * negatives);
  }

  /**
   * Mean binary cross-entropy of probabilities, each clipped to {@code [eps, 1 - eps]}.
   *
   * @return the mean log loss, or {@code NaN} for no rows
   */
  public static double logLoss(int[] labels, float[] probabilities) {
    checkSameLength(labels.length, probabilities.length);
    if (labels.length == 0) {
      return Double.NaN;
    }
    double sum = 0;
    for (int i = 0; i < labels.length; i++) {
      checkLabel(labels[i]);
      double p = Math.min(Math.max(probabilities[i], LOG_LOSS_EPS), 1 - LOG_LOSS_EPS);
      sum -= labels[i] == 1 ? Math.log(p) : Math.log(1 - p);
    }
    return sum / labels.length;
  }

  /**
   * Expected calibration error: rows put in {@code bins} equal-width bins of predicted
   * probability; the mean over rows of |mean prediction - observed rate| of the row's bin.
   *
   * @return the error in [0, 1], or {@code NaN} for no rows
   */
  public static double expectedCalibrationError(int[] labels, float[] probabilities, int bins) {
    double[][] r = reliability(labels, probabilities, bins);
    if (labels.length == 0) {
      return Double.NaN;
    }
    double sum = 0;
    for (double[] bin : r) {
      if (bin[0] > 0) {
        sum += bin[0] * Math.abs(bin[1] - bin[2]);
      }
    }
    return sum / labels.length;
  }

  /**
   * The reliability diagram's data: per equal-width bin of predicted probability, {rows, mean
   * prediction, observed positive rate} (0 rows: both NaN).
   */
  public static double[][] reliability(int[] labels, float[] probabilities, int bins) {
    checkSameLength(labels.length, probabilities.length);
    if (bins < 1) {
      throw new IllegalArgumentException("bins must be > 0, got " + bins);
    }
    double[][] out = new double[bins][3];
    for (int i = 0; i < labels.length; i++) {
      checkLabel(labels[i]);
      int b = Math.min(bins - 1, Math.max(0, (int) (probabilities[i] * bins)));
      out[b][0]++;
      out[b][1] += probabilities[i];
      out[b][2] += labels[i];
    }
    for (double[] bin : out) {
      bin[1] = bin[0] > 0 ? bin[1] / bin[0] : Double.NaN;
      bin[2] = bin[0] > 0 ? bin[2] / bin[0] : Double.NaN;
    }
    return out;
  }

  private static void checkSameLength(int labels, int scores) {
    if (labels != scores) {
      throw new IllegalArgumentException(
          "labels and scores must have the same length, got " + labels + " and " + scores);
    }
  }

  private static void checkLabel(int label) {
    if (label != 0 && label != 1) {
      throw new IllegalArgumentException("labels must be 0 or 1, got " + label);
    }
  }
}
