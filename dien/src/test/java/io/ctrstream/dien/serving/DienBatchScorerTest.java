package io.ctrstream.dien.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.model.DienConfig;
import io.ctrstream.dien.model.DienNetwork;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Proves the scorer is exactly "encode, then the network's eval-mode probabilities", row order
 * kept, batch composition irrelevant (eval mode), cold users scored, and that close is final.
 */
class DienBatchScorerTest {

  private static List<FeatureRow> rows() {
    List<FeatureRow> rows = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      List<String> hist = new ArrayList<>();
      List<String> neg = new ArrayList<>();
      for (int k = 0; k < i % 5; k++) {
        hist.add("m" + ((i + k) % 4));
        neg.add("m" + ((i + k + 2) % 4));
      }
      rows.add(new FeatureRow("u" + i, 20.0 + i, i % 2 == 0 ? "F" : "M", "o", "z",
          "m" + (i % 4), List.of("Drama"), hist, neg));
    }
    return rows;
  }

  @Test
  void scoresAreTheNetworksEvalProbabilitiesInRowOrder() {
    List<FeatureRow> rows = rows();
    FeatureEncoder enc = FeatureEncoder.fit(rows, FeatureEncoder.Options.builder()
        .optMinCount(1).optHistoryLength(4).optGenresLength(2).build());
    DienConfig config = enc.configure(DienConfig.builder()).optEmbeddingSize(4)
        .optAttentionHidden(List.of(4, 2)).optMlpHidden(List.of(6, 3)).build();
    try (DienNetwork net = DienNetwork.create(config, 11);
        DienBatchScorer scorer = new DienBatchScorer(net, enc, "v7", false)) {
      float[] all = scorer.score(rows);
      assertThat(all).isEqualTo(net.predictProbabilities(enc.encode(rows)));
      // eval mode: a row's score does not depend on the rest of its batch
      float[] reversed = scorer.score(reverse(rows));
      for (int i = 0; i < rows.size(); i++) {
        assertThat(reversed[rows.size() - 1 - i]).isEqualTo(all[i], within(1e-6f));
      }
      float[] single = scorer.score(rows.subList(0, 1)); // row 0 is a cold user (no history)
      assertThat(single[0]).isEqualTo(all[0], within(1e-6f));
      assertThat(scorer.score(List.of())).isEmpty();
      assertThat(scorer.modelVersion()).isEqualTo("v7");
    }
  }

  @Test
  void closedScorerRefusesToScoreAndClosesAnOwnedNetworkOnce() {
    List<FeatureRow> rows = rows();
    FeatureEncoder enc = FeatureEncoder.fit(rows, FeatureEncoder.Options.builder()
        .optMinCount(1).optHistoryLength(4).optGenresLength(2).build());
    DienConfig config = enc.configure(DienConfig.builder()).optEmbeddingSize(4).build();
    DienBatchScorer scorer = new DienBatchScorer(DienNetwork.create(config, 1), enc, "v", true);
    scorer.close();
    scorer.close();
    assertThatThrownBy(() -> scorer.score(rows)).hasMessageContaining("closed");
  }

  private static <T> List<T> reverse(List<T> in) {
    List<T> out = new ArrayList<>(in);
    java.util.Collections.reverse(out);
    return out;
  }
}
