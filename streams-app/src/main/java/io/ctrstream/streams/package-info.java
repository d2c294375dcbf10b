/**
 * The online scorer: a Kafka Streams application that keeps per-user history in RocksDB, scores
 * every impression in micro-batches with the current model, and turns every rating into a
 * training example. The flow is built in one place, {@link
 * io.ctrstream.streams.topology.ScorerTopology#build}; configuration is {@link
 * io.ctrstream.streams.config.ScorerConfig}; the model arrives through {@link
 * io.ctrstream.streams.model.ModelProvider}, hot-swapped by the {@link
 * io.ctrstream.streams.release.ModelReleaseFollower}; {@link io.ctrstream.streams.http} answers
 * health, metrics and queries; {@link io.ctrstream.streams.ScorerApp} runs it all as a service.
 * This module never touches an NDArray: it hands raw ids to a {@link
 * io.ctrstream.dien.serving.BatchScorer} and gets probabilities back.
 */
package io.ctrstream.streams;
