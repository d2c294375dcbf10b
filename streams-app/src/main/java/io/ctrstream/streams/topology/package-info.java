/**
 * The scorer's flow, built by {@link io.ctrstream.streams.topology.ScorerTopology#build}: input
 * decoders that dead-letter what cannot be used, the global catalog, and the per-user processor
 * that keeps history, assembles features, buffers impressions into micro-batches, scores them and
 * writes feedback.
 */
package io.ctrstream.streams.topology;
