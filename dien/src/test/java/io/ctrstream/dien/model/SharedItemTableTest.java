package io.ctrstream.dien.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Proves the SHARED item table: one table (the candidate's) serves candidate, history and
 * negatives, so the separate history/negatives tables do not exist, the parameter count drops by
 * exactly their size, and gradients from history-only ids land in the candidate table.
 */
class SharedItemTableTest {

  @Test
  void historyAndNegativesUseTheCandidateTable() {
    DienConfig separate = TestData.smallConfig().build();
    DienConfig shared = separate.toBuilder().optItemTable(DienConfig.ItemTable.SHARED).build();
    EncodedBatch batch = TestData.batch(shared, 8, 4, 6, 5, 0, 2);
    try (DienNetwork s = DienNetwork.create(separate, 1);
        DienNetwork net = DienNetwork.create(shared, 1);
        DienTrainStep step = DienTrainStep.create(net)) {
      assertThat(net.parameterNames())
          .contains("embedding:movieId.weight")
          .doesNotContain("embedding:histHighRatedMovieIds.weight", "embedding:negHistMovieIds.weight");
      assertThat(s.parameterCount() - net.parameterCount()).isEqualTo(2L * 30 * 8);

      for (float p : net.predictProbabilities(batch)) {
        assertThat(p).isBetween(0f, 1f);
      }
      Map<String, float[]> grads = step.gradients(batch).gradients();
      float[] table = grads.get("embedding:movieId.weight");
      Set<Integer> candidates = new HashSet<>();
      for (int r = 0; r < batch.size(); r++) {
        candidates.add(batch.categorical()[r * batch.categoricalWidth() + 1]);
      }
      int historyOnly = -1;
      for (int id : batch.history()) {
        if (id != 0 && !candidates.contains(id)) {
          historyOnly = id;
          break;
        }
      }
      assertThat(historyOnly).as("the batch has a history id that is no candidate").isPositive();
      double norm = 0;
      for (int j = 0; j < 8; j++) {
        norm += Math.abs(table[historyOnly * 8 + j]);
      }
      assertThat(norm).isPositive();
      assertThat(step.step(batch).loss()).isFinite();
    }
  }

  @Test
  void sharedNeedsOneVocabulary() {
    assertThatThrownBy(
            () ->
                TestData.smallConfig()
                    .optItemTable(DienConfig.ItemTable.SHARED)
                    .setHistory(new DienConfig.SequenceFeature("histHighRatedMovieIds", 31, 6))
                    .build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("SHARED");
  }
}
