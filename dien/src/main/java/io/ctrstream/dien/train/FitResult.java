package io.ctrstream.dien.train;

import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.model.DienConfig;
import java.util.List;

/**
 * The outcome of {@link DienFitter#fit}: the history of every epoch and the best epoch's model.
 *
 * @param epochs one entry per epoch run, in order
 * @param bestEpoch the 1-based epoch with the highest validation AUC (its weights were kept)
 * @param bestAuc that epoch's validation AUC
 * @param bestLogLoss that epoch's validation log loss
 * @param seconds wall time of the whole fit
 * @param parameterCount trainable scalars of the network
 * @param stopReason why training ended (early stop or epoch limit)
 * @param bundle the best epoch's model: its weights, the encoder fitted on the training rows,
 *     the config, and a manifest with the training window, counts and validation metrics
 * @param validationScores the best model's probabilities for the validation rows, in order
 */
public record FitResult(
    List<EpochMetrics> epochs,
    int bestEpoch,
    double bestAuc,
    double bestLogLoss,
    double seconds,
    long parameterCount,
    String stopReason,
    ModelBundle bundle,
    float[] validationScores) {

  public FitResult {
    epochs = List.copyOf(epochs);
  }

  /** The network's config (feature layout included). */
  public DienConfig config() {
    return bundle.config();
  }

  /** The best epoch's metrics. */
  public EpochMetrics best() {
    return epochs.get(bestEpoch - 1);
  }
}
