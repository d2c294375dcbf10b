package io.ctrstream.dien.serving;

import io.ctrstream.dien.features.FeatureRow;
import java.util.Arrays;
import java.util.List;

/**
 * The scorer used before any model is released: every row gets the same prior probability
 * (e.g. the positive rate seen so far), so an impression is still scored, and the score is
 * marked with the model version {@value #VERSION}. Holds no resources.
 */
public final class PriorScorer implements BatchScorer {

  /** The model version a prior score carries. */
  public static final String VERSION = "prior";

  private final float prior;

  /**
   * @param prior the probability every row gets; must be in [0, 1]
   */
  public PriorScorer(double prior) {
    if (!(prior >= 0 && prior <= 1)) {
      throw new IllegalArgumentException("prior must be in [0, 1], got " + prior);
    }
    this.prior = (float) prior;
  }

  @Override
  public float[] score(List<FeatureRow> rows) {
    float[] out = new float[rows.size()];
    Arrays.fill(out, prior);
    return out;
  }

  @Override
  public String modelVersion() {
    return VERSION;
  }

  @Override
  public void close() {
    // nothing to release
  }
}
