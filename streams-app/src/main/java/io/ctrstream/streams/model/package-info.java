/**
 * Where the scorer gets its model: a {@link io.ctrstream.streams.model.ModelProvider} hands each
 * stream task its own {@link io.ctrstream.dien.serving.BatchScorer} and says, by a generation
 * counter, when a newer model is available; {@link io.ctrstream.streams.model.ScorerSlot} swaps
 * to it between batches. Before any release the {@link io.ctrstream.dien.serving.PriorScorer}
 * serves the configured prior.
 */
package io.ctrstream.streams.model;
