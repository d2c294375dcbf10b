package io.ctrstream.dien.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Proves training works and does not leak: on a tiny synthetic problem (the label is whether the
 * candidate movie is in the history, which only the attention/interest path can see) repeated
 * steps cut the loss, and neither training steps nor predictions leave arrays behind in the
 * network's native memory.
 */
class TrainingTest {

  @Test
  void stepsReduceTheLossOnALearnableProblem() {
    DienConfig c = TestData.smallConfig().build();
    EncodedBatch[] batches = new EncodedBatch[6];
    for (int i = 0; i < batches.length; i++) {
      batches[i] = candidateInHistory(c, 64, 40 + i);
    }
    try (DienNetwork net = DienNetwork.create(c, 5);
        DienTrainStep step = DienTrainStep.builder().optLearningRate(0.01).build(net)) {
      double first = 0;
      double last = 0;
      int steps = 90;
      for (int s = 0; s < steps; s++) {
        DienTrainStep.StepResult r = step.step(batches[s % batches.length]);
        if (s < 12) {
          first += r.bce() / 12;
        }
        if (s >= steps - 12) {
          last += r.bce() / 12;
        }
      }
      assertThat(step.steps()).isEqualTo(steps);
      assertThat(last).isLessThan(0.6 * first);
    }
  }

  @Test
  void noArraysAccumulateAcrossStepsAndPredictions() {
    DienConfig c = TestData.smallConfig().optAttentionDropout(0.1).optMlpDropout(0.25).build();
    EncodedBatch batch = TestData.batch(c, 32, 7, 0, 6, 3, 1);
    try (DienNetwork net = DienNetwork.create(c, 6);
        DienTrainStep step = DienTrainStep.create(net)) {
      step.step(batch); // creates the optimiser state once
      net.predictProbabilities(batch);
      int after = net.parameterManager().getManagedArrays().size();
      for (int i = 0; i < 20; i++) {
        step.step(batch);
        net.predictProbabilities(batch);
        step.gradients(batch);
      }
      assertThat(net.parameterManager().getManagedArrays()).hasSize(after);
    }
  }

  @Test
  void trainingNeedsLabelsAndTwoRows() {
    DienConfig c = TestData.smallConfig().build();
    EncodedBatch batch = TestData.batch(c, 4, 8);
    EncodedBatch unlabeled =
        new EncodedBatch(4, 1, 3, 4, 6, batch.numeric(), batch.categorical(), batch.genres(),
            batch.history(), batch.negatives(), null);
    try (DienNetwork net = DienNetwork.create(c, 6);
        DienTrainStep step = DienTrainStep.create(net)) {
      assertThatThrownBy(() -> step.step(unlabeled)).hasMessageContaining("labels");
      assertThatThrownBy(() -> step.step(batch.slice(0, 1))).hasMessageContaining(">= 2 rows");
    }
  }

  /** Label 1 iff the candidate movie appears in the row's history. */
  static EncodedBatch candidateInHistory(DienConfig c, int rows, long seed) {
    EncodedBatch b = TestData.batch(c, rows, seed, 6, 5, 4, 3);
    Random r = new Random(seed);
    int t = b.historyLength();
    int nc = b.categoricalWidth();
    int[] lengths = b.historyLengths();
    float[] y = new float[rows];
    for (int i = 0; i < rows; i++) {
      boolean positive = r.nextBoolean();
      int candidate;
      if (positive) {
        candidate = b.history()[i * t + r.nextInt(lengths[i])];
      } else {
        do {
          candidate = 1 + r.nextInt(29);
        } while (contains(b.history(), i * t, t, candidate));
      }
      b.categorical()[i * nc + 1] = candidate;
      y[i] = positive ? 1 : 0;
    }
    return new EncodedBatch(rows, b.numericWidth(), nc, b.genresLength(), t, b.numeric(),
        b.categorical(), b.genres(), b.history(), b.negatives(), y);
  }

  private static boolean contains(int[] a, int from, int n, int v) {
    for (int i = from; i < from + n; i++) {
      if (a[i] == v) {
        return true;
      }
    }
    return false;
  }
}
