package io.ctrstream.trainer.experiment;

import io.ctrstream.dien.train.EpochMetrics;
import io.ctrstream.dien.train.TrainingListener;
import java.io.PrintStream;
import java.util.Locale;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Shows a training run on a console stream (stderr, so stdout stays machine-readable): a progress
 * bar per epoch over its batches with the running loss, then one line per epoch with train loss,
 * validation loss, AUC and log loss.
 */
public final class ProgressBarListener implements TrainingListener {

  private final PrintStream out;
  private final int maxEpochs;
  private final boolean showBars;
  private ProgressBar bar;
  private double lossSum;

  /**
   * @param showBars false to print only the per-epoch lines (logs, CI)
   */
  public ProgressBarListener(PrintStream out, int maxEpochs, boolean showBars) {
    this.out = out;
    this.maxEpochs = maxEpochs;
    this.showBars = showBars;
  }

  @Override
  public void onEpochStart(int epoch, int batches) {
    lossSum = 0;
    if (showBars) {
      bar =
          new ProgressBarBuilder()
              .setTaskName(String.format(Locale.ROOT, "epoch %d/%d", epoch, maxEpochs))
              .setInitialMax(batches)
              .setStyle(ProgressBarStyle.ASCII)
              .setUnit(" batches", 1)
              .setConsumer(new ConsoleProgressBarConsumer(out))
              .setUpdateIntervalMillis(250)
              .clearDisplayOnFinish()
              .build();
    }
  }

  @Override
  public void onBatch(int epoch, int batch, int batches, double loss) {
    lossSum += loss;
    if (bar != null) {
      bar.step();
      bar.setExtraMessage(String.format(Locale.ROOT, " loss %.4f", lossSum / batch));
    }
  }

  @Override
  public void onEpochEnd(EpochMetrics m, boolean improved) {
    closeBar();
    out.printf(
        Locale.ROOT,
        "epoch %3d  train loss %.4f  val loss %.4f  val AUC %.4f  val logloss %.4f  %.1fs%s%n",
        m.epoch(), m.trainLoss(), m.validationLoss(), m.validationAuc(), m.validationLogLoss(),
        m.seconds(), improved ? "  *" : "");
  }

  @Override
  public void onStop(int bestEpoch, String reason) {
    closeBar();
    out.printf(Locale.ROOT, "stopped: %s; best epoch %d%n", reason, bestEpoch);
  }

  private void closeBar() {
    if (bar != null) {
      bar.close();
      bar = null;
    }
  }
}
