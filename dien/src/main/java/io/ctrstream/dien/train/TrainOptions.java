package io.ctrstream.dien.train;

/**
 * How to optimise: the reference's settings unless told otherwise (Adam with learning rate 0.002
 * and L2 weight decay 0.001, batch 128, at most 100 epochs, early stopping after 10 epochs without
 * a better validation AUC). The seed fixes initialisation, dropout and the per-epoch shuffle.
 *
 * @param batchSize rows per optimisation step
 * @param learningRate Adam's step size
 * @param weightDecay L2 coefficient added to the gradient (not decoupled, as the reference)
 * @param maxEpochs the most epochs to run
 * @param patience epochs without a better validation AUC before stopping
 * @param seed initialisation, dropout and shuffle seed
 * @param evalBatchSize rows per forward pass when evaluating
 */
public record TrainOptions(
    int batchSize,
    double learningRate,
    double weightDecay,
    int maxEpochs,
    int patience,
    long seed,
    int evalBatchSize) {

  /** The reference's settings with seed 1. */
  public static TrainOptions reference() {
    return builder().build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder starting from these options. */
  public Builder toBuilder() {
    return new Builder()
        .optBatchSize(batchSize)
        .optLearningRate(learningRate)
        .optWeightDecay(weightDecay)
        .optMaxEpochs(maxEpochs)
        .optPatience(patience)
        .optSeed(seed)
        .optEvalBatchSize(evalBatchSize);
  }

  /** Every option has the reference default; {@link #build()} checks them. */
  public static final class Builder {
    private int batchSize = 128;
    private double learningRate = 0.002;
    private double weightDecay = 0.001;
    private int maxEpochs = 100;
    private int patience = 10;
    private long seed = 1;
    private int evalBatchSize = 1024;

    private Builder() {}

    public Builder optBatchSize(int batchSize) {
      this.batchSize = batchSize;
      return this;
    }

    public Builder optLearningRate(double learningRate) {
      this.learningRate = learningRate;
      return this;
    }

    public Builder optWeightDecay(double weightDecay) {
      this.weightDecay = weightDecay;
      return this;
    }

    public Builder optMaxEpochs(int maxEpochs) {
      this.maxEpochs = maxEpochs;
      return this;
    }

    public Builder optPatience(int patience) {
      this.patience = patience;
      return this;
    }

    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    public Builder optEvalBatchSize(int evalBatchSize) {
      this.evalBatchSize = evalBatchSize;
      return this;
    }

    public TrainOptions build() {
      if (batchSize <= 0) {
        throw new IllegalArgumentException(
            "batchSize must be > 0, got " + batchSize + "; the reference uses 128");
      }
      if (!(learningRate > 0) || Double.isInfinite(learningRate)) {
        throw new IllegalArgumentException(
            "learningRate must be a positive number, got " + learningRate
                + "; the reference uses 0.002");
      }
      if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
        throw new IllegalArgumentException(
            "weightDecay must be >= 0, got " + weightDecay + "; the reference uses 0.001");
      }
      if (maxEpochs <= 0) {
        throw new IllegalArgumentException("maxEpochs must be > 0, got " + maxEpochs);
      }
      if (patience <= 0) {
        throw new IllegalArgumentException(
            "patience must be > 0, got " + patience + "; the reference uses 10");
      }
      if (evalBatchSize <= 0) {
        throw new IllegalArgumentException("evalBatchSize must be > 0, got " + evalBatchSize);
      }
      return new TrainOptions(
          batchSize, learningRate, weightDecay, maxEpochs, patience, seed, evalBatchSize);
    }
  }
}
