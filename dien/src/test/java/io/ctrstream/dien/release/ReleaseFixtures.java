package io.ctrstream.dien.release;

import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.model.DienConfig;
import io.ctrstream.dien.model.DienNetwork;
import java.util.ArrayList;
import java.util.List;

/**
 * Tiny real DIEN bundles (E = 4) over hand-written rows with the scorer's column names, and the
 * claims a release record makes for them.
 */
final class ReleaseFixtures {
  static final String MODEL = "dien";

  private ReleaseFixtures() {}

  /** Rows of movies "1".."6"; two cold users among them. */
  static List<FeatureRow> rows() {
    List<FeatureRow> rows = new ArrayList<>();
    String[][] genres = {{"Comedy"}, {"Drama"}, {"Action", "Comedy"}};
    for (int i = 0; i < 12; i++) {
      List<String> history = new ArrayList<>();
      List<String> negatives = new ArrayList<>();
      for (int k = 0; k < i % 4; k++) {
        history.add(Integer.toString(1 + (i + k) % 6));
        negatives.add(Integer.toString(1 + (i + k + 3) % 6));
      }
      rows.add(new FeatureRow("u" + (i % 5), 20.0 + i, i % 2 == 0 ? "F" : "M", "writer", "12345",
          Integer.toString(1 + i % 6), List.of(genres[i % 3]), history, negatives));
    }
    return rows;
  }

  /** The scorer-compatible encoder (history length 3). */
  static FeatureEncoder encoder() {
    return FeatureEncoder.fit(rows(), FeatureEncoder.Options.builder()
        .optMinCount(1).optQuantiles(4).optHistoryLength(3).optGenresLength(2).build());
  }

  /** A bundle of a randomly initialised tiny network; {@code seed} picks the weights. */
  static ModelBundle bundle(String version, long seed, long createdAt) {
    FeatureEncoder encoder = encoder();
    DienConfig config = encoder.configure(DienConfig.builder())
        .optEmbeddingSize(4).optAttentionHidden(List.of(4, 2)).optMlpHidden(List.of(4, 2))
        .optAuxHidden(List.of(4, 2)).build();
    try (DienNetwork network = DienNetwork.create(config, seed)) {
      return ModelBundle.builder().setModelName(MODEL).setVersion(version).optCreatedAt(createdAt)
          .setEncoder(encoder).setNetwork(network).build();
    }
  }

  /** What an unsigned release of {@code bundle} claims. */
  static ReleaseClaims claims(ModelBundle bundle) {
    return ReleaseClaims.unsigned(bundle.manifest().modelName(), bundle.version(), bundle.manifest().createdAt(),
        bundle.sha256(), bundle.manifest().featureSpecHash());
  }
}
