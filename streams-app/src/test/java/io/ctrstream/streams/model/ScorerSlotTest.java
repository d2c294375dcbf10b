package io.ctrstream.streams.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.serving.BatchScorer;
import io.ctrstream.dien.serving.PriorScorer;
import io.ctrstream.schemas.Score;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Proves the swap protocol: prior first, new scorer only when the generation moves, old one closed after. */
class ScorerSlotTest {

  private static final class Counting implements BatchScorer {
    final String version;
    boolean closed;

    Counting(String version) {
      this.version = version;
    }

    @Override
    public float[] score(List<FeatureRow> rows) {
      return new float[rows.size()];
    }

    @Override
    public String modelVersion() {
      return version;
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  @Test
  void servesThePriorUntilAReleaseThenSwapsBetweenBatches() {
    SwappableModelProvider provider = new SwappableModelProvider(0.25);
    List<Counting> made = new ArrayList<>();
    try (ScorerSlot slot = new ScorerSlot(provider)) {
      BatchScorer first = slot.forNextBatch();
      assertThat(first.modelVersion()).isEqualTo("prior");
      assertThat(first.score(List.of(new FeatureRow("u", null, null, null, null, "m", null, null, null))))
          .containsExactly(0.25f);
      assertThat(slot.forNextBatch()).isSameAs(first);

      provider.release("v1", () -> {
        Counting c = new Counting("v1");
        made.add(c);
        return c;
      });
      BatchScorer second = slot.forNextBatch();
      assertThat(second.modelVersion()).isEqualTo("v1");
      assertThat(slot.forNextBatch()).isSameAs(second);
      assertThat(made).hasSize(1);
      provider.release("v2", () -> new Counting("v2"));
      assertThat(slot.forNextBatch().modelVersion()).isEqualTo("v2");
      assertThat(made.get(0).closed).isTrue();
      assertThat(slot.generation()).isEqualTo(2);
    }
  }

  @Test
  void thePriorScorersVersionIsTheContractsPriorMarker() {
    // Scores are marked prior=true by comparing the scorer's version with the wire constant.
    assertThat(PriorScorer.VERSION).isEqualTo(Score.PRIOR_VERSION);
  }

  @Test
  void refusesThePriorsNameAndABadPrior() {
    SwappableModelProvider provider = new SwappableModelProvider(0.5);
    assertThatThrownBy(() -> provider.release("prior", () -> new Counting("prior")))
        .hasMessageContaining("reserved");
    assertThatThrownBy(() -> new SwappableModelProvider(1.5)).hasMessageContaining("prior must be in (0, 1)");
  }
}
