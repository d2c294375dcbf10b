/**
 * The end-to-end scoring benchmark behind {@code ./ctr bench scoring}: impressions through a real
 * in-process broker into the scorer's own topology on a real {@code KafkaStreams} client, once
 * with a DIEN model and once with the model call replaced by a constant, after a history preload;
 * peak throughput, produce-to-visible-score latency at a fixed offered load, and a sweep of commit
 * intervals and batch sizes. Lives in the launcher so that the scorer module does not depend on
 * the embedded broker.
 */
package io.ctrstream.cli.bench;
