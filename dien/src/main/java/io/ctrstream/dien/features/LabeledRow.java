package io.ctrstream.dien.features;

import java.util.Objects;

/**
 * A training or evaluation example: features as served, the label (rating &gt;= 4) and the event
 * time used for time-based splits.
 */
public record LabeledRow(FeatureRow features, int label, long timestamp) {
  public LabeledRow {
    Objects.requireNonNull(features, "features must not be null");
    if (label != 0 && label != 1) {
      throw new IllegalArgumentException("label must be 0 or 1, got " + label);
    }
  }
}
