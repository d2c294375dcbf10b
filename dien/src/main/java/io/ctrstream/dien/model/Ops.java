package io.ctrstream.dien.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;

/**
 * The few PyTorch kernels the network calls directly instead of through DJL's generic NDArray
 * API: one JNI call each, with PyTorch's own semantics (BatchNorm momentum 0.1 updating running
 * statistics in place, the fused multi-step GRU).
 *
 * <p>Memory contract: DJL attaches a result to the manager of the op's first operand. Every helper
 * here takes the per-call activation first, so results land in the caller's per-call manager and
 * never in the long-lived parameter manager.
 */
final class Ops {

  /** PyTorch's BatchNorm momentum (DJL's own convention is 1 - this). */
  static final double BN_MOMENTUM = 0.1;

  private Ops() {}

  /**
   * {@code blob} copied into memory that PyTorch owns, and {@code blob} closed. DJL's {@code
   * create} wraps a direct buffer without copying, and only the array it returns keeps that buffer
   * reachable: a view of it or a tensor autograd saved that outlives that array reads memory the
   * garbage collector may already have freed. Long-lived arrays (parameters, folded eval weights)
   * and scalars go through here. A per-call input need not: it stays attached to the call's
   * manager, which outlives every use of it, the backward pass included.
   */
  static NDArray owned(NDArray blob) {
    try (blob) {
      return blob.duplicate();
    }
  }

  /**
   * A 0-d tensor of {@code v} that PyTorch owns. DJL's {@code NDArray.div(Number)} (and mul, add,
   * sub, pow with a Number) wraps the number in a direct buffer and drops it after the op, but
   * autograd keeps that tensor for the backward pass (div and mul save their operand): a
   * collection in between freed it under the graph. This was the nondeterministic training step.
   * Never call those overloads on a tensor that takes part in training.
   */
  static NDArray scalar(NDManager m, float v) {
    return owned(m.create(v));
  }

  /** y = x W^T + b. x (N, in) or (B, T, in); W (out, in); b (out). */
  static NDArray linear(NDArray x, NDArray w, NDArray b) {
    return JniUtils.linear((PtNDArray) x, (PtNDArray) w, (PtNDArray) b);
  }

  /** Embedding lookup, ids (any shape, int64) to (ids..., E). */
  static NDArray embedding(NDArray ids, NDArray table) {
    return JniUtils.embedding((PtNDArray) ids, (PtNDArray) table, false);
  }

  /**
   * torch.nn.functional.batch_norm over axis 1 of x (N, C): batch statistics in training (and
   * running mean/var updated in place with momentum 0.1, unbiased variance), running statistics
   * otherwise.
   */
  static NDArray batchNorm(
      NDArray x, NDArray gamma, NDArray beta, NDArray mean, NDArray var, double eps,
      boolean training) {
    return JniUtils.batchNorm(
        (PtNDArray) x, (PtNDArray) mean, (PtNDArray) var, (PtNDArray) gamma, (PtNDArray) beta,
        training, BN_MOMENTUM, eps);
  }

  /**
   * One-layer unidirectional torch.gru, batch first. x (B, T, in); h0 (1, B, H); weights in
   * PyTorch order [weight_ih_l0, weight_hh_l0, bias_ih_l0, bias_hh_l0], gates (reset, update,
   * new). Returns the outputs (B, T, H) at every step.
   */
  static NDArray gru(NDArray x, NDArray h0, NDList weights, boolean training) {
    NDList out =
        JniUtils.gru((PtNDArray) x, (PtNDArray) h0, weights, true, 1, 0.0, training, false, true);
    out.get(1).close(); // h_n is the state after T steps, not after each row's own length
    return out.get(0);
  }

  /** Inverted dropout; identity unless training with a positive rate. */
  static NDArray dropout(NDArray x, double rate, boolean training) {
    if (!training || rate <= 0) {
      return x;
    }
    return JniUtils.dropout((PtNDArray) x, rate, true);
  }
}
