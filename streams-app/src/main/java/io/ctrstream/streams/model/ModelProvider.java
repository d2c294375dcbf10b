package io.ctrstream.streams.model;

import io.ctrstream.dien.serving.BatchScorer;

/**
 * The scorer's source of models. Each stream task asks for its own {@link BatchScorer} in {@code
 * init()} (a scorer is not thread-safe) and closes it in {@code close()}. Before each batch the
 * task compares {@link #generation()} with the one its scorer was made at and, when it moved,
 * takes a new scorer and closes the old one: a model is swapped only between batches, and the
 * old model is closed after its last batch. {@link ScorerSlot} does exactly this.
 *
 * <p>Implementations are shared by all stream threads and must be thread-safe.
 */
public interface ModelProvider {

  /** Increases every time the current model changes; starts at 0. */
  long generation();

  /** A new scorer on the current model (the prior when none was released); the caller closes it. */
  BatchScorer newScorer();

  /** A provider that only ever serves {@code prior}: the scorer before any model is released. */
  static ModelProvider prior(double prior) {
    return new SwappableModelProvider(prior);
  }
}
