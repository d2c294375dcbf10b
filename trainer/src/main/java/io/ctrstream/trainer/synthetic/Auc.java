package io.ctrstream.trainer.synthetic;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Area under the ROC curve by ranks (Mann-Whitney U), ties counted as half. Kept here so the
 * generator's report needs no model code; the model module has its own metric for training.
 */
final class Auc {

  private Auc() {}

  /**
   * @return the AUC of {@code scores} for {@code labels}; NaN when one class is absent
   */
  static double of(double[] scores, boolean[] labels) {
    if (scores.length != labels.length) {
      throw new IllegalArgumentException(
          "scores and labels differ in length: " + scores.length + " vs " + labels.length);
    }
    int n = scores.length;
    Integer[] order = new Integer[n];
    Arrays.setAll(order, i -> i);
    Arrays.sort(order, Comparator.comparingDouble(i -> scores[i]));
    double positiveRankSum = 0;
    long positives = 0;
    int i = 0;
    while (i < n) {
      int j = i;
      while (j + 1 < n && scores[order[j + 1]] == scores[order[i]]) {
        j++;
      }
      double meanRank = (i + j) / 2.0 + 1; // 1-based mean rank of the tie group
      for (int k = i; k <= j; k++) {
        if (labels[order[k]]) {
          positiveRankSum += meanRank;
          positives++;
        }
      }
      i = j + 1;
    }
    long negatives = n - positives;
    if (positives == 0 || negatives == 0) {
      return Double.NaN;
    }
    return (positiveRankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
  }
}
