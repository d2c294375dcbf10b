package io.ctrstream.cli.bench;

import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.model.DienConfig;
import io.ctrstream.dien.model.DienNetwork;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * The model the scoring benchmark serves: a DIEN bundle with random weights (throughput does not
 * depend on their values) over MovieLens-1M-sized vocabularies ({@link BenchWorkload}).
 */
enum BenchModel {
  /** The reference's sizes: embedding 16, attention [16, 8], MLP [32, 16], aux [100, 50], T = 10. */
  REFERENCE,
  /** A small network (embedding 4, attention [6, 3], MLP [8, 4], aux [6, 3]) on the same inputs. */
  TINY;

  static final int HISTORY_LENGTH = 10;

  /** Parses "reference" or "tiny" (any case). */
  static BenchModel parse(String name) {
    try {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("model must be tiny or reference, got \"" + name + "\"", e);
    }
  }

  /** Fits the encoder on the workload's id ranges and builds a bundle of random weights. */
  ModelBundle bundle(BenchWorkload workload, long seed) {
    FeatureEncoder encoder = FeatureEncoder.fit(
        workload.encoderRows(20_000, HISTORY_LENGTH, new Random(seed)),
        FeatureEncoder.Options.builder().optMinCount(1).optHistoryLength(HISTORY_LENGTH).build());
    DienConfig.Builder config = encoder.configure(DienConfig.builder());
    if (this == TINY) {
      config.optEmbeddingSize(4).optAttentionHidden(List.of(6, 3)).optMlpHidden(List.of(8, 4))
          .optAuxHidden(List.of(6, 3));
    }
    try (DienNetwork network = DienNetwork.create(config.build(), seed)) {
      return ModelBundle.builder().setModelName("dien-bench")
          .setVersion("bench-" + name().toLowerCase(Locale.ROOT))
          .setEncoder(encoder).setNetwork(network).build();
    }
  }
}
