package io.ctrstream.streams.it;

import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.serving.BatchScorer;
import java.util.Arrays;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

/**
 * A stand-in model for integration tests: every row of version {@code version} gets {@code
 * value}, so a score tells which model computed it; each batch is logged (version and candidate
 * movie ids, which the tests make unique per impression) to a queue shared across stream threads.
 * With a {@code crash} condition it throws instead of scoring once the condition holds: a process
 * dying in the middle of a batch.
 */
final class RecordingScorer implements BatchScorer {
  /** One scored batch: which model, which candidates. */
  record Batch(String version, List<String> movieIds) {}

  private final String version;
  private final float value;
  private final Queue<Batch> log;
  private final BooleanSupplier crash;
  private final AtomicBoolean closed = new AtomicBoolean();

  RecordingScorer(String version, float value, Queue<Batch> log, BooleanSupplier crash) {
    this.version = version;
    this.value = value;
    this.log = log;
    this.crash = crash;
  }

  static Queue<Batch> newLog() {
    return new ConcurrentLinkedQueue<>();
  }

  @Override
  public float[] score(List<FeatureRow> rows) {
    if (closed.get()) {
      throw new IllegalStateException("model " + version + " used after close");
    }
    if (crash.getAsBoolean()) {
      // An Error, as a crash is: the scorer dead-letters the rows of a model that throws an
      // exception and goes on, but lets an Error end the stream thread.
      throw new SimulatedCrash("simulated crash in the middle of a batch");
    }
    log.add(new Batch(version, rows.stream().map(FeatureRow::movieId).toList()));
    float[] out = new float[rows.size()];
    Arrays.fill(out, value);
    return out;
  }

  boolean closed() {
    return closed.get();
  }

  @Override
  public String modelVersion() {
    return version;
  }

  @Override
  public void close() {
    closed.set(true);
  }

  /** What the model throws to crash the stream thread mid-transaction. */
  static final class SimulatedCrash extends Error {
    private static final long serialVersionUID = 1L;

    SimulatedCrash(String message) {
      super(message);
    }
  }
}
