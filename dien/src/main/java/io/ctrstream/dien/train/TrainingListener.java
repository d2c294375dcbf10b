package io.ctrstream.dien.train;

/**
 * Watches a training run: per-batch progress and one summary per epoch. Called on the training
 * thread, so implementations must be quick (a progress bar, a log line, a metric). Every method
 * has an empty default so a listener implements only what it shows.
 */
public interface TrainingListener {

  /** A listener that shows nothing. */
  TrainingListener NONE = new TrainingListener() {};

  /**
   * An epoch begins.
   *
   * @param epoch 1-based
   * @param batches the number of training batches it will run
   */
  default void onEpochStart(int epoch, int batches) {}

  /**
   * One optimisation step finished.
   *
   * @param batch 1-based index within the epoch
   * @param loss the step's training loss (BCE plus auxiliary loss when enabled)
   */
  default void onBatch(int epoch, int batch, int batches, double loss) {}

  /**
   * An epoch finished and was evaluated on the validation rows.
   *
   * @param improved whether this epoch is the new best (its weights are kept)
   */
  default void onEpochEnd(EpochMetrics metrics, boolean improved) {}

  /** Training stopped, early or at the epoch limit; {@code reason} says which. */
  default void onStop(int bestEpoch, String reason) {}
}
