package io.ctrstream.dien.model;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * One optimisation step of the reference's training loop on an {@link EncodedBatch}: loss =
 * BCE-with-logits (mean over rows) + auxiliary loss, gradients by autograd, then Adam exactly as
 * {@code torch.optim.Adam(lr=0.002, weight_decay=0.001)}: the decay is L2 added to the gradient
 * (not AdamW), betas (0.9, 0.999), eps 1e-8 added to the bias-corrected square root.
 *
 * <p>Every parameter that has a gradient is updated every step. Embedding gradients are dense, so
 * every embedding row decays and moves, as in the reference; the padding row 0 gets no gradient
 * ({@code padding_idx=0}) and stays zero. A parameter that never received a gradient (the unused
 * negatives table of a model without negative sampling) is skipped, as torch skips {@code grad ==
 * None}.
 *
 * <p>The update uses the PyTorch engine's fused Adam kernel (one native call per parameter),
 * whose form is {@code w -= lrc * m / (sqrt(v) + epsc)}; passing {@code lrc = lr * sqrt(bc2) /
 * bc1} and {@code epsc = eps * sqrt(bc2)} makes it torch's {@code w -= lr / bc1 * m / (sqrt(v) /
 * sqrt(bc2) + eps)}.
 *
 * <p>Not thread-safe, and DJL allows one gradient collector per JVM at a time: run one training
 * step at a time, never concurrently with another step or with loading the same network. Closing
 * frees the optimiser state (not the network).
 */
public final class DienTrainStep implements AutoCloseable {

  private final DienNetwork network;
  private final double learningRate;
  private final double weightDecay;
  private final double beta1;
  private final double beta2;
  private final double epsilon;
  private final NDManager stateManager;
  private final Map<String, NDArray[]> moments = new LinkedHashMap<>();
  private long steps;

  private DienTrainStep(Builder b, DienNetwork network) {
    this.network = network;
    this.learningRate = b.learningRate;
    this.weightDecay = b.weightDecay;
    this.beta1 = b.beta1;
    this.beta2 = b.beta2;
    this.epsilon = b.epsilon;
    this.stateManager = network.parameterManager().newSubManager();
  }

