package io.ctrstream.streams.it;

import io.ctrstream.dien.bundle.BundleException;
import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.model.DienConfig;
import io.ctrstream.dien.model.DienNetwork;
import io.ctrstream.dien.serving.BatchScorer;
import io.ctrstream.schemas.ModelRelease;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Supplier;

/**
 * A real, small DIEN bundle (E = 4, random weights) over the ids the integration tests use:
 * movies {@code m0..m<movies-1>}, genres Comedy/Drama/Action, occupations and zips of a few
 * users. Its encoder gives every id its own index (min count 1), so different movies and
 * histories get different scores.
 */
final class TinyDien {
  static final List<String> GENRES = List.of("Comedy", "Drama", "Action");

  private TinyDien() {}

  static ModelBundle bundle(String version, int movies, long seed) {
    return bundle(version, movies, seed, System.currentTimeMillis());
  }

  /** @param createdAt the release time in the manifest (a follower refuses older releases) */
  static ModelBundle bundle(String version, int movies, long seed, long createdAt) {
    Random r = new Random(seed);
    List<FeatureRow> rows = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      List<String> hist = new ArrayList<>();
      List<String> neg = new ArrayList<>();
      for (int k = 0, n = r.nextInt(6); k < n; k++) {
        hist.add("m" + r.nextInt(movies));
        neg.add("m" + r.nextInt(movies));
      }
      rows.add(new FeatureRow("u" + i, 18.0 + r.nextInt(40), r.nextBoolean() ? "F" : "M",
          "occ" + r.nextInt(3), "zip" + r.nextInt(3), "m" + (i % movies),
          List.of(GENRES.get(r.nextInt(GENRES.size()))), hist, neg));
    }
    FeatureEncoder encoder = FeatureEncoder.fit(rows,
        FeatureEncoder.Options.builder().optMinCount(1).optHistoryLength(5).optGenresLength(3).build());
    DienConfig config = encoder.configure(DienConfig.builder())
        .optEmbeddingSize(4)
        .optAttentionHidden(List.of(6, 3))
        .optMlpHidden(List.of(8, 4))
        .optAuxHidden(List.of(6, 3))
        .build();
    try (DienNetwork network = DienNetwork.create(config, seed)) {
      return ModelBundle.builder().setModelName("dien").setVersion(version).optCreatedAt(createdAt)
          .setEncoder(encoder).setNetwork(network).build();
    }
  }

  /** The release record of {@code bundle}, bundle inline, as the trainer publishes it. */
  static ModelRelease release(ModelBundle bundle) {
    return new ModelRelease(bundle.manifest().modelName(), bundle.version(), null,
        bundle.manifest().createdAt(), bundle.sha256(), bundle.manifest().featureSpecHash(),
        Map.of(), Base64.getEncoder().encodeToString(bundle.toBytes()), null);
  }

  /** What {@code SwappableModelProvider.release} takes: a new verified scorer per call. */
  static Supplier<BatchScorer> factory(ModelBundle bundle) {
    return () -> {
      try {
        return bundle.newScorer();
      } catch (BundleException e) {
        throw new IllegalStateException("the test bundle must load: " + e.getMessage(), e);
      }
    };
  }
}
