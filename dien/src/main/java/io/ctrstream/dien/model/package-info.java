/**
 * The DIEN network itself, between the feature encoder and serving/training: {@link
 * io.ctrstream.dien.model.EncodedBatch} (model indices as plain arrays) goes in, logits and the
 * auxiliary loss come out.
 *
 * <ul>
 *   <li>{@link io.ctrstream.dien.model.DienConfig}: sizes, variant and feature layout; stored in
 *       bundles as JSON.
 *   <li>{@link io.ctrstream.dien.model.DienNetwork}: parameters (PyTorch state_dict names), the
 *       forward pass, eval-mode inference, parameter save/load.
 *   <li>{@code FastEval} (package-private): the op-lean eval forward behind {@code
 *       predictProbabilities} for AGRU/AUGRU (BatchNorm folded into Linear, one embedding
 *       lookup, in-place attention GRU), rebuilt whenever parameters change.
 *   <li>{@link io.ctrstream.dien.model.DienTrainStep}: one reference training step (BCE + aux
 *       loss, torch-style Adam).
 *   <li>{@link io.ctrstream.dien.model.ParityCheck}: this port against the reference's golden
 *       vectors ({@code ./ctr parity}).
 * </ul>
 *
 * <p>Everything here runs on DJL's PyTorch engine and imports no Kafka.
 */
package io.ctrstream.dien.model;
