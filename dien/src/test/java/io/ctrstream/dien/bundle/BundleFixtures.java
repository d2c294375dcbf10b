package io.ctrstream.dien.bundle;

import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.model.DienConfig;
import io.ctrstream.dien.model.DienNetwork;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Small deterministic rows, encoder and network for bundle tests. */
final class BundleFixtures {

  private BundleFixtures() {}

  static List<FeatureRow> rows(int n, long seed) {
    Random r = new Random(seed);
    String[] genres = {"Drama", "Comedy", "Action", "War", "Horror"};
    List<FeatureRow> rows = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int len = r.nextInt(8); // 0..7 history entries, so some rows are cold users
      List<String> hist = new ArrayList<>();
      List<String> neg = new ArrayList<>();
      for (int k = 0; k < len; k++) {
        hist.add("m" + r.nextInt(20));
        neg.add("m" + (20 + r.nextInt(20)));
      }
      rows.add(new FeatureRow(
          "u" + i,
          r.nextInt(10) == 0 ? null : 18.0 + r.nextInt(40),
          r.nextBoolean() ? "F" : "M",
          "occ" + r.nextInt(4),
          "zip" + r.nextInt(6),
          "m" + r.nextInt(30),
          List.of(genres[r.nextInt(5)], genres[r.nextInt(5)]),
          hist,
          neg));
    }
    return rows;
  }

  static FeatureEncoder encoder(List<FeatureRow> rows) {
    return FeatureEncoder.fit(rows, FeatureEncoder.Options.builder()
        .optMinCount(2).optHistoryLength(5).optGenresLength(3).build());
  }

  /** A tiny network (E = 4) over the encoder's layout. */
  static DienNetwork network(FeatureEncoder encoder, long seed) {
    DienConfig config = encoder.configure(DienConfig.builder())
        .optEmbeddingSize(4)
        .optAttentionHidden(List.of(6, 3))
        .optMlpHidden(List.of(8, 4))
        .optAuxHidden(List.of(6, 3))
        .build();
    return DienNetwork.create(config, seed);
  }

  static ModelBundle bundle(FeatureEncoder encoder, DienNetwork network) {
    return ModelBundle.builder()
        .setModelName("dien")
        .setVersion("v1")
        .optParentVersion("v0")
        .optCreatedAt(1_700_000_000_000L)
        .optTrainingWindow(1_000L, 2_000L)
        .optSampleCount(200)
        .optPositiveRate(0.55)
        .optMetric("auc", 0.64)
        .optMetric("logloss", 0.66)
        .setEncoder(encoder)
        .setNetwork(network)
        .build();
  }
}
