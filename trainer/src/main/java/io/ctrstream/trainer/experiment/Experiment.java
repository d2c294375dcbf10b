package io.ctrstream.trainer.experiment;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.features.LabeledRow;
import io.ctrstream.dien.model.DienConfig;
import io.ctrstream.dien.train.DienFitter;
import io.ctrstream.dien.train.EpochMetrics;
import io.ctrstream.dien.train.FitResult;
import io.ctrstream.dien.train.Metrics;
import io.ctrstream.dien.train.TrainOptions;
import io.ctrstream.dien.train.TrainingListener;
import io.ctrstream.trainer.movielens.ReferenceCsv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One offline experiment on the reference CSV: read train and test, train DIEN with early
 * stopping on the test rows' AUC (the reference's protocol: its "validation" set is test.csv),
 * score the popularity baseline on the same rows, and, when an output folder is given, write the
 * best model as a bundle, the training curves as a PNG and the metrics as JSON.
 */
public final class Experiment {

  private static final Logger LOG = LoggerFactory.getLogger(Experiment.class);

  /** Files written into the output folder. */
  public static final String BUNDLE_FILE = "model.bundle";

  public static final String CURVES_FILE = "curves.png";
  public static final String RESULT_FILE = "result.json";

  private static final ObjectMapper JSON = new ObjectMapper();

  private Experiment() {}

  /**
   * What an experiment produced.
   *
   * @param fit the training history and the best model
   * @param popularityAuc AUC of the popularity baseline on the test rows
   * @param summary the one-line JSON summary's fields
   */
  public record Result(FitResult fit, double popularityAuc, Map<String, Object> summary) {
    /** The summary as one JSON line. */
    public String summaryJson() {
      try {
        return JSON.writeValueAsString(summary);
      } catch (IOException e) {
        throw new IllegalStateException("a map of numbers and strings always serialises", e);
      }
    }
  }

  /** Runs an experiment, reporting progress to {@code listener}. */
  public static Result run(ExperimentOptions o, TrainingListener listener) throws IOException {
    List<LabeledRow> train = ReferenceCsv.readLabeled(o.train());
    List<LabeledRow> test = ReferenceCsv.readLabeled(o.test());
    LOG.info("{} training rows from {}, {} test rows from {}", train.size(), o.train(),
        test.size(), o.test());
    Preset preset = o.preset();

    DienConfig.Evolution variant = o.variant();
    Boolean aux = o.aux();
    DienConfig.ItemTable itemTable = o.itemTable();
    DienFitter fitter =
        DienFitter.builder()
            .optModel(
                b -> {
                  DienConfig.Builder m = preset.model(b);
                  if (variant != null) {
                    m.optEvolution(variant);
                  }
                  if (aux != null) {
                    m.optUseNegSampling(aux);
                  }
                  ExperimentOptions.Tuning t = o.tuning();
                  if (t.embeddingSize() != null) {
                    m.optEmbeddingSize(t.embeddingSize());
                  }
                  if (t.attentionDropout() != null) {
                    m.optAttentionDropout(t.attentionDropout());
                  }
                  if (t.mlpDropout() != null) {
                    m.optMlpDropout(t.mlpDropout());
                  }
                  return m;
                })
            .optEncoder(encoderOptions(o))
            .optTrainOptions(trainOptions(o))
            .optModelName("dien-experiment")
            .optListener(listener)
            .build();
    FitResult fit = fitter.fit(train, test);

    PopularityBaseline popularity = PopularityBaseline.fit(train, o.popularityPseudoCount());
    int[] testLabels = test.stream().mapToInt(LabeledRow::label).toArray();
    double popularityAuc = Metrics.auc(testLabels, popularity.score(test));

    Map<String, Object> s = new LinkedHashMap<>();
    s.put("best_val_auc", round(fit.bestAuc()));
    s.put("best_epoch", fit.bestEpoch());
    s.put("epochs", fit.epochs().size());
    s.put("seconds", Math.round(fit.seconds() * 10) / 10.0);
    s.put("params", fit.parameterCount());
    s.put("popularity_auc", round(popularityAuc));
    s.put("best_val_logloss", round(fit.bestLogLoss()));
    s.put("bundle_version", fit.bundle().version());
    s.put("preset", preset.name().toLowerCase(Locale.ROOT));
    s.put("variant", fit.config().evolution().name());
    s.put("aux", fit.config().useNegSampling());
    s.put("item_table", fit.config().itemTable().name().toLowerCase(Locale.ROOT));
    s.put("seed", o.seed());
    s.put("embedding", fit.config().embeddingSize());
    s.put("lr", fitter.options().learningRate());
    s.put("weight_decay", fitter.options().weightDecay());
    s.put("batch", fitter.options().batchSize());
    s.put("attention_dropout", fit.config().attentionDropout());
    s.put("mlp_dropout", fit.config().mlpDropout());
    s.put("min_count", fit.bundle().encoder().options().minCount());
    s.put("history_affinity", fit.bundle().encoder().options().historyAffinity());
    s.put("train_rows", train.size());
    s.put("test_rows", test.size());
    Result result = new Result(fit, popularityAuc, s);
    if (o.out() != null) {
      write(o, result);
    }
    return result;
  }

