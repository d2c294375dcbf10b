package io.ctrstream.dien.model;

import ai.djl.ndarray.NDArray;

/**
 * What one forward pass returns, attached to the caller's {@code NDManager} (closing that manager
 * frees them).
 *
 * @param logits (B) the click logit per row (apply a sigmoid for a probability)
 * @param auxLoss the scalar auxiliary loss (DIEN eq. 6, mean binary cross-entropy over the valid
 *     next-step positions of all rows; 0 when the batch has none), or {@code null} when the model
 *     does not use negative sampling
 */
public record ForwardResult(NDArray logits, NDArray auxLoss) {}
