package io.ctrstream.streams.release;

import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.model.DienConfig;
import io.ctrstream.dien.model.DienNetwork;
import io.ctrstream.schemas.ModelRelease;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Tiny real DIEN bundles (E = 4, a handful of hand-written rows) built with the dien API, and
 * release records for them. Different seeds give different weights, hence different scores.
 */
public final class TinyBundles {
  public static final String MODEL = "dien";

  private TinyBundles() {}

  /** Rows of movies "1".."6" with the topology's column names; two cold users among them. */
  public static List<FeatureRow> rows() {
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

  /** The encoder all test bundles share (history length 3, as the topology tests keep). */
  public static FeatureEncoder encoder() {
    return FeatureEncoder.fit(rows(), FeatureEncoder.Options.builder()
        .optMinCount(1).optQuantiles(4).optHistoryLength(3).optGenresLength(2).build());
  }

  static DienConfig config(FeatureEncoder encoder) {
    return encoder.configure(DienConfig.builder())
        .optEmbeddingSize(4).optAttentionHidden(List.of(4, 2)).optMlpHidden(List.of(4, 2))
        .optAuxHidden(List.of(4, 2)).build();
  }

  /** A bundle of a randomly initialised tiny network; {@code seed} picks the weights. */
  public static ModelBundle bundle(String version, long seed, long createdAt) {
    FeatureEncoder encoder = encoder();
    try (DienNetwork network = DienNetwork.create(config(encoder), seed)) {
      return ModelBundle.builder().setModelName(MODEL).setVersion(version).optCreatedAt(createdAt)
          .optMetric("auc", 0.5).setEncoder(encoder).setNetwork(network).build();
    }
  }

  /** A bundle whose every weight is NaN: self-consistent, but it scores NaN. */
  public static ModelBundle poisoned(String version, long createdAt) {
    FeatureEncoder encoder = encoder();
    try (DienNetwork network = DienNetwork.create(config(encoder), 1)) {
      Map<String, float[]> nan = new HashMap<>();
      for (String name : network.parameterNames()) {
        float[] v = network.parameterValues(name);
        java.util.Arrays.fill(v, Float.NaN);
        nan.put(name, v);
      }
      network.loadStateDict(nan);
      return ModelBundle.builder().setModelName(MODEL).setVersion(version).optCreatedAt(createdAt)
          .setEncoder(encoder).setNetwork(network).build();
    }
  }

  /** The release record that publishes {@code bundle} inline, as the trainer does. */
  public static ModelRelease release(ModelBundle bundle) {
    return new ModelRelease(bundle.manifest().modelName(), bundle.version(), bundle.manifest().parentVersion(),
        bundle.manifest().createdAt(), bundle.sha256(), bundle.manifest().featureSpecHash(),
        Map.of("auc", 0.5), Base64.getEncoder().encodeToString(bundle.toBytes()), null);
  }

  /** The same record with other bundle bytes (and the original's checksum). */
  public static ModelRelease withBytes(ModelRelease r, byte[] bytes) {
    return new ModelRelease(r.modelName(), r.version(), r.parentVersion(), r.createdAt(), r.sha256(),
        r.featureSpecHash(), r.metrics(), Base64.getEncoder().encodeToString(bytes), null);
  }
}
