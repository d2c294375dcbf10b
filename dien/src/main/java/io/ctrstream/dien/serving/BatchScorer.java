package io.ctrstream.dien.serving;

import io.ctrstream.dien.features.FeatureRow;
import java.util.List;

/**
 * Scores raw feature rows with one loaded model. Callers know nothing of NDArrays: raw ids in,
 * probabilities out. Not thread-safe: one scorer per thread, closed by whoever created it.
 */
public interface BatchScorer extends AutoCloseable {

  /** Probabilities of a positive (rating &gt;= 4), one per row, in input order. */
  float[] score(List<FeatureRow> rows);

  /** The version of the model this scorer runs (from the bundle manifest). */
  String modelVersion();

  @Override
  void close();
}
