/**
 * Model bundles: what the trainer releases through Kafka and the scorer loads. A bundle is one
 * zip (manifest, network config, feature encoder, weights) that describes itself and is checked
 * on load (payload checksum, feature-spec hash, parts that agree), so a corrupt or incompatible
 * release is rejected with a clear message and the old model keeps serving.
 */
package io.ctrstream.dien.bundle;
