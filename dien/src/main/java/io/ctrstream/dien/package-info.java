/**
 * The DIEN model on DJL's PyTorch engine: feature encoding, the network, training, bundles and
 * batched inference. Imports no Kafka; the streaming layer meets it at {@link
 * io.ctrstream.dien.features.FeatureRow} and a float.
 */
package io.ctrstream.dien;
