package io.ctrstream.dien.train;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.features.LabeledRow;
import io.ctrstream.dien.model.DienConfig;
import io.ctrstream.dien.model.DienNetwork;
import io.ctrstream.dien.model.DienTrainStep;
import io.ctrstream.dien.model.EncodedBatch;
import io.ctrstream.dien.model.ForwardResult;
import io.ctrstream.dien.bundle.ModelBundle;
import java.io.ByteArrayOutputStream;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains DIEN the way the reference does: the encoder is fitted on the training rows only; each
 * epoch shuffles the training rows with the seed, runs Adam over mini-batches on BCE plus the
 * auxiliary loss, then evaluates on the validation rows (loss, AUC, log loss); the weights of the
 * epoch with the best validation AUC are kept, and training stops after {@code patience} epochs
 * without improvement or at {@code maxEpochs}.
 *
 * <p>Native memory: every training step and every evaluation chunk runs in its own {@code
 * NDManager} that is closed before the next (inside {@link DienTrainStep} and {@link
 * DienNetwork#predictProbabilities}, and here for the validation loss); the network and the
 * optimiser state are closed when the fit returns. Batches between steps are plain arrays.
 *
 * <p>A trailing mini-batch of a single row is dropped for that epoch (training BatchNorm needs at
 * least two rows; the reference crashes on it); shuffling puts that row in a full batch in
 * other epochs. If training diverges (a non-finite training loss or validation score), the run
 * stops there and keeps the best epoch so far, saying so in {@link FitResult#stopReason()}. Not
 * thread-safe; DJL allows one training step at a time per JVM.
 */
public final class DienFitter {

  private static final Logger LOG = LoggerFactory.getLogger(DienFitter.class);

  private final UnaryOperator<DienConfig.Builder> model;
  private final FeatureEncoder.Options encoderOptions;
  private final TrainOptions options;
  private final TrainingListener listener;
  private final String modelName;
  private final String version;
  private final boolean calibrate;
  private final ModelBundle warmStart;

  private DienFitter(Builder b) {
    this.calibrate = b.calibrate;
    this.warmStart = b.warmStart;
    this.modelName = b.modelName;
    this.version = b.version;
    this.model = b.model;
    this.encoderOptions = b.encoderOptions;
    this.options = b.options;
    this.listener = b.listener;
  }

  public static Builder builder() {
    return new Builder();
  }

  public TrainOptions options() {
    return options;
  }

  /**
   * Fits an encoder and a network on {@code train}, choosing the epoch by {@code validation}.
   *
   * @throws IllegalArgumentException when there are fewer than 2 training rows or no validation
   *     rows
   */
  public FitResult fit(List<LabeledRow> train, List<LabeledRow> validation) {
    if (train.size() < 2) {
      throw new IllegalArgumentException(
          "need at least 2 training rows (BatchNorm needs a batch of 2), got " + train.size());
    }
    if (validation.isEmpty()) {
      throw new IllegalArgumentException("need at least 1 validation row to choose the epoch");
    }
    long start = System.nanoTime();
    FeatureEncoder encoder = FeatureEncoder.fitLabeled(train, encoderOptions);
    DienConfig config = encoder.configure(model.apply(DienConfig.builder())).build();
    EncodedBatch trainBatch = encoder.encodeTraining(train);
    EncodedBatch valBatch = encoder.encodeLabeled(validation);
    int[] valLabels = labels(valBatch);
    LOG.info(
        "training {} on {} rows, validating on {} rows; {}",
        config.evolution(), train.size(), validation.size(), options);

    // dropout draws from torch's generator: seed it so a run repeats
    Engine.getEngine("PyTorch").setRandomSeed((int) options.seed());
    Random shuffle = new Random(options.seed());
    int[] order = new int[trainBatch.size()];
    for (int i = 0; i < order.length; i++) {
      order[i] = i;
    }

    List<EpochMetrics> epochs = new java.util.ArrayList<>();
    byte[] bestParameters = null;
    float[] bestScores = null;
    int bestEpoch = 0;
    double bestAuc = Double.NEGATIVE_INFINITY;
    String stopReason;
    long parameterCount;
    double wideOnlyAuc = Double.NaN;
    String start0 = "fresh";
    try (DienNetwork network = DienNetwork.create(config, options.seed());
        DienTrainStep step =
            DienTrainStep.builder()
                .optLearningRate(options.learningRate())
                .optWeightDecay(options.weightDecay())
                .build(network)) {
      parameterCount = network.parameterCount();
      int w = config.wideFeatures().size();
      if (w > 0) {
        // The wide part alone, fitted in closed form: the "deep part switched off" model.
        double[] wide =
            Logistic.fit(tail(trainBatch, w), w, labels(trainBatch), WIDE_RIDGE);
        wideOnlyAuc = Metrics.auc(valLabels, Logistic.predict(tail(valBatch, w), w, wide));
        LOG.info("wide part alone (logistic regression): validation AUC {}", wideOnlyAuc);
        if (warmStart == null) {
          // Start at that solution with a silent deep part: training only adds what it can.
          Map<String, float[]> init = network.stateDict();
          float[] ww = new float[w];
          for (int j = 0; j < w; j++) {
            ww[j] = (float) wide[j];
          }
          init.put("wide.weight", ww);
          init.put("wide.bias", new float[] {(float) wide[w]});
          init.put("final_layer.weight", new float[init.get("final_layer.weight").length]);
          init.put("final_layer.bias", new float[1]);
          network.loadStateDict(init);
        }
      }
      if (warmStart != null) {
        start0 = WarmStart.apply(network, encoder, warmStart);
        LOG.info("warm start from {}: {}", warmStart.version(), start0);
      }
      int sinceBest = 0;
      int epoch = 0;
      while (true) {
        epoch++;
        long epochStart = System.nanoTime();
        shuffle(order, shuffle);
        int batches = batchCount(order.length, options.batchSize());
        listener.onEpochStart(epoch, batches);
        double lossSum = 0;
        String diverged = null;
        for (int k = 0; k < batches && diverged == null; k++) {
          int from = k * options.batchSize();
          int to = Math.min(order.length, from + options.batchSize());
          EncodedBatch batch = gather(trainBatch, order, from, to);
          double loss = step.step(batch).loss();
          if (!Double.isFinite(loss)) {
            diverged = "training loss is " + loss + " at epoch " + epoch + " batch " + (k + 1);
          }
          lossSum += loss;
          listener.onBatch(epoch, k + 1, batches, loss);
        }
        Evaluation eval = diverged == null ? evaluate(network, valBatch, valLabels) : null;
        if (eval != null && !eval.finite) {
          diverged = "validation scores are not finite after epoch " + epoch;
        }
        if (diverged != null) {
          // the weights are now garbage; the best epoch's snapshot is still good
          if (bestParameters == null) {
            throw new IllegalStateException(
                diverged + " before any epoch finished; lower the learning rate ("
                    + options.learningRate() + ")");
          }
          LOG.warn("{}; stopping and keeping epoch {}", diverged, bestEpoch);
          stopReason = "diverged (" + diverged + "); kept the best epoch before it";
          break;
        }
        EpochMetrics metrics =
            new EpochMetrics(
                epoch, lossSum / batches, eval.loss, eval.auc, eval.logLoss,
                (System.nanoTime() - epochStart) / 1e9);
        epochs.add(metrics);
        // NaN AUC (one-class validation) never beats a number; the first epoch always counts
        boolean improved = bestEpoch == 0 || eval.auc > bestAuc;
        if (improved) {
          bestEpoch = epoch;
          bestAuc = eval.auc;
          bestParameters = snapshot(network);
          bestScores = eval.scores;
          sinceBest = 0;
        } else {
          sinceBest++;
        }
        listener.onEpochEnd(metrics, improved);
        if (sinceBest >= options.patience()) {
          stopReason =
              "no better validation AUC for " + options.patience() + " epochs (early stop)";
          break;
        }
        if (epoch >= options.maxEpochs()) {
          stopReason = "reached " + options.maxEpochs() + " epochs";
          break;
        }
      }
    }
    listener.onStop(bestEpoch, stopReason);
    EpochMetrics best = epochs.get(bestEpoch - 1);
    Map<String, Double> metrics = finiteMetrics(best, validation.size());
    metrics.put("wide_only_auc", wideOnlyAuc);
    if (calibrate) {
      double[] platt = Logistic.platt(bestScores, valLabels);
      config = config.toBuilder().optCalibration(platt[0], platt[1]).build();
      bestScores = calibrated(bestScores, platt);
      metrics.put("uncalibrated_logloss", best.validationLogLoss());
      metrics.put("logloss", Metrics.logLoss(valLabels, bestScores));
      metrics.put("calibration_scale", platt[0]);
      metrics.put("calibration_shift", platt[1]);
      LOG.info("calibration: scale {} shift {}; validation log loss {} -> {}", platt[0], platt[1],
          best.validationLogLoss(), metrics.get("logloss"));
    }
    metrics.put("ece", Metrics.expectedCalibrationError(valLabels, bestScores, 10));
    metrics.values().removeIf(v -> !Double.isFinite(v));
    ModelBundle bundle =
        ModelBundle.builder()
            .setModelName(modelName)
            .setVersion(version != null ? version : defaultVersion())
            .setEncoder(encoder)
            .setWeights(config, bestParameters)
            .optTrainingWindow(
                train.stream().mapToLong(LabeledRow::timestamp).min().orElse(0),
                train.stream().mapToLong(LabeledRow::timestamp).max().orElse(0))
            .optSampleCount(train.size())
            .optPositiveRate(train.stream().mapToInt(LabeledRow::label).average().orElse(0))
            .optMetrics(metrics)
            .build();
    double seconds = (System.nanoTime() - start) / 1e9;
    LOG.info(
        "best epoch {} of {}: validation AUC {} ({}s)", bestEpoch, epochs.size(), bestAuc,
        Math.round(seconds));
    return new FitResult(
        epochs, bestEpoch, bestAuc, metrics.getOrDefault("logloss", best.validationLogLoss()),
        seconds, parameterCount,
        stopReason, bundle, bestScores);
  }

  private static Map<String, Double> finiteMetrics(EpochMetrics best, int validationRows) {
    Map<String, Double> m = new LinkedHashMap<>();
    m.put("auc", best.validationAuc());
    m.put("logloss", best.validationLogLoss());
    m.put("loss", best.validationLoss());
    m.put("epoch", (double) best.epoch());
    m.put("validation_rows", (double) validationRows);
    // a one-class validation set has no AUC; a manifest holds numbers only
    m.values().removeIf(v -> !Double.isFinite(v));
    return m;
  }

  /** Ridge penalty of the wide part's closed-form fit (summed log-loss scale). */
  private static final double WIDE_RIDGE = 1.0;

  /** The last {@code w} numeric columns of a batch, (B, w) row-major. */
  private static float[] tail(EncodedBatch batch, int w) {
    int n = batch.numericWidth();
    float[] out = new float[batch.size() * w];
    for (int i = 0; i < batch.size(); i++) {
      System.arraycopy(batch.numeric(), i * n + n - w, out, i * w, w);
    }
    return out;
  }

  private static float[] calibrated(float[] p, double[] platt) {
    float[] out = new float[p.length];
    for (int i = 0; i < p.length; i++) {
      double q = Math.min(1 - 1e-7, Math.max(1e-7, p[i]));
      double z = platt[0] * Math.log(q / (1 - q)) + platt[1];
      out[i] = (float) (1 / (1 + Math.exp(-z)));
    }
    return out;
  }

  private static String defaultVersion() {
    return "dien-"
        + DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS", Locale.ROOT)
            .withZone(ZoneOffset.UTC)
            .format(Instant.now());
  }

  private record Evaluation(
      double loss, double auc, double logLoss, float[] scores, boolean finite) {}

  /**
   * Validation metrics in eval mode. The loss is the training objective: mean BCE over rows plus
   * the auxiliary loss averaged over all valid positions (chunks weighted by their positions).
   */
  private Evaluation evaluate(DienNetwork network, EncodedBatch val, int[] labels) {
    int n = val.size();
    float[] scores = new float[n];
    double bceSum = 0;
    double auxSum = 0;
    long auxPositions = 0;
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      for (int from = 0; from < n; from += options.evalBatchSize()) {
        int to = Math.min(n, from + options.evalBatchSize());
        EncodedBatch chunk = from == 0 && to == n ? val : val.slice(from, to);
        try (NDManager m = NDManager.newBaseManager("PyTorch")) {
          ForwardResult f = network.forward(m, chunk, false);
          float[] logits = f.logits().toFloatArray();
          for (int i = 0; i < logits.length; i++) {
            double x = logits[i];
            int y = labels[from + i];
            // BCE with logits, the stable form: max(x, 0) - x*y + log(1 + exp(-|x|))
            bceSum += Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)));
            scores[from + i] = (float) (1 / (1 + Math.exp(-x)));
          }
          NDArray aux = f.auxLoss();
          if (aux != null) {
            long positions = 0;
            for (int len : chunk.historyLengths()) {
              positions += Math.max(len - 1, 0);
            }
            auxSum += aux.getFloat() * positions;
            auxPositions += positions;
          }
        }
      }
    } finally {
      JniUtils.setGradMode(gradMode);
    }
    double loss = bceSum / n + (auxPositions > 0 ? auxSum / auxPositions : 0);
    boolean finite = Double.isFinite(loss);
    for (int i = 0; i < n && finite; i++) {
      finite = Float.isFinite(scores[i]);
    }
    return new Evaluation(
        loss, Metrics.auc(labels, scores), Metrics.logLoss(labels, scores), scores, finite);
  }

  private static byte[] snapshot(DienNetwork network) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      network.saveParameters(out);
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory cannot fail", e);
    }
    return out.toByteArray();
  }

  private static int batchCount(int rows, int batchSize) {
    int full = rows / batchSize;
    int rest = rows % batchSize;
    // a rest of one row is dropped: BatchNorm cannot train on a single row
    return full + (rest >= 2 ? 1 : 0);
  }

  private static int[] labels(EncodedBatch batch) {
    int[] out = new int[batch.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = Math.round(batch.labels()[i]);
    }
    return out;
  }

  private static void shuffle(int[] a, Random random) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = random.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** Rows {@code order[from..to)} of {@code src} as a new batch. */
  static EncodedBatch gather(EncodedBatch src, int[] order, int from, int to) {
    int n = to - from;
    int nw = src.numericWidth();
    int cw = src.categoricalWidth();
    int g = src.genresLength();
    int t = src.historyLength();
    float[] numeric = new float[n * nw];
    int[] categorical = new int[n * cw];
    int[] genres = new int[n * g];
    int[] history = new int[n * t];
    int[] negatives = src.negatives() == null ? null : new int[n * t];
    float[] labels = src.labels() == null ? null : new float[n];
    for (int i = 0; i < n; i++) {
      int r = order[from + i];
      System.arraycopy(src.numeric(), r * nw, numeric, i * nw, nw);
      System.arraycopy(src.categorical(), r * cw, categorical, i * cw, cw);
      System.arraycopy(src.genres(), r * g, genres, i * g, g);
      System.arraycopy(src.history(), r * t, history, i * t, t);
      if (negatives != null) {
        System.arraycopy(src.negatives(), r * t, negatives, i * t, t);
      }
      if (labels != null) {
        labels[i] = src.labels()[r];
      }
    }
    return new EncodedBatch(n, nw, cw, g, t, numeric, categorical, genres, history, negatives,
        labels);
  }

  /** Builder; everything is optional and defaults to the reference setup. */
  public static final class Builder {
    private UnaryOperator<DienConfig.Builder> model = UnaryOperator.identity();
    private FeatureEncoder.Options encoderOptions = FeatureEncoder.Options.defaults();
    private TrainOptions options = TrainOptions.reference();
    private TrainingListener listener = TrainingListener.NONE;
    private String modelName = "dien";
    private String version;
    private boolean calibrate;
    private ModelBundle warmStart;

    private Builder() {}

    /**
     * Platt-scales the best epoch's logits on the validation rows and keeps the scaling in the
     * bundle's config, so that the served score is the calibrated probability (default off: the
     * reference does not calibrate).
     */
    public Builder optCalibrate(boolean calibrate) {
      this.calibrate = calibrate;
      return this;
    }

    /**
     * Starts from this model's weights instead of a fresh initialisation: embedding rows of ids
     * that both vocabularies know are carried over, every other parameter of the same shape too
     * ({@link WarmStart}). Null for a fresh start (the default).
     */
    public Builder optWarmStart(ModelBundle live) {
      this.warmStart = live;
      return this;
    }

    /** The bundle's model name (default {@code dien}). */
    public Builder optModelName(String modelName) {
      this.modelName = Objects.requireNonNull(modelName, "modelName must not be null");
      return this;
    }

    /** The bundle's version (default {@code dien-<UTC time of the fit's end>}). */
    public Builder optVersion(String version) {
      this.version = version;
      return this;
    }

    /**
     * Network settings on top of the reference defaults (variant, sizes, dropout); the feature
     * layout is then filled from the fitted encoder, so do not set it here.
     */
    public Builder optModel(UnaryOperator<DienConfig.Builder> model) {
      this.model = Objects.requireNonNull(model, "model must not be null");
      return this;
    }

    /** Encoder settings (min count, lengths, shared or separate item table). */
    public Builder optEncoder(FeatureEncoder.Options options) {
      this.encoderOptions = Objects.requireNonNull(options, "encoder options must not be null");
      return this;
    }

    public Builder optTrainOptions(TrainOptions options) {
      this.options = Objects.requireNonNull(options, "train options must not be null");
      return this;
    }

    public Builder optListener(TrainingListener listener) {
      this.listener = Objects.requireNonNull(listener, "listener must not be null");
      return this;
    }

    public DienFitter build() {
      if (modelName.isBlank()) {
        throw new IllegalArgumentException("modelName must not be blank");
      }
      if (version != null && version.isBlank()) {
        throw new IllegalArgumentException(
            "version must not be blank; leave it unset for a default");
      }
      return new DienFitter(this);
    }
  }
}
