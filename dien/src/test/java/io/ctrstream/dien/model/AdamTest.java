package io.ctrstream.dien.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Proves DienTrainStep's update is torch.optim.Adam(lr=0.002, weight_decay=0.001): for three
 * steps, every parameter moves exactly as a plain double-precision transcription of torch's
 * update computes from the same gradients (L2 decay added to the gradient, bias corrections,
 * eps after the corrected square root); a parameter that never gets a gradient is not touched;
 * the padding rows stay zero.
 */
class AdamTest {

  @Test
  void updateIsTorchAdam() {
    // No negative sampling: the negatives table is in the network but never in the graph.
    DienConfig c = TestData.smallConfig().optUseNegSampling(false).build();
    EncodedBatch batch = TestData.batch(c, 16, 31, 6, 2, 0, 4);
    double lr = 0.002;
    double wd = 0.001;
    double b1 = 0.9;
    double b2 = 0.999;
    double eps = 1e-8;
    try (DienNetwork net = DienNetwork.create(c, 3);
        DienTrainStep step = DienTrainStep.create(net)) {
      float[] negBefore = net.parameterValues("embedding:negHistMovieIds.weight");
      Map<String, double[]> m = new HashMap<>();
      Map<String, double[]> v = new HashMap<>();
      for (int t = 1; t <= 3; t++) {
        Map<String, float[]> grads = step.gradients(batch).gradients();
        assertThat(grads).doesNotContainKey("embedding:negHistMovieIds.weight");
        Map<String, float[]> before = new HashMap<>();
        for (String name : grads.keySet()) {
          before.put(name, net.parameterValues(name));
        }
        step.step(batch);
        for (Map.Entry<String, float[]> g : grads.entrySet()) {
          String name = g.getKey();
          float[] w0 = before.get(name);
          float[] w1 = net.parameterValues(name);
          double[] mm = m.computeIfAbsent(name, k -> new double[w0.length]);
          double[] vv = v.computeIfAbsent(name, k -> new double[w0.length]);
          for (int i = 0; i < w0.length; i++) {
            double grad = g.getValue()[i] + wd * w0[i];
            mm[i] = b1 * mm[i] + (1 - b1) * grad;
            vv[i] = b2 * vv[i] + (1 - b2) * grad * grad;
            double denom = Math.sqrt(vv[i]) / Math.sqrt(1 - Math.pow(b2, t)) + eps;
            double expected = w0[i] - lr / (1 - Math.pow(b1, t)) * mm[i] / denom;
            assertThat((double) w1[i]).as("%s[%d] at step %d", name, i, t)
                .isCloseTo(expected, within(2e-6 + 1e-5 * Math.abs(expected)));
          }
        }
      }
      assertThat(net.parameterValues("embedding:negHistMovieIds.weight")).containsExactly(negBefore);
      for (String table : new String[] {"embedding:movieId.weight", "embedding:genres.weight"}) {
        float[] w = net.parameterValues(table);
        for (int j = 0; j < c.embeddingSize(); j++) {
          assertThat(w[j]).as("%s padding row", table).isEqualTo(0f);
        }
      }
    }
  }

  @Test
  void everyEmbeddingRowDecaysEachStep() {
    // A movie id absent from the batch still moves (dense gradient 0 + L2 decay), as in torch.
    DienConfig c = TestData.smallConfig().build();
    EncodedBatch batch = TestData.batch(c, 8, 32);
    int absent = -1;
    outer:
    for (int id = 1; id < 30; id++) {
      for (int r = 0; r < 8; r++) {
        if (batch.categorical()[r * 3 + 1] == id) {
          continue outer;
        }
      }
      absent = id;
      break;
    }
    assertThat(absent).isPositive();
    try (DienNetwork net = DienNetwork.create(c, 3);
        DienTrainStep step = DienTrainStep.create(net)) {
      float[] before = net.parameterValues("embedding:movieId.weight");
      step.step(batch);
      float[] after = net.parameterValues("embedding:movieId.weight");
      for (int j = 0; j < 8; j++) {
        int i = absent * 8 + j;
        // First Adam step with gradient wd * w: the move is lr * sign(w) (|w| >> eps).
        assertThat((double) after[i]).isCloseTo(before[i] - 0.002 * Math.signum(before[i]),
            within(1e-6));
      }
    }
  }
}