  /** A trainer with the reference's Adam settings. */
  public static DienTrainStep create(DienNetwork network) {
    return builder().build(network);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The losses of one step, computed before the update. */
  public record StepResult(double bce, double auxLoss, double loss, float[] logits) {}

  /** Losses and gradients of one batch, without an update. */
  public record GradientResult(StepResult losses, Map<String, float[]> gradients) {}

  /** Number of updates applied so far (Adam's t). */
  public long steps() {
    return steps;
  }

  /**
   * Forward in training mode, backward, one Adam update. Returns the losses before the update.
   *
   * @throws IllegalArgumentException when the batch has no labels or fewer than 2 rows (training
   *     BatchNorm needs batch statistics)
   */
  public StepResult step(EncodedBatch batch) {
    StepResult result = forwardBackward(batch);
    applyAdam();
    return result;
  }

  /**
   * Losses and the gradient of every parameter that has one, for one batch in training mode; no
   * parameter changes except BatchNorm running statistics (as any training-mode forward does).
   */
  public GradientResult gradients(EncodedBatch batch) {
    StepResult result = forwardBackward(batch);
    Map<String, float[]> grads = new LinkedHashMap<>();
    for (Map.Entry<String, NDArray> p : network.trainableParameters().entrySet()) {
      try (PtNDArray grad = JniUtils.getGradient((PtNDArray) p.getValue())) {
        if (grad != null) {
          if (isEmbedding(p.getKey())) {
            zeroPaddingRow(grad);
          }
          grads.put(p.getKey(), grad.toFloatArray());
        }
      }
    }
    return new GradientResult(result, grads);
  }

  private StepResult forwardBackward(EncodedBatch batch) {
    if (batch.labels() == null) {
      throw new IllegalArgumentException("a training batch needs labels");
    }
    if (batch.size() < 2) {
      throw new IllegalArgumentException(
          "a training batch needs >= 2 rows (BatchNorm uses batch statistics), got "
              + batch.size());
    }
    for (NDArray p : network.trainableParameters().values()) {
      JniUtils.zeroGrad((PtNDArray) p);
    }
    try (NDManager m = network.parameterManager().newSubManager();
        GradientCollector collector = Engine.getEngine("PyTorch").newGradientCollector()) {
      ForwardResult f = network.forward(m, batch, true);
      NDArray x = f.logits(); // (B)
      NDArray y = m.create(batch.labels(), new Shape(batch.size())); // (B)
      // BCE with logits, the stable form: max(x, 0) - x*y + log(1 + exp(-|x|)).
      NDArray bce =
          Activation.relu(x).sub(x.mul(y)).add(Activation.softPlus(x.abs().neg())).mean(); // ()
      NDArray loss = f.auxLoss() == null ? bce : bce.add(f.auxLoss()); // ()
      collector.backward(loss);
      return new StepResult(
          bce.getFloat(),
          f.auxLoss() == null ? 0.0 : f.auxLoss().getFloat(),
          loss.getFloat(),
          x.toFloatArray());
    }
  }

  private void applyAdam() {
    network.parametersChanged();
    steps++;
    double bc1 = 1 - Math.pow(beta1, steps);
    double bc2 = 1 - Math.pow(beta2, steps);
    float lrCorrected = (float) (learningRate * Math.sqrt(bc2) / bc1);
    float epsCorrected = (float) (epsilon * Math.sqrt(bc2));
    for (Map.Entry<String, NDArray> p : network.trainableParameters().entrySet()) {
      PtNDArray weight = (PtNDArray) p.getValue();
      try (PtNDArray grad = JniUtils.getGradient(weight)) {
        if (grad == null) {
          continue; // never part of a graph: torch skips grad None
        }
        if (isEmbedding(p.getKey())) {
          zeroPaddingRow(grad);
        }
        NDArray[] mv =
            moments.computeIfAbsent(
                p.getKey(),
                k -> new NDArray[] {
                  stateManager.zeros(weight.getShape()), stateManager.zeros(weight.getShape())
                });
        JniUtils.adamUpdate(
            weight,
            grad,
            (PtNDArray) mv[0],
            (PtNDArray) mv[1],
            (float) learningRate,
            lrCorrected,
            (float) weightDecay,
            1f,
            -1f,
            (float) beta1,
            (float) beta2,
            epsCorrected,
            false);
      }
    }
  }

  /**
   * padding_idx=0: the padding row gets no gradient. Done in place on a view of row 0 (the view is
   * closed here, so nothing is left in the parameter manager).
   */
  private static void zeroPaddingRow(NDArray grad) {
    try (NDArray row = grad.get(new NDIndex().addIndices(0))) {
      row.subi(row);
    }
  }

  private static boolean isEmbedding(String name) {
    return name.startsWith("embedding:");
  }

  @Override
  public void close() {
    stateManager.close();
  }

  /** Builder; every setting is optional and defaults to the reference's. */
  public static final class Builder {
    private double learningRate = 0.002;
    private double weightDecay = 0.001;
    private double beta1 = 0.9;
    private double beta2 = 0.999;
    private double epsilon = 1e-8;

    private Builder() {}

    public Builder optLearningRate(double lr) {
      this.learningRate = lr;
      return this;
    }

    public Builder optWeightDecay(double wd) {
      this.weightDecay = wd;
      return this;
    }

    public Builder optBetas(double b1, double b2) {
      this.beta1 = b1;
      this.beta2 = b2;
      return this;
    }

    public Builder optEpsilon(double eps) {
      this.epsilon = eps;
      return this;
    }

    /** Validates the settings and binds them to a network. */
    public DienTrainStep build(DienNetwork network) {
      if (!(learningRate > 0)) {
        throw new IllegalArgumentException("learningRate must be > 0, got " + learningRate);
      }
      if (!(weightDecay >= 0)) {
        throw new IllegalArgumentException("weightDecay must be >= 0, got " + weightDecay);
      }
      if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
        throw new IllegalArgumentException(
            "betas must be in [0, 1), got " + beta1 + ", " + beta2);
      }
      if (!(epsilon > 0)) {
        throw new IllegalArgumentException("epsilon must be > 0, got " + epsilon);
      }
      return new DienTrainStep(this, java.util.Objects.requireNonNull(network, "network"));
    }
  }
}
