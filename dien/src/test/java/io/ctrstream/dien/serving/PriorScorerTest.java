package io.ctrstream.dien.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstream.dien.features.FeatureRow;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Proves the no-model scorer returns its prior for every row, marked "prior". */
class PriorScorerTest {

  @Test
  void everyRowGetsThePrior() {
    FeatureRow a = new FeatureRow("u1", 30.0, "F", "1", "z", "m1", null, null, null);
    FeatureRow b = new FeatureRow("u2", null, null, null, null, "m2", null, List.of("m1"), null);
    try (BatchScorer s = new PriorScorer(0.58)) {
      assertThat(s.score(List.of(a, b, a))).containsExactly(0.58f, 0.58f, 0.58f);
      assertThat(s.score(List.of())).isEmpty();
      assertThat(s.modelVersion()).isEqualTo("prior");
    }
  }

  @Test
  void rejectsAPriorThatIsNotAProbability() {
    assertThatThrownBy(() -> new PriorScorer(1.5)).hasMessageContaining("[0, 1], got 1.5");
    assertThatThrownBy(() -> new PriorScorer(Double.NaN)).hasMessageContaining("got NaN");
  }
}
