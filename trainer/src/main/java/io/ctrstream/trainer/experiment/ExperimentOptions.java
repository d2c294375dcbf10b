package io.ctrstream.trainer.experiment;

import io.ctrstream.dien.model.DienConfig.Evolution;
import io.ctrstream.dien.model.DienConfig.ItemTable;
import java.nio.file.Path;
import java.util.Objects;

/**
 * One experiment: which files, which preset, and the overrides given on the command line. A
 * {@code null} override leaves the preset's value.
 *
 * @param train reference CSV of the training rows
 * @param test reference CSV of the rows that choose the epoch and are reported
 * @param seed initialisation, dropout and shuffle seed
 * @param preset the starting point
 * @param variant interest-evolution variant, or null for the preset's
 * @param aux whether to use the auxiliary loss, or null for the preset's
 * @param itemTable separate or shared item tables, or null for the preset's
 * @param epochs most epochs, or null for the preset's
 * @param patience early-stopping patience, or null for the preset's
 * @param out folder for the bundle, the PNG and the metrics; null writes nothing
 * @param popularityPseudoCount k of the popularity baseline
 * @param progressBars whether to draw progress bars (per-epoch lines are always printed)
 * @param tuning finer overrides of the preset (learning rate, sizes, dropout, ...)
 */
public record ExperimentOptions(
    Path train,
    Path test,
    long seed,
    Preset preset,
    Evolution variant,
    Boolean aux,
    ItemTable itemTable,
    Integer epochs,
    Integer patience,
    Path out,
    double popularityPseudoCount,
    boolean progressBars,
    Tuning tuning) {

  /**
   * Overrides for tuning runs; each null field leaves the preset's value.
   *
   * @param learningRate Adam's step size
   * @param weightDecay L2 coefficient
   * @param batchSize rows per step
   * @param embeddingSize E
   * @param attentionDropout dropout of the attention MLP
   * @param mlpDropout dropout of the final MLP
   * @param minCount occurrences a term needs for its own index
   * @param historyAffinity whether the history's genre affinity is a numeric feature
   */
  public record Tuning(
      Double learningRate,
      Double weightDecay,
      Integer batchSize,
      Integer embeddingSize,
      Double attentionDropout,
      Double mlpDropout,
      Integer minCount,
      Boolean historyAffinity) {

    /** No overrides. */
    public static final Tuning NONE = new Tuning(null, null, null, null, null, null, null, null);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** {@code setTrain}/{@code setTest} are required; the rest is optional. */
  public static final class Builder {
    private Path train;
    private Path test;
    private long seed = 1;
    private Preset preset = Preset.REFERENCE;
    private Evolution variant;
    private Boolean aux;
    private ItemTable itemTable;
    private Integer epochs;
    private Integer patience;
    private Path out;
    private double popularityPseudoCount = PopularityBaseline.DEFAULT_PSEUDO_COUNT;
    private boolean progressBars = true;
    private Tuning tuning = Tuning.NONE;

    private Builder() {}

    public Builder optTuning(Tuning tuning) {
      this.tuning = tuning == null ? Tuning.NONE : tuning;
      return this;
    }

    public Builder setTrain(Path train) {
      this.train = train;
      return this;
    }

    public Builder setTest(Path test) {
      this.test = test;
      return this;
    }

    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    public Builder optPreset(Preset preset) {
      this.preset = preset;
      return this;
    }

    public Builder optVariant(Evolution variant) {
      this.variant = variant;
      return this;
    }

    public Builder optAux(Boolean aux) {
      this.aux = aux;
      return this;
    }

    public Builder optItemTable(ItemTable itemTable) {
      this.itemTable = itemTable;
      return this;
    }

    public Builder optEpochs(Integer epochs) {
      this.epochs = epochs;
      return this;
    }

    public Builder optPatience(Integer patience) {
      this.patience = patience;
      return this;
    }

    public Builder optOut(Path out) {
      this.out = out;
      return this;
    }

    public Builder optPopularityPseudoCount(double k) {
      this.popularityPseudoCount = k;
      return this;
    }

    public Builder optProgressBars(boolean progressBars) {
      this.progressBars = progressBars;
      return this;
    }

    public ExperimentOptions build() {
      Objects.requireNonNull(train, "train must be set: the training CSV (--train FILE)");
      Objects.requireNonNull(test, "test must be set: the test CSV (--test FILE)");
      Objects.requireNonNull(preset, "preset must not be null: reference or best");
      if (epochs != null && epochs <= 0) {
        throw new IllegalArgumentException("epochs must be > 0, got " + epochs);
      }
      if (patience != null && patience <= 0) {
        throw new IllegalArgumentException("patience must be > 0, got " + patience);
      }
      if (!(popularityPseudoCount >= 0)) {
        throw new IllegalArgumentException(
            "popularity pseudo-count must be >= 0, got " + popularityPseudoCount);
      }
      return new ExperimentOptions(
          train, test, seed, preset, variant, aux, itemTable, epochs, patience, out,
          popularityPseudoCount, progressBars, tuning);
    }
  }
}
