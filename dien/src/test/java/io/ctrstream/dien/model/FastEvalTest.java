package io.ctrstream.dien.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import io.ctrstream.dien.model.DienConfig.Activation;
import io.ctrstream.dien.model.DienConfig.Evolution;
import io.ctrstream.dien.model.DienConfig.ItemTable;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proves that {@link DienNetwork#predictProbabilities}' folded fast path (BatchNorm folded into
 * Linear, Dice and attention decomposed, one embedding table, in-place AUGRU) computes the same
 * probabilities as the plain eval forward, for AUGRU and AGRU, Dice and PReLU, separate and shared
 * item tables, on batches with full, short and empty histories and on a single row; and that it
 * follows parameter changes (training steps, loading) instead of serving stale folded weights.
 * The network is trained a few steps first so that BatchNorm statistics, Dice alpha and the PReLU
 * weight are not at their initial values (where folding mistakes could cancel out).
 */
class FastEvalTest {

  private static final double TOL = 2e-6;

  static Stream<Arguments> variants() {
    return Stream.of(
        Arguments.of(Evolution.AUGRU, Activation.DICE, Activation.PRELU, ItemTable.SEPARATE),
        Arguments.of(Evolution.AUGRU, Activation.DICE, Activation.PRELU, ItemTable.SHARED),
        Arguments.of(Evolution.AGRU, Activation.DICE, Activation.PRELU, ItemTable.SEPARATE),
        Arguments.of(Evolution.AUGRU, Activation.PRELU, Activation.DICE, ItemTable.SEPARATE),
        Arguments.of(Evolution.AUGRU, Activation.RELU, Activation.SIGMOID, ItemTable.SEPARATE));
  }

  @ParameterizedTest
  @MethodSource("variants")
  void fastPathEqualsPlainEvalForward(
      Evolution evo, Activation att, Activation mlp, ItemTable items) throws Exception {
    DienConfig c =
        TestData.smallConfig()
            .optEvolution(evo)
            .optAttentionActivation(att)
            .optMlpActivation(mlp)
            .optItemTable(items)
            .build();
    EncodedBatch mixed = TestData.batch(c, 9, 3, 0, 6, 1, 3, 6, 2, 0, 5, 6);
    EncodedBatch full = TestData.batch(c, 7, 4, 6);
    EncodedBatch shortOnly = TestData.batch(c, 5, 5, 1, 2, 3, 4, 5);
    EncodedBatch one = TestData.row(mixed, 1);
    try (DienNetwork net = DienNetwork.create(c, 21);
        DienTrainStep step = DienTrainStep.create(net)) {
      EncodedBatch train = TestData.batch(c, 16, 6);
      for (int i = 0; i < 5; i++) {
        step.step(train);
      }
      for (EncodedBatch b : new EncodedBatch[] {mixed, full, shortOnly, one}) {
        assertSame(net, b);
      }
      // A step after a prediction must not leave the old folded weights in use.
      float[] before = net.predictProbabilities(full);
      step.step(train);
      float[] after = net.predictProbabilities(full);
      assertThat(after).isNotEqualTo(before);
      assertSame(net, full);

      // Loading other parameters after a prediction, too.
      ByteArrayOutputStream saved = new ByteArrayOutputStream();
      try (DienNetwork other = DienNetwork.create(c, 99)) {
        other.saveParameters(saved);
        float[] expected = other.predictProbabilities(mixed);
        net.loadParameters(new ByteArrayInputStream(saved.toByteArray()));
        assertThat(net.predictProbabilities(mixed)).containsExactly(expected, within(1e-7f));
      }
      assertSame(net, mixed);
    }
  }

  private static void assertSame(DienNetwork net, EncodedBatch b) {
    float[] fast = net.predictProbabilities(b);
    float[] plain;
    try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      float[] logits = net.forward(m, b, false).logits().toFloatArray();
      plain = new float[logits.length];
      for (int i = 0; i < logits.length; i++) {
        plain[i] = (float) (1 / (1 + Math.exp(-logits[i])));
      }
    }
    assertThat(fast).hasSize(b.size());
    for (int i = 0; i < fast.length; i++) {
      assertThat((double) fast[i]).as("row %d", i).isCloseTo(plain[i], within(TOL));
    }
  }
}
