package io.ctrstream.streams.topology;

import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.serving.BatchScorer;
import java.util.ArrayList;
import java.util.List;

/**
 * A stand-in model for topology tests: the score is a plain function of the features (so a test
 * can compute what it should be), and every batch it saw is recorded.
 */
final class FakeScorer implements BatchScorer {
  private final String version;
  final List<List<FeatureRow>> batches = new ArrayList<>();
  boolean closed;

  FakeScorer(String version) {
    this.version = version;
  }

  /** 0.1, plus 0.1 per history entry, plus 0.25 for a Comedy, plus 0.05 for a known age. */
  static float expected(FeatureRow row) {
    return 0.1f + 0.1f * row.history().size() + (row.genres().contains("Comedy") ? 0.25f : 0f)
        + (row.age() != null ? 0.05f : 0f);
  }

  @Override
  public float[] score(List<FeatureRow> rows) {
    if (closed) {
      throw new IllegalStateException("scored after close");
    }
    batches.add(List.copyOf(rows));
    float[] out = new float[rows.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = expected(rows.get(i));
    }
    return out;
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
