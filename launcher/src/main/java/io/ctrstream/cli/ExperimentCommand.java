package io.ctrstream.cli;

import io.ctrstream.dien.model.DienConfig.Evolution;
import io.ctrstream.dien.model.DienConfig.ItemTable;
import io.ctrstream.trainer.experiment.Experiment;
import io.ctrstream.trainer.experiment.ExperimentOptions;
import io.ctrstream.trainer.experiment.Preset;
import io.ctrstream.trainer.experiment.ProgressBarListener;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./ctr experiment}: trains and evaluates DIEN on the reference CSV format. Progress and
 * per-epoch lines go to stderr; stdout gets exactly one JSON line with the result.
 */
@Command(
    name = "experiment",
    mixinStandardHelpOptions = true,
    description = {
      "Train and evaluate DIEN on the reference CSV format (see movielens-split).",
      "Early stopping on the test rows' AUC, as the reference. Prints one JSON line on stdout"
          + " (best_val_auc, best_epoch, epochs, seconds, params, popularity_auc, ...); writes"
          + " model.bundle, curves.png and result.json into --out."
    })
public final class ExperimentCommand implements Callable<Integer> {

  /** Item-table choice as typed on the command line. */
  enum Table {
    SEPARATE,
    SHARED
  }

  @Option(names = "--train", required = true, paramLabel = "FILE", description = "training CSV")
  Path train;

  @Option(names = "--test", required = true, paramLabel = "FILE",
      description = "test CSV (chooses the epoch and is reported)")
  Path test;

  @Option(names = "--seed", defaultValue = "1", description = "seed (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--variant", paramLabel = "AUGRU|AGRU|AIGRU|GRU",
      description = "interest evolution (default: the preset's; reference AUGRU)")
  Evolution variant;

  @Option(names = "--no-aux", description = "train without the auxiliary loss")
  boolean noAux;

  @Option(names = "--item-table", paramLabel = "separate|shared",
      description = "own table per item column (reference) or one shared table")
  Table itemTable;

  @Option(names = "--preset", defaultValue = "reference", paramLabel = "reference|best",
      description = "starting setup (default: ${DEFAULT-VALUE})")
  Preset preset;

  @Option(names = "--epochs", paramLabel = "N", description = "most epochs (default 100)")
  Integer epochs;

  @Option(names = "--patience", paramLabel = "N",
      description = "epochs without a better AUC before stopping (default 10)")
  Integer patience;

  @Option(names = "--out", defaultValue = "runs/experiment", paramLabel = "DIR",
      description = "output folder (default: ${DEFAULT-VALUE})")
  Path out;

  @Option(names = "--threads", paramLabel = "N",
      description = "PyTorch intra-op threads (default: the launcher's, 1)")
  Integer threads;

  @Option(names = "--popularity-k", defaultValue = "10", paramLabel = "K",
      description = "pseudo-counts of the popularity baseline's prior (default: ${DEFAULT-VALUE})")
  double popularityK;

  @Option(names = "--no-progress", description = "per-epoch lines only, no progress bars")
  boolean noProgress;

  @Option(names = "--lr", paramLabel = "X", description = "tuning: Adam learning rate")
  Double learningRate;

  @Option(names = "--weight-decay", paramLabel = "X", description = "tuning: L2 coefficient")
  Double weightDecay;

  @Option(names = "--batch-size", paramLabel = "N", description = "tuning: rows per step")
  Integer batchSize;

  @Option(names = "--embedding", paramLabel = "N", description = "tuning: embedding size")
  Integer embedding;

  @Option(names = "--attention-dropout", paramLabel = "X",
      description = "tuning: attention MLP dropout")
  Double attentionDropout;

  @Option(names = "--mlp-dropout", paramLabel = "X", description = "tuning: final MLP dropout")
  Double mlpDropout;

  @Option(names = "--min-count", paramLabel = "N",
      description = "tuning: occurrences a term needs for its own index")
  Integer minCount;

  @Option(names = "--history-affinity",
      description = "tuning: one more numeric feature, how well the candidate's genres match the"
          + " genres of the user's history (not in the reference)")
  boolean historyAffinity;

  @Override
  public Integer call() throws Exception {
    for (Path p : new Path[] {train, test}) {
      if (!Files.isRegularFile(p)) {
        System.err.println("experiment: " + p + " is not a file; make one with movielens-split");
        return 2;
      }
    }
    if (threads != null) {
      if (threads < 1) {
        System.err.println("experiment: --threads must be >= 1, got " + threads);
        return 2;
      }
      // read when the engine starts, which is later than this
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
    }
    ExperimentOptions options;
    try {
      options =
          ExperimentOptions.builder()
              .setTrain(train)
              .setTest(test)
              .optSeed(seed)
              .optPreset(preset)
              .optVariant(variant)
              .optAux(noAux ? Boolean.FALSE : null)
              .optItemTable(
                  itemTable == null
                      ? null
                      : itemTable == Table.SHARED ? ItemTable.SHARED : ItemTable.SEPARATE)
              .optEpochs(epochs)
              .optPatience(patience)
              .optOut(out)
              .optPopularityPseudoCount(popularityK)
              .optProgressBars(!noProgress)
              .optTuning(
                  new ExperimentOptions.Tuning(
                      learningRate, weightDecay, batchSize, embedding, attentionDropout,
                      mlpDropout, minCount, historyAffinity ? Boolean.TRUE : null))
              .build();
    } catch (IllegalArgumentException e) {
      System.err.println("experiment: " + e.getMessage());
      return 2;
    }
    // bad tuning values surface from the builders' own checks, before any training
    try {
      Experiment.validate(options);
    } catch (IllegalArgumentException e) {
      System.err.println("experiment: " + e.getMessage());
      return 2;
    }
    int maxEpochs = epochs != null ? epochs : 100;
    Experiment.Result result;
    try {
      result =
          Experiment.run(options, new ProgressBarListener(System.err, maxEpochs, !noProgress));
    } catch (IllegalArgumentException | IllegalStateException e) {
      // bad data or settings (too few rows, a column the encoder cannot fit): say so, no trace
      System.err.println("experiment: " + e.getMessage());
      return 1;
    }
    System.out.println(result.summaryJson());
    return 0;
  }
}
