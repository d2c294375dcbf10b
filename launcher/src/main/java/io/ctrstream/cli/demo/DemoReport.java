package io.ctrstream.cli.demo;

import io.ctrstream.trainer.service.RunResult;
import java.awt.Color;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.XYSeries;
import org.knowm.xchart.style.lines.SeriesLines;
import org.knowm.xchart.style.markers.SeriesMarkers;

/**
 * Writes the run's report into its output folder: {@code online-auc.png} (the AUC of each served
 * model over the stream), {@code counts.png} (published, scored and feedback records over wall
 * time) and {@code report.html}, which shows them with the summary table and each training run's
 * own charts (curves.png, online-auc.png under the trainer's report folder).
 */
final class DemoReport {

  /** The counts at one moment of the run. */
  record Sample(double seconds, long impressionsSent, long ratingsSent, long scores, long feedback,
      long releases) {}

  private DemoReport() {}

  /** Writes the charts and the page; returns the page. */
  static Path write(Path out, DemoResult result, List<OnlineEvaluation.Point> aucPoints,
      List<Sample> samples, List<RunResult> runs) throws IOException {
    Files.createDirectories(out);
    boolean aucChart = writeAucChart(out.resolve("online-auc.png"), aucPoints);
    boolean countsChart = writeCountsChart(out.resolve("counts.png"), samples);
    boolean reliabilityChart =
        writeReliabilityChart(out.resolve("reliability.png"), result.quality().reliability());
    Path page = out.resolve("report.html");
    Files.writeString(page, html(out, result, aucChart, countsChart, reliabilityChart, runs),
        StandardCharsets.UTF_8);
    return page;
  }

  private static boolean writeAucChart(Path png, List<OnlineEvaluation.Point> points)
      throws IOException {
    if (points.isEmpty()) {
      return false;
    }
    XYChart chart = new XYChartBuilder().width(900).height(450)
        .title("online AUC of each served model, and of the online baselines on the same ratings").xAxisTitle("ratings in the stream (event-time order)")
        .yAxisTitle("AUC").build();
    Map<String, List<OnlineEvaluation.Point>> byVersion = new LinkedHashMap<>();
    points.forEach(p -> byVersion.computeIfAbsent(p.version(), v -> new ArrayList<>()).add(p));
    byVersion.forEach((v, ps) -> {
      XYSeries s = chart.addSeries(v,
          ps.stream().mapToDouble(OnlineEvaluation.Point::streamPosition).toArray(),
          ps.stream().mapToDouble(OnlineEvaluation.Point::auc).toArray());
      s.setMarker(SeriesMarkers.CIRCLE);
      if (OnlineEvaluation.POPULARITY_SERIES.equals(v) || OnlineEvaluation.POPULARITY.equals(v)
          || OnlineEvaluation.USER_RATE.equals(v) || OnlineEvaluation.MOVIE_USER.equals(v)) {
        // the baseline on the same ratings: dashed grey, behind the models
        Color c = OnlineEvaluation.MOVIE_USER.equals(v) ? Color.BLACK
            : OnlineEvaluation.USER_RATE.equals(v) ? Color.LIGHT_GRAY : Color.GRAY;
        s.setLineColor(c);
        s.setMarkerColor(c);
        s.setLineStyle(SeriesLines.DASH_DASH);
        s.setMarker(SeriesMarkers.NONE);
      }
    });
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    return true;
  }

  /** Predicted against observed rate per tenth of score, with the diagonal a calibrated model hits. */
  private static boolean writeReliabilityChart(Path png, double[][] bins) throws IOException {
    List<Double> x = new ArrayList<>();
    List<Double> y = new ArrayList<>();
    for (double[] b : bins) {
      if (b.length == 3 && b[0] >= 20) {
        x.add(b[1]);
        y.add(b[2]);
      }
    }
    if (x.size() < 2) {
      return false;
    }
    XYChart chart = new XYChartBuilder().width(500).height(500)
        .title("reliability after the first release (bins of >= 20 ratings)")
        .xAxisTitle("mean served score").yAxisTitle("observed rate of high ratings").build();
    XYSeries ideal = chart.addSeries("calibrated", new double[] {0, 1}, new double[] {0, 1});
    ideal.setMarker(SeriesMarkers.NONE);
    ideal.setLineColor(Color.GRAY);
    ideal.setLineStyle(SeriesLines.DASH_DASH);
    chart.addSeries("served", x.stream().mapToDouble(Double::doubleValue).toArray(),
        y.stream().mapToDouble(Double::doubleValue).toArray()).setMarker(SeriesMarkers.CIRCLE);
    chart.getStyler().setXAxisMin(0.0).setXAxisMax(1.0).setYAxisMin(0.0).setYAxisMax(1.0);
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    return true;
  }

