package io.ctrstream.trainer.experiment;

import io.ctrstream.dien.train.EpochMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * The PNG people look at after a run: losses on the left (train, validation), validation AUC on
 * the right with the popularity baseline as a flat line and the best epoch marked.
 */
public final class TrainingCurves {

  private TrainingCurves() {}

  /**
   * Writes the two charts side by side.
   *
   * @param baselineAuc the popularity baseline's AUC, drawn when finite
   * @param bestEpoch the epoch whose weights were kept, marked when > 0
   */
  public static void writePng(
      Path file, String title, List<EpochMetrics> epochs, double baselineAuc, int bestEpoch)
      throws IOException {
    if (epochs.isEmpty()) {
      throw new IllegalArgumentException("no epochs to plot");
    }
    int n = epochs.size();
    double[] x = new double[n];
    double[] trainLoss = new double[n];
    double[] valLoss = new double[n];
    double[] auc = new double[n];
    for (int i = 0; i < n; i++) {
      EpochMetrics e = epochs.get(i);
      x[i] = e.epoch();
      trainLoss[i] = e.trainLoss();
      valLoss[i] = e.validationLoss();
      auc[i] = e.validationAuc();
    }
    XYChart losses =
        new XYChartBuilder()
            .width(640)
            .height(420)
            .title(title + ": loss")
            .xAxisTitle("epoch")
            .yAxisTitle("loss (BCE + aux)")
            .build();
    losses.addSeries("train", x, trainLoss).setMarker(SeriesMarkers.NONE);
    losses.addSeries("validation", x, valLoss).setMarker(SeriesMarkers.NONE);

    XYChart aucChart =
        new XYChartBuilder()
            .width(640)
            .height(420)
            .title(title + ": validation AUC")
            .xAxisTitle("epoch")
            .yAxisTitle("AUC")
            .build();
    aucChart.addSeries("DIEN", x, auc).setMarker(SeriesMarkers.NONE);
    if (Double.isFinite(baselineAuc)) {
      aucChart
          .addSeries(
              "popularity", new double[] {x[0], x[n - 1]}, new double[] {baselineAuc, baselineAuc})
          .setMarker(SeriesMarkers.NONE);
    }
    if (bestEpoch > 0 && bestEpoch <= n) {
      XYSeries best =
          aucChart.addSeries(
              "best epoch " + bestEpoch,
              new double[] {bestEpoch},
              new double[] {epochs.get(bestEpoch - 1).validationAuc()});
      best.setXYSeriesRenderStyle(XYSeries.XYSeriesRenderStyle.Scatter);
      best.setMarker(SeriesMarkers.DIAMOND);
    }
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    String name = file.toString();
    // XChart appends the extension itself
    String base = name.endsWith(".png") ? name.substring(0, name.length() - 4) : name;
    BitmapEncoder.saveBitmap(
        List.of(losses, aucChart), 1, 2, base, BitmapEncoder.BitmapFormat.PNG);
  }
}
