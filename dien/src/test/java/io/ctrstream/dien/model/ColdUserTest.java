package io.ctrstream.dien.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.ctrstream.dien.model.DienConfig.Evolution;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Proves the cold-user behaviour the reference lacks (it crashes on an empty history): a row with
 * no history gets a finite logit computed from a zero interest vector (so it is the same under
 * every evolution variant and does not depend on any sequence weight), it adds nothing to the
 * auxiliary loss, and a batch of only such rows scores and trains without NaN (aux loss 0).
 */
class ColdUserTest {

  @ParameterizedTest
  @EnumSource(Evolution.class)
  void mixedBatchIsFiniteInEvalAndTraining(Evolution evo) {
    DienConfig c = TestData.smallConfig().optEvolution(evo).build();
    EncodedBatch batch = TestData.batch(c, 8, 3, 0, 6, 1, 0, 3, 2, 0, 5);
    try (DienNetwork net = DienNetwork.create(c, 11);
        DienTrainStep step = DienTrainStep.create(net)) {
      float[] p = net.predictProbabilities(batch);
      assertThat(p).hasSize(8);
      for (float v : p) {
        assertThat(v).isBetween(0f, 1f).isNotNaN();
      }
      DienTrainStep.StepResult r = step.step(batch);
      assertThat(r.loss()).isFinite();
      assertThat(r.auxLoss()).isFinite().isPositive();
      assertAllParametersFinite(net);
    }
  }

  @ParameterizedTest
  @EnumSource(Evolution.class)
  void allColdBatchScoresAndTrains(Evolution evo) {
    DienConfig c = TestData.smallConfig().optEvolution(evo).build();
    EncodedBatch cold = TestData.batch(c, 4, 5, 0);
    try (DienNetwork net = DienNetwork.create(c, 12);
        DienTrainStep step = DienTrainStep.create(net);
        NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      ForwardResult f = net.forward(m, cold, false);
      for (float v : f.logits().toFloatArray()) {
        assertThat(v).isFinite();
      }
      assertThat(f.auxLoss().getFloat()).isEqualTo(0f);
      DienTrainStep.StepResult r = step.step(cold);
      assertThat(r.auxLoss()).isEqualTo(0.0);
      assertThat(r.loss()).isFinite().isEqualTo(r.bce(), within(1e-7));
      assertAllParametersFinite(net);
      for (float v : net.predictProbabilities(cold)) {
        assertThat(v).isBetween(0f, 1f);
      }
    }
  }

  @Test
  void coldRowUsesAZeroInterestVector() {
    // Same embeddings and final MLP in four networks that differ in every sequence weight and in
    // the evolution variant: a cold row must score the same in all of them (its interest input
    // to the MLP is the zero vector), a row with history must not.
    DienConfig base = TestData.smallConfig().build();
    EncodedBatch batch = TestData.batch(base, 4, 9, 0, 5, 0, 3);
    Map<String, float[]> shared = new HashMap<>();
    float[][] logits = new float[4][];
    int k = 0;
    for (Evolution evo : Evolution.values()) {
      DienConfig c = base.toBuilder().optEvolution(evo).build();
      try (DienNetwork net = DienNetwork.create(c, 100 + k)) {
        Map<String, float[]> values = new HashMap<>();
        for (String name : net.parameterNames()) {
          boolean sharedPart = name.startsWith("embedding:") || name.startsWith("mlp.")
              || name.startsWith("final_layer");
          if (sharedPart && shared.containsKey(name)) {
            values.put(name, shared.get(name));
          } else {
            values.put(name, net.parameterValues(name));
            if (sharedPart) {
              shared.put(name, net.parameterValues(name));
            }
          }
        }
        net.loadStateDict(values);
        logits[k++] = net.predictProbabilities(batch);
      }
    }
    for (int v = 1; v < 4; v++) {
      assertThat(logits[v][0]).isEqualTo(logits[0][0], within(1e-6f));
      assertThat(logits[v][2]).isEqualTo(logits[0][2], within(1e-6f));
      assertThat(Math.abs(logits[v][1] - logits[0][1])).isGreaterThan(1e-6f);
    }
  }

  @Test
  void coldAndLengthOneRowsAddNothingToTheAuxLoss() {
    DienConfig c = TestData.smallConfig().build();
    EncodedBatch warm = TestData.batch(c, 3, 21, 6, 4, 2);
    EncodedBatch others = TestData.batch(c, 3, 22, 0, 1, 0);
    EncodedBatch mixed = concat(warm, others);
    try (DienNetwork net = DienNetwork.create(c, 13);
        NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      float auxWarm = net.forward(m, warm, false).auxLoss().getFloat();
      float auxMixed = net.forward(m, mixed, false).auxLoss().getFloat();
      assertThat(auxWarm).isPositive();
      assertThat(auxMixed).isEqualTo(auxWarm, within(1e-6f));
    }
  }

  static void assertAllParametersFinite(DienNetwork net) {
    for (String name : net.parameterNames()) {
      for (float v : net.parameterValues(name)) {
        assertThat(v).as(name).isFinite();
      }
    }
  }

  static EncodedBatch concat(EncodedBatch a, EncodedBatch b) {
    return new EncodedBatch(
        a.size() + b.size(), a.numericWidth(), a.categoricalWidth(), a.genresLength(),
        a.historyLength(), cat(a.numeric(), b.numeric()), cat(a.categorical(), b.categorical()),
        cat(a.genres(), b.genres()), cat(a.history(), b.history()),
        cat(a.negatives(), b.negatives()), cat(a.labels(), b.labels()));
  }

  private static float[] cat(float[] x, float[] y) {
    float[] o = java.util.Arrays.copyOf(x, x.length + y.length);
    System.arraycopy(y, 0, o, x.length, y.length);
    return o;
  }

  private static int[] cat(int[] x, int[] y) {
    int[] o = java.util.Arrays.copyOf(x, x.length + y.length);
    System.arraycopy(y, 0, o, x.length, y.length);
    return o;
  }
}
