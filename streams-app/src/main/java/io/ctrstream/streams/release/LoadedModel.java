package io.ctrstream.streams.release;

import io.ctrstream.dien.bundle.BundleException;
import io.ctrstream.dien.bundle.Manifest;
import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.release.ScorerFactory;
import io.ctrstream.dien.serving.BatchScorer;
import io.ctrstream.schemas.ModelRelease;
import java.time.Duration;

/**
 * A release that passed every check: its record, its bundle, and how to make scorers on it.
 *
 * @param release the release record as read from {@code model-releases}
 * @param bundle the verified bundle
 * @param factory makes one scorer per stream task
 * @param loadTime fetch + verify + load + probe
 */
public record LoadedModel(ModelRelease release, ModelBundle bundle, ScorerFactory factory, Duration loadTime) {

  public String version() {
    return release.version();
  }

  /** Creation time of the release, epoch ms (what "older" means for a release). */
  public long createdAt() {
    return release.createdAt();
  }

  public Manifest manifest() {
    return bundle.manifest();
  }

  /**
   * A new scorer for one stream task. The bundle already loaded and probed once, so a failure
   * here is unexpected (memory, the engine) and surfaces as an exception on the task's thread.
   */
  public BatchScorer newScorer() {
    try {
      return factory.newScorer(bundle);
    } catch (BundleException e) {
      throw new IllegalStateException("model " + version() + " loaded at release but not now: "
          + e.getMessage(), e);
    }
  }
}
