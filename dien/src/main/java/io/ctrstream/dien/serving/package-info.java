/**
 * Batched inference: the last step of the scoring flow, where raw {@link
 * io.ctrstream.dien.features.FeatureRow}s from the streaming layer are encoded, run through the
 * loaded DIEN network and come back as probabilities. One {@link
 * io.ctrstream.dien.serving.BatchScorer} per stream thread; {@link
 * io.ctrstream.dien.serving.PriorScorer} stands in until a model is released.
 */
package io.ctrstream.dien.serving;
