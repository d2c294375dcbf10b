package io.ctrstream.streams.topology;

import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.serving.BatchScorer;
import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.Score;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.ModelProvider;
import io.ctrstream.streams.model.ScorerSlot;
import io.ctrstream.streams.state.BufferedImpression;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The micro-batch of one stream thread: the unscored impressions of every task the thread runs,
 * scored by one model call, and the thread's one scorer (swapped between calls).
 *
 * <p>Each partition is a task with its own buffer. Scored per task, a thread with four tasks made
 * four calls where one would do, and a call's fixed cost (about 2 ms of op dispatch, 4 ms on a
 * busy machine) dominated the small batches of a paced stream: in {@code ./ctr bench scoring} at
 * 300 impressions/s, batches of 3.5 rows, and p99 157-195 ms against 86 ms with one partition.
 *
 * <p>Kafka Streams lets a task emit records and write its stores only from its own processing or
 * punctuation, so a call made by one task leaves the other tasks' scores in their buffers
 * ({@link MicroBatchBuffer#markScored}); each task emits its own at its next record or
 * punctuation, which the thread runs in the same loop. Until then the impressions are still in
 * the task's logged buffer: a crash or a rebalance in between loses nothing, and the next owner
 * scores them again.
 *
 * <p>Used only by its thread; the registry ({@link Registry}) is shared.
 */
final class ThreadBatch {
  private static final Logger LOG = LoggerFactory.getLogger(ThreadBatch.class);
  private final ModelProvider models;
  private final ScorerMetrics metrics;
  // In the order the tasks joined, so a call's rows come in a stable order; a buffer is equal
  // only to itself.
  private final List<MicroBatchBuffer> members = new ArrayList<>();
  private ScorerSlot scorer;

  private ThreadBatch(ModelProvider models, ScorerMetrics metrics) {
    this.models = models;
    this.metrics = metrics;
  }

  /** The thread batches of one topology, one per stream thread, made on first use. */
  static final class Registry {
    private final ModelProvider models;
    private final ScorerMetrics metrics;
    private final Map<Thread, ThreadBatch> byThread = new ConcurrentHashMap<>();

    Registry(ModelProvider models, ScorerMetrics metrics) {
      this.models = models;
      this.metrics = metrics;
    }

    /** Adds {@code buffer} to the calling thread's batch and returns that batch. */
    ThreadBatch join(MicroBatchBuffer buffer) {
      ThreadBatch batch = byThread.computeIfAbsent(Thread.currentThread(),
          t -> new ThreadBatch(models, metrics));
      if (!batch.members.contains(buffer)) {
        batch.members.add(buffer);
      }
      return batch;
    }

    /**
     * Takes {@code buffer} out of {@code batch} (its task is closing); the last member to leave
     * closes the thread's scorer.
     */
    void leave(ThreadBatch batch, MicroBatchBuffer buffer) {
      batch.members.remove(buffer);
      if (batch.members.isEmpty()) {
        byThread.values().remove(batch); // by value: whichever thread it was made on
        batch.closeScorer();
      }
    }
  }

  /** Whether {@code buffer} is a member (by identity). */
  boolean has(MicroBatchBuffer buffer) {
    for (MicroBatchBuffer b : members) {
      if (b == buffer) {
        return true;
      }
    }
    return false;
  }

  /** Unscored impressions of all member tasks. */
  int unscoredCount() {
    int n = 0;
    for (MicroBatchBuffer b : members) {
      n += b.unscoredCount();
    }
    return n;
  }

  /** Wall-clock acceptance of the oldest unscored impression of any member; MAX_VALUE if none. */
  long oldestUnscoredAt() {
    long oldest = Long.MAX_VALUE;
    for (MicroBatchBuffer b : members) {
      oldest = Math.min(oldest, b.oldestUnscoredAt());
    }
    return oldest;
  }

  /**
   * Scores every member's unscored impressions in one model call and leaves each member's scores
   * in its buffer, for its task to emit.
   *
   * A row the model fails on gets a NaN score and the failure (its task dead-letters it); the
   * other rows are scored as usual.
   *
   * @param now wall clock, for the batch-age metric
   */
  void scoreAll(long now) {
    List<MicroBatchBuffer> parts = new ArrayList<>();
    List<FeatureRow> rows = new ArrayList<>();
    long oldest = Long.MAX_VALUE;
    for (MicroBatchBuffer b : members) {
      if (b.unscoredCount() > 0) {
        parts.add(b);
        oldest = Math.min(oldest, b.oldestUnscoredAt());
        for (BufferedImpression bi : b.unscored()) {
          Impression i = bi.impression();
          rows.add(bi.features().toRow(i.userId(), i.movieId()));
        }
      }
    }
    if (rows.isEmpty()) {
      return;
    }
    float[] probabilities;
    String[] failures = null;
    String version;
    try {
      if (scorer == null) {
        scorer = new ScorerSlot(models);
      }
      BatchScorer model = scorer.forNextBatch();
      version = model.modelVersion();
      Outcome outcome = scoreOrIsolate(model, rows);
      probabilities = outcome.probabilities();
      failures = outcome.failures();
    } catch (RuntimeException e) {
      // No scorer to call (the model cannot be made): every row fails, and the next batch tries again.
      LOG.error("no scorer for a batch of {} rows; they are dead-lettered", rows.size(), e);
      version = "unavailable";
      probabilities = new float[rows.size()];
      failures = new String[rows.size()];
      java.util.Arrays.fill(probabilities, Float.NaN);
      java.util.Arrays.fill(failures, "no model to score with: " + e);
    }
    metrics.batchAge(Math.max(0, now - oldest));
    metrics.scored(rows.size(), Score.PRIOR_VERSION.equals(version));
    metrics.scoresServed(version, probabilities);
    int offset = 0;
    for (MicroBatchBuffer b : parts) {
      int n = b.unscoredCount();
      b.markScored(probabilities, failures, offset, n, version);
      offset += n;
    }
  }

  /** Scores of a call's rows; {@code failures} (null when none) says why a row has none. */
  private record Outcome(float[] probabilities, String[] failures) {}

  /**
   * The model's scores of {@code rows}. When the batch call throws (or returns the wrong number of
   * scores), each row is scored alone, so one row the model cannot take fails alone: its score is
   * NaN with the failure beside it, and the rest are scored as usual.
   */
  private static Outcome scoreOrIsolate(BatchScorer model, List<FeatureRow> rows) {
    try {
      float[] p = model.score(rows);
      if (p != null && p.length == rows.size()) {
        return new Outcome(p, null);
      }
      LOG.error("model {} returned {} scores for {} rows; scoring them one by one", model.modelVersion(),
          p == null ? "null" : p.length, rows.size());
    } catch (RuntimeException e) {
      LOG.error("model {} failed on a batch of {} rows; scoring them one by one", model.modelVersion(),
          rows.size(), e);
    }
    float[] out = new float[rows.size()];
    String[] failures = new String[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      try {
        float[] one = model.score(List.of(rows.get(i)));
        if (one == null || one.length != 1) {
          throw new IllegalStateException("returned " + (one == null ? "null" : one.length) + " scores for 1 row");
        }
        out[i] = one[0];
      } catch (RuntimeException e) {
        out[i] = Float.NaN;
        failures[i] = "model " + model.modelVersion() + " failed: " + e;
      }
    }
    return new Outcome(out, failures);
  }

  private void closeScorer() {
    if (scorer != null) {
      scorer.close();
      scorer = null;
    }
  }
}
