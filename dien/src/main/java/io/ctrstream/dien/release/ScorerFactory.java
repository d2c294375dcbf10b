package io.ctrstream.dien.release;

import io.ctrstream.dien.bundle.BundleException;
import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.serving.BatchScorer;

/**
 * Makes a scorer on a verified bundle, one per stream task (the caller closes it). The default is
 * {@link ModelBundle#newScorer()}; tests substitute a model that misbehaves.
 */
@FunctionalInterface
public interface ScorerFactory {

  /** The production factory: DIEN on DJL, as the bundle describes it. */
  ScorerFactory DIEN = ModelBundle::newScorer;

  /**
   * A new scorer on {@code bundle}.
   *
   * @throws BundleException when the bundle's weights cannot be loaded or its own probe fails
   */
  BatchScorer newScorer(ModelBundle bundle) throws BundleException;
}
