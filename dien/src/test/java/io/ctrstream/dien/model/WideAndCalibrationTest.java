package io.ctrstream.dien.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ctrstream.dien.model.DienConfig.Evolution;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * The wide part and the calibration of {@link DienNetwork}: the last W numeric columns enter the
 * logit linearly beside the deep logit (proved by silencing the deep part: the probability is then
 * the logistic function of the wide sum, by hand), every prediction path agrees (the plain eval
 * forward of GRU/AIGRU and the folded one of AGRU/AUGRU), the Platt scaling is applied to the
 * logit at prediction and never in training, and a config without either has no wide parameter
 * (the reference layout, which golden parity covers, is unchanged).
 */
class WideAndCalibrationTest {

  private static DienConfig wideConfig(Evolution evo) {
    return TestData.smallConfig()
        .setNumericFeatures(List.of("age", "movieRate", "userRate"))
        .optWideFeatures(List.of("movieRate", "userRate"))
        .optEvolution(evo)
        .build();
  }

  @ParameterizedTest
  @EnumSource(Evolution.class)
  void withASilentDeepPartTheScoreIsTheLogisticOfTheWideSum(Evolution evo) {
    DienConfig c = wideConfig(evo);
    EncodedBatch batch = TestData.batch(c, 6, 3, 0, 4, 2);
    try (DienNetwork net = DienNetwork.create(c, 5)) {
      Map<String, float[]> sd = net.stateDict();
      sd.put("wide.weight", new float[] {1.5f, -0.5f});
      sd.put("wide.bias", new float[] {0.25f});
      sd.put("final_layer.weight", new float[sd.get("final_layer.weight").length]);
      sd.put("final_layer.bias", new float[] {0f});
      net.loadStateDict(sd);
      float[] p = net.predictProbabilities(batch);
      for (int i = 0; i < batch.size(); i++) {
        double z = 0.25 + 1.5 * batch.numeric()[i * 3 + 1] - 0.5 * batch.numeric()[i * 3 + 2];
        assertThat((double) p[i]).isCloseTo(1 / (1 + Math.exp(-z)), within(1e-6));
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Evolution.class)
  void predictionAddsTheWideLogitToTheDeepOneAndCalibratesIt(Evolution evo) throws Exception {
    DienConfig plain = wideConfig(evo);
    DienConfig calibrated = plain.toBuilder().optCalibration(0.7, -0.3).build();
    EncodedBatch batch = TestData.batch(plain, 5, 8, 3, 0, 6);
    try (DienNetwork net = DienNetwork.create(plain, 9)) {
      Map<String, float[]> sd = net.stateDict();
      sd.put("wide.weight", new float[] {0.8f, 1.1f});
      sd.put("wide.bias", new float[] {-0.2f});
      net.loadStateDict(sd);
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      net.saveParameters(bytes);
      float[] logits;
      try (var m = ai.djl.ndarray.NDManager.newBaseManager("PyTorch")) {
        logits = net.forward(m, batch, false).logits().toFloatArray();
      }
      float[] p = net.predictProbabilities(batch);
      for (int i = 0; i < p.length; i++) {
        assertThat((double) p[i]).isCloseTo(1 / (1 + Math.exp(-logits[i])), within(1e-5));
      }
      try (DienNetwork cal = DienNetwork.fromParameters(calibrated,
          new ByteArrayInputStream(bytes.toByteArray()))) {
        float[] q = cal.predictProbabilities(batch);
        for (int i = 0; i < q.length; i++) {
          double z = 0.7 * logits[i] - 0.3;
          assertThat((double) q[i]).isCloseTo(1 / (1 + Math.exp(-z)), within(1e-5));
        }
        // training sees the raw logit
        try (var m = ai.djl.ndarray.NDManager.newBaseManager("PyTorch")) {
          float[] raw = cal.forward(m, batch, false).logits().toFloatArray();
          assertThat(raw).containsExactly(logits, org.assertj.core.data.Offset.offset(1e-5f));
        }
      }
    }
  }

  @Test
  void theWideWeightsLearn() {
    DienConfig c = wideConfig(Evolution.AUGRU);
    EncodedBatch batch = TestData.batch(c, 16, 4);
    try (DienNetwork net = DienNetwork.create(c, 1);
        DienTrainStep step = DienTrainStep.create(net)) {
      float[] before = net.parameterValues("wide.weight");
      step.step(batch);
      assertThat(net.parameterValues("wide.weight")).isNotEqualTo(before);
    }
  }

  @Test
  void theReferenceLayoutHasNoWideParameter() {
    try (DienNetwork net = DienNetwork.create(TestData.smallConfig().build(), 1)) {
      assertThat(net.parameterNames()).noneMatch(n -> n.startsWith("wide."));
    }
  }

  @Test
  void wideFeaturesMustBeTheLastNumericOnes() {
    assertThatThrownBy(() -> TestData.smallConfig()
            .setNumericFeatures(List.of("age", "movieRate", "userRate"))
            .optWideFeatures(List.of("age", "movieRate"))
            .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("last numeric features");
    assertThatThrownBy(() -> TestData.smallConfig().optCalibration(0, 1).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("scale > 0");
  }
}
