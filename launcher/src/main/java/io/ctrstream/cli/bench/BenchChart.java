package io.ctrstream.cli.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.HdrHistogram.Histogram;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.internal.chartpart.Chart;

/**
 * Draws a {@link ScoringBenchmark.Result} as one PNG of three panels: peak scores/s per setting
 * (the constant model as the first bar, for reference), p99 latency per setting against the 50 ms
 * goal, and the main run's latency by percentile.
 */
public final class BenchChart {
  private BenchChart() {}

  /** Writes the chart to {@code file} (".png" is added when missing). */
  public static void write(ScoringBenchmark.Result r, double p99GoalMs, Path file)
      throws IOException {
    List<String> labels = new ArrayList<>();
    List<Double> rates = new ArrayList<>();
    List<Double> p99 = new ArrayList<>();
    List<Double> goal = new ArrayList<>();
    labels.add("constant");
    rates.add(r.constant().perSecond());
    p99.add(0.0);
    goal.add(p99GoalMs);
    for (ScoringBenchmark.Run run : r.sweep()) {
      labels.add(String.format(Locale.ROOT, "c%d b%d", run.commitIntervalMs(), run.batchSize()));
      rates.add(run.perSecond());
      p99.add(run.p(99));
      goal.add(p99GoalMs);
    }
    CategoryChart throughput = new CategoryChartBuilder().width(700).height(450)
        .title("peak scores/s (c = commit ms, b = batch)").yAxisTitle("scores per second").build();
    throughput.getStyler().setLegendVisible(false);
    throughput.addSeries("scores/s", labels, rates);

    CategoryChart latency = new CategoryChartBuilder().width(700).height(450)
        .title(String.format(Locale.ROOT, "p99 produce->score at %.0f/s offered",
            r.scorer().offeredPerSecond()))
        .yAxisTitle("ms").build();
    latency.addSeries("p99", labels.subList(1, labels.size()), p99.subList(1, p99.size()));
    latency.addSeries("goal", labels.subList(1, labels.size()), goal.subList(1, goal.size()));

    XYChart percentiles = new XYChartBuilder().width(700).height(450)
        .title("main run latency by percentile").xAxisTitle("percentile").yAxisTitle("ms").build();
    percentiles.getStyler().setLegendVisible(false);
    Histogram h = r.scorer().latencyMs();
    List<Double> x = new ArrayList<>();
    List<Double> y = new ArrayList<>();
    for (double q : new double[] {1, 10, 25, 50, 75, 90, 95, 99, 99.9, 100}) {
      x.add(q);
      y.add((double) h.getValueAtPercentile(q));
    }
    percentiles.addSeries("latency", x, y);

    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    String name = file.toString();
    String base = name.endsWith(".png") ? name.substring(0, name.length() - 4) : name;
    List<Chart<?, ?>> charts = List.of(throughput, latency, percentiles);
    BitmapEncoder.saveBitmap(charts, 1, 3, base, BitmapEncoder.BitmapFormat.PNG);
  }
}
