package io.ctrstream.cli.chaos;

import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.serving.BatchScorer;
import java.util.List;

/**
 * The model of a chaos run: a constant, except for two poisoned movies: {@value #NAN_MOVIE} gets
 * NaN and any batch holding {@value #THROWING_MOVIE} throws. The scorer must dead-letter those
 * rows ({@code model-failure}) and score the rest.
 */
final class ChaosScorer implements BatchScorer {
  static final String VERSION = "chaos-v1";
  static final String NAN_MOVIE = "chaos-nan";
  static final String THROWING_MOVIE = "chaos-throws";
  static final float SCORE = 0.25f;

  @Override
  public float[] score(List<FeatureRow> rows) {
    float[] out = new float[rows.size()];
    for (int i = 0; i < out.length; i++) {
      String movie = rows.get(i).movieId();
      if (THROWING_MOVIE.equals(movie)) {
        throw new IllegalArgumentException("the chaos model refuses movie " + THROWING_MOVIE);
      }
      out[i] = NAN_MOVIE.equals(movie) ? Float.NaN : SCORE;
    }
    return out;
  }

  @Override
  public String modelVersion() {
    return VERSION;
  }

  @Override
  public void close() {}
}
