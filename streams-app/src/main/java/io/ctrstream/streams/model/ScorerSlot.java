package io.ctrstream.streams.model;

import io.ctrstream.dien.serving.BatchScorer;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stream thread's scorer, swapped between batches. {@link #forNextBatch()} is the only way to get it:
 * if the provider's generation moved since the scorer was made, a new scorer is made first and
 * the old one (whose last batch has finished, since batches run on this thread one at a time) is
 * closed. Belongs to one stream thread; not thread-safe.
 */
public final class ScorerSlot implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ScorerSlot.class);

  private final ModelProvider provider;
  private BatchScorer scorer;
  private long generation;

  /** Creates the first scorer now. */
  public ScorerSlot(ModelProvider provider) {
    this.provider = Objects.requireNonNull(provider, "provider");
    this.generation = provider.generation();
    this.scorer = provider.newScorer();
  }

  /** The scorer to use for the batch about to run, swapped first when a newer model exists. */
  public BatchScorer forNextBatch() {
    if (scorer == null) {
      throw new IllegalStateException("scorer slot used after close()");
    }
    // Read the generation before making the scorer: a release in between is then seen next batch.
    long latest = provider.generation();
    if (latest != generation) {
      BatchScorer fresh = provider.newScorer();
      BatchScorer old = scorer;
      scorer = fresh;
      generation = latest;
      LOG.info("swapped model {} -> {} between batches", old.modelVersion(), fresh.modelVersion());
      old.close();
    }
    return scorer;
  }

  /** The generation of the scorer in the slot. */
  public long generation() {
    return generation;
  }

  @Override
  public void close() {
    if (scorer != null) {
      scorer.close();
      scorer = null;
    }
  }
}
