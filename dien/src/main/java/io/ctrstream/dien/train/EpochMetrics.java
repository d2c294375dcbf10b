package io.ctrstream.dien.train;

/**
 * What one epoch achieved.
 *
 * @param epoch 1-based
 * @param trainLoss mean training loss over the epoch's batches (BCE plus auxiliary loss)
 * @param validationLoss the same objective on the validation rows, eval mode
 * @param validationAuc AUC of the validation rows ({@code NaN} when they hold one class only)
 * @param validationLogLoss clipped log loss of the validation rows
 * @param seconds wall time of the epoch, evaluation included
 */
public record EpochMetrics(
    int epoch,
    double trainLoss,
    double validationLoss,
    double validationAuc,
    double validationLogLoss,
    double seconds) {}
