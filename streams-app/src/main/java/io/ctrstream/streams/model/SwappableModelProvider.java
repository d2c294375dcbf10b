package io.ctrstream.streams.model;

import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.serving.BatchScorer;
import io.ctrstream.dien.serving.PriorScorer;
import io.ctrstream.schemas.Score;
import io.ctrstream.streams.metrics.ScorerMetrics;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The default {@link ModelProvider}: serves the prior until {@link #release} installs a model,
 * then hands out scorers from that model's factory. The model loader (off the processing
 * threads) calls {@link #release} once it has verified a bundle; every task picks the new model
 * up before its next batch. With metrics, every batch's model call is timed ({@code
 * ctr.score.latency}) and {@code ctr.model.info} names the version served.
 */
public final class SwappableModelProvider implements ModelProvider {
  private static final Logger LOG = LoggerFactory.getLogger(SwappableModelProvider.class);

  /** The model currently served: its version and how to make a scorer on it. */
  private record Current(long generation, String version, Supplier<BatchScorer> factory) {}

  private final AtomicReference<Current> current;
  private final ScorerMetrics metrics;

  /** Serves {@code prior} until a release; nothing is measured. */
  public SwappableModelProvider(double prior) {
    this(prior, null);
  }

  /** Serves {@code prior} until a release; times batches and reports the version into {@code metrics}. */
  public SwappableModelProvider(double prior, ScorerMetrics metrics) {
    if (!(prior > 0 && prior < 1)) {
      throw new IllegalArgumentException("prior must be in (0, 1), got " + prior);
    }
    this.current = new AtomicReference<>(new Current(0, Score.PRIOR_VERSION, () -> new PriorScorer(prior)));
    this.metrics = metrics;
    if (metrics != null) {
      metrics.modelServed(Score.PRIOR_VERSION);
    }
  }

  /**
   * Makes {@code factory} the current model. Each call of {@code factory} must return a new
   * scorer that reports {@code version}; the tasks close them.
   */
  public void release(String version, Supplier<BatchScorer> factory) {
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(factory, "factory");
    if (Score.PRIOR_VERSION.equals(version)) {
      throw new IllegalArgumentException("version \"prior\" is reserved for the prior scorer");
    }
    Current next = current.updateAndGet(c -> new Current(c.generation() + 1, version, factory));
    LOG.info("model {} is now current (generation {})", version, next.generation());
    if (metrics != null) {
      metrics.modelServed(version);
    }
  }

  /** The version currently served ({@value Score#PRIOR_VERSION} before any release). */
  public String currentVersion() {
    return current.get().version();
  }

  @Override
  public long generation() {
    return current.get().generation();
  }

  @Override
  public BatchScorer newScorer() {
    BatchScorer scorer = current.get().factory().get();
    return metrics == null ? scorer : new TimedScorer(scorer, metrics);
  }

  /** Times each batch of the scorer it wraps; otherwise the same scorer. */
  private record TimedScorer(BatchScorer scorer, ScorerMetrics metrics) implements BatchScorer {
    @Override
    public float[] score(List<FeatureRow> rows) {
      long start = System.nanoTime();
      float[] out = scorer.score(rows);
      metrics.scoreLatency(System.nanoTime() - start);
      return out;
    }

    @Override
    public String modelVersion() {
      return scorer.modelVersion();
    }

    @Override
    public void close() {
      scorer.close();
    }
  }
}
