package io.ctrstream.trainer.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.features.LabeledRow;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Proves the smoothed popularity score against hand-computed values. */
class PopularityBaselineTest {

  static LabeledRow row(String movie, int label) {
    return new LabeledRow(
        new FeatureRow("u", null, null, null, null, movie, List.of(), List.of(), List.of()),
        label, 0L);
  }

  @Test
  void smoothsEachMovieTowardThePrior() {
    // A: 3 of 3 positive; B: 0 of 1; prior = 3 / 4
    List<LabeledRow> train = List.of(row("A", 1), row("A", 1), row("A", 1), row("B", 0));
    PopularityBaseline p = PopularityBaseline.fit(train, 2);
    assertThat(p.prior()).isEqualTo(0.75);
    // (3 + 2 * 0.75) / (3 + 2) = 0.9
    assertThat(p.score("A")).isCloseTo(0.9f, within(1e-6f));
    // (0 + 1.5) / (1 + 2) = 0.5
    assertThat(p.score("B")).isCloseTo(0.5f, within(1e-6f));
    // unseen: the prior
    assertThat(p.score("C")).isCloseTo(0.75f, within(1e-6f));
    assertThat(p.score(List.of(row("B", 1), row("A", 0)))).containsExactly(0.5f, 0.9f);
  }

  @Test
  void withoutPseudoCountsItIsTheRawMean() {
    PopularityBaseline p = PopularityBaseline.fit(List.of(row("A", 1), row("A", 0)), 0);
    assertThat(p.score("A")).isEqualTo(0.5f);
  }
}
