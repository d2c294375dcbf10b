/**
 * Counters of the scorer's flow (dead letters by kind, scores, batches, feedback by source) on a
 * Micrometer registry, which the HTTP endpoint exposes.
 */
package io.ctrstream.streams.metrics;