  /**
   * Checks every setting an experiment will use (encoder and training options; network settings
   * are checked when the config is built), so a bad value fails before the data is read.
   *
   * @throws IllegalArgumentException with the builder's message
   */
  public static void validate(ExperimentOptions o) {
    encoderOptions(o);
    trainOptions(o);
    ExperimentOptions.Tuning t = o.tuning();
    if (t.embeddingSize() != null && t.embeddingSize() < 1) {
      throw new IllegalArgumentException("embedding must be > 0, got " + t.embeddingSize());
    }
    for (Double rate : new Double[] {t.attentionDropout(), t.mlpDropout()}) {
      if (rate != null && !(rate >= 0 && rate < 1)) {
        throw new IllegalArgumentException("dropout must be in [0, 1), got " + rate);
      }
    }
  }

  static FeatureEncoder.Options encoderOptions(ExperimentOptions o) {
    FeatureEncoder.Options.Builder b = o.preset().encoder(FeatureEncoder.Options.builder());
    if (o.itemTable() != null) {
      b.optItemTable(o.itemTable());
    }
    if (o.tuning().minCount() != null) {
      b.optMinCount(o.tuning().minCount());
    }
    if (o.tuning().historyAffinity() != null) {
      b.optHistoryAffinity(o.tuning().historyAffinity());
    }
    return b.build();
  }

  static TrainOptions trainOptions(ExperimentOptions o) {
    TrainOptions.Builder b = o.preset().training(TrainOptions.builder()).optSeed(o.seed());
    if (o.epochs() != null) {
      b.optMaxEpochs(o.epochs());
    }
    if (o.patience() != null) {
      b.optPatience(o.patience());
    }
    ExperimentOptions.Tuning t = o.tuning();
    if (t.learningRate() != null) {
      b.optLearningRate(t.learningRate());
    }
    if (t.weightDecay() != null) {
      b.optWeightDecay(t.weightDecay());
    }
    if (t.batchSize() != null) {
      b.optBatchSize(t.batchSize());
    }
    return b.build();
  }

  private static void write(ExperimentOptions o, Result r) throws IOException {
    Path out = o.out();
    Files.createDirectories(out);
    FitResult fit = r.fit();
    String title =
        String.format(
            Locale.ROOT, "%s%s seed %d", fit.config().evolution(),
            fit.config().useNegSampling() ? "+aux" : "", o.seed());
    TrainingCurves.writePng(
        out.resolve(CURVES_FILE), title, fit.epochs(), r.popularityAuc(), fit.bestEpoch());
    fit.bundle().save(out.resolve(BUNDLE_FILE));
    Map<String, Object> full = new LinkedHashMap<>(r.summary());
    List<Map<String, Object>> epochs = new ArrayList<>();
    for (EpochMetrics e : fit.epochs()) {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("epoch", e.epoch());
      m.put("train_loss", e.trainLoss());
      m.put("val_loss", e.validationLoss());
      m.put("val_auc", e.validationAuc());
      m.put("val_logloss", e.validationLogLoss());
      m.put("seconds", e.seconds());
      epochs.add(m);
    }
    full.put("stop_reason", fit.stopReason());
    full.put("per_epoch", epochs);
    JSON.writerWithDefaultPrettyPrinter().writeValue(out.resolve(RESULT_FILE).toFile(), full);
    LOG.info("wrote {}, {} and {} to {}", BUNDLE_FILE, CURVES_FILE, RESULT_FILE, out);
  }

  private static double round(double v) {
    return Double.isFinite(v) ? Math.round(v * 1e6) / 1e6 : v;
  }
}