  private static boolean writeCountsChart(Path png, List<Sample> samples) throws IOException {
    if (samples.size() < 2) {
      return false;
    }
    XYChart chart = new XYChartBuilder().width(900).height(450)
        .title("records over time").xAxisTitle("seconds since start").yAxisTitle("records").build();
    double[] t = samples.stream().mapToDouble(Sample::seconds).toArray();
    chart.addSeries("impressions sent", t,
        samples.stream().mapToDouble(Sample::impressionsSent).toArray()).setMarker(SeriesMarkers.NONE);
    chart.addSeries("ratings sent", t,
        samples.stream().mapToDouble(Sample::ratingsSent).toArray()).setMarker(SeriesMarkers.NONE);
    chart.addSeries("scores", t,
        samples.stream().mapToDouble(Sample::scores).toArray()).setMarker(SeriesMarkers.NONE);
    chart.addSeries("feedback", t,
        samples.stream().mapToDouble(Sample::feedback).toArray()).setMarker(SeriesMarkers.NONE);
    BitmapEncoder.saveBitmap(chart, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    return true;
  }

  private static String html(Path out, DemoResult r, boolean aucChart, boolean countsChart,
      boolean reliabilityChart, List<RunResult> runs) {
    StringBuilder h = new StringBuilder();
    h.append("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>ctr demo</title>\n")
        .append("<style>body{font-family:sans-serif;max-width:1000px;margin:2em auto}")
        .append("table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;")
        .append("text-align:left}img{max-width:100%}.bad{color:#b00}</style></head><body>\n")
        .append("<h1>ctr demo</h1>\n");
    if (r.ok()) {
      h.append("<p>Every impression was scored exactly once and every rating has its feedback"
          + " record.</p>\n");
    } else {
      h.append("<p class=\"bad\">Problems: ").append(escape(String.join("; ", r.errors())))
          .append("</p>\n");
    }
    h.append("<h2>Summary</h2>\n<table>\n");
    row(h, "ratings published", Long.toString(r.ratings()));
    row(h, "impressions published", Long.toString(r.impressions()));
    row(h, "scores (distinct impressions)", r.scores() + " (" + r.distinctScored() + ")");
    row(h, "feedback records (organic: no served score)",
        r.feedback() + " (" + r.feedbackOrganic() + ")");
    row(h, "dead letters", Long.toString(r.deadLetters()));
    row(h, "model releases", Long.toString(r.releases()));
    r.onlineAucByVersion().forEach((v, auc) -> row(h, "online AUC of " + v,
        DemoResult.format(auc) + " (" + r.feedbackByVersion().getOrDefault(v, 0L) + " served)"));
    row(h, "online AUC after the first release", DemoResult.format(r.onlineAucAfterFirstRelease()));
    row(h, "online popularity baseline AUC", DemoResult.format(r.popularityAuc()));
    r.quality().baselines().forEach((k, v) ->
        row(h, "baseline " + k + " on the same ratings", DemoResult.format(v)));
    row(h, "calibration error (ECE, 10 bins) after the first release",
        DemoResult.format(r.quality().eceAfterFirstRelease()));
    row(h, "log loss after the first release",
        DemoResult.format(r.quality().loglossAfterFirstRelease()));
    row(h, "share of ratings served by the prior", DemoResult.format(r.priorShare()));
    if (!Double.isNaN(r.oracleAuc())) {
      row(h, "oracle AUC (generator's truth)", DemoResult.format(r.oracleAuc()));
    }
    row(h, "wall time", String.format(Locale.ROOT, "%.1f s", r.seconds()));
    h.append("</table>\n");
    if (aucChart) {
      h.append("<h2>Online AUC per model version</h2>\n<img src=\"online-auc.png\" alt=\"online AUC\">\n");
    }
    if (reliabilityChart) {
      h.append("<h2>Reliability of the served scores</h2>\n"
          + "<img src=\"reliability.png\" alt=\"reliability diagram\">\n");
    }
    if (countsChart) {
      h.append("<h2>Counts over time</h2>\n<img src=\"counts.png\" alt=\"counts\">\n");
    }
    h.append("<h2>Training runs</h2>\n");
    if (runs.isEmpty()) {
      h.append("<p>No training run finished.</p>\n");
    }
    for (RunResult run : runs) {
      h.append("<h3>").append(escape(run.runId() == null ? "cycle" : run.runId())).append(": ")
          .append(escape(run.decision().wireName()))
          .append(run.version() == null ? "" : " " + escape(run.version())).append("</h3>\n<p>")
          .append(escape(run.reason())).append(String.format(Locale.ROOT,
              " &mdash; %d examples, candidate AUC %s, live AUC %s, %.1f s</p>%n", run.samples(),
              DemoResult.format(run.candidateAuc()), DemoResult.format(run.liveAuc()), run.seconds()));
      if (run.reportDir() != null) {
        String rel = relative(out, run.reportDir());
        h.append("<p><a href=\"").append(rel).append("/metrics.json\">metrics.json</a></p>\n");
        if (Files.exists(run.reportDir().resolve("curves.png"))) {
          h.append("<img src=\"").append(rel).append("/curves.png\" alt=\"training curves\">\n");
        }
        if (Files.exists(run.reportDir().resolve("online-auc.png"))) {
          h.append("<img src=\"").append(rel).append("/online-auc.png\" alt=\"online AUC seen by the trainer\">\n");
        }
      }
    }
    h.append("</body></html>\n");
    return h.toString();
  }

  private static String relative(Path from, Path to) {
    try {
      return from.toAbsolutePath().relativize(to.toAbsolutePath()).toString().replace('\\', '/');
    } catch (IllegalArgumentException e) {
      return to.toAbsolutePath().toUri().toString();
    }
  }

  private static void row(StringBuilder h, String name, String value) {
    h.append("<tr><th>").append(escape(name)).append("</th><td>").append(escape(value))
        .append("</td></tr>\n");
  }

  private static String escape(String s) {
    if (s == null) {
      return "";
    }
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
  }
}
