package io.ctrstream.cli.chaos;

import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.model.DienConfig;
import io.ctrstream.dien.model.DienNetwork;
import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.UserProfile;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The workload and real DIEN models of the chaos runs that need a real model ({@code chaos model},
 * {@code chaos state}): users {@code u0..}, movies {@code 1..} with one or two genres each, and
 * small randomly initialised DIEN bundles (embedding size 4) whose encoder knows every one of
 * those ids, so different users, movies and histories get different scores.
 */
public final class ChaosModels {
  static final String MODEL = "dien";
  static final List<String> GENRES = List.of("Action", "Comedy", "Drama", "Horror",
      "Romance", "Sci-Fi", "Thriller", "Documentary");
  private static final int HISTORY = 5;

  private ChaosModels() {}

  static UserProfile user(int u) {
    return new UserProfile("u" + u, u % 2 == 0 ? "F" : "M", 18 + u % 40, Integer.toString(u % 21), "z" + u);
  }

  static Movie movie(int m) {
    return new Movie(Integer.toString(m), "movie " + m, genres(m));
  }

  static List<String> genres(int m) {
    return List.of(GENRES.get(m % GENRES.size()), GENRES.get((m * 7 + 3) % GENRES.size()))
        .stream().distinct().toList();
  }

  /** The encoder of every bundle: fitted on rows of all {@code users} and {@code movies}. */
  public static FeatureEncoder encoder(int users, int movies) {
    return encoder(users, movies, HISTORY);
  }

  /** The same with another history length: another feature layout (shape). */
  static FeatureEncoder encoder(int users, int movies, int historyLength) {
    Random r = new Random(7);
    List<FeatureRow> rows = new ArrayList<>();
    for (int i = 0; i < Math.max(users, movies) * 2; i++) {
      UserProfile p = user(i % users);
      int m = 1 + i % movies;
      List<String> history = new ArrayList<>();
      List<String> negatives = new ArrayList<>();
      for (int k = 0, n = r.nextInt(historyLength + 1); k < n; k++) {
        history.add(Integer.toString(1 + r.nextInt(movies)));
        negatives.add(Integer.toString(1 + r.nextInt(movies)));
      }
      rows.add(new FeatureRow(p.userId(), (double) p.age(), p.gender(), p.occupation(), p.zipCode(),
          Integer.toString(m), genres(m), history, negatives));
    }
    return FeatureEncoder.fit(rows, FeatureEncoder.Options.builder()
        .optMinCount(1).optQuantiles(4).optHistoryLength(historyLength).optGenresLength(2).build());
  }

  private static DienConfig config(FeatureEncoder encoder) {
    return encoder.configure(DienConfig.builder())
        .optEmbeddingSize(4).optAttentionHidden(List.of(6, 3)).optMlpHidden(List.of(8, 4))
        .optAuxHidden(List.of(6, 3)).build();
  }

  /** A bundle of a randomly initialised network; {@code seed} picks the weights. */
  public static ModelBundle bundle(FeatureEncoder encoder, String version, long seed, long createdAt) {
    try (DienNetwork network = DienNetwork.create(config(encoder), seed)) {
      return ModelBundle.builder().setModelName(MODEL).setVersion(version).optCreatedAt(createdAt)
          .setEncoder(encoder).setNetwork(network).build();
    }
  }

  /** A self-consistent bundle whose every weight is NaN: it scores NaN. */
  static ModelBundle nanWeights(FeatureEncoder encoder, String version, long createdAt) {
    try (DienNetwork network = DienNetwork.create(config(encoder), 1)) {
      Map<String, float[]> nan = new HashMap<>();
      for (String name : network.parameterNames()) {
        float[] v = network.parameterValues(name);
        Arrays.fill(v, Float.NaN);
        nan.put(name, v);
      }
      network.loadStateDict(nan);
      return ModelBundle.builder().setModelName(MODEL).setVersion(version).optCreatedAt(createdAt)
          .setEncoder(encoder).setNetwork(network).build();
    }
  }
}
