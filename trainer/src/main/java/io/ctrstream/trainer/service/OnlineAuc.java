package io.ctrstream.trainer.service;

import io.ctrstream.dien.train.Metrics;
import io.ctrstream.schemas.Feedback;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;

/**
 * How the served models did on the traffic they scored: AUC of the served score against the label,
 * per model version, overall and per event-time bucket, from the impression-joined feedback
 * examples (organic ones have no served score). AUC is undefined (NaN) for a group with one class
 * only; such points are left out of the chart.
 *
 * @param byVersion overall online AUC per model version
 * @param countByVersion scored examples per model version
 * @param points AUC per version and bucket, in time order
 * @param bucketMillis width of a time bucket
 */
public record OnlineAuc(
    Map<String, Double> byVersion,
    Map<String, Long> countByVersion,
    List<Point> points,
    long bucketMillis) {

  public OnlineAuc {
    byVersion = Map.copyOf(byVersion);
    countByVersion = Map.copyOf(countByVersion);
    points = List.copyOf(points);
  }

  /**
   * One bucket of one version.
   *
   * @param bucketStart epoch ms of the bucket's start
   * @param count scored examples in it
   * @param auc their online AUC, NaN when one class only
   */
  public record Point(String version, long bucketStart, long count, double auc) {}

  /** Computes the online AUC of {@code feedback} over {@code buckets} equal time buckets. */
  public static OnlineAuc compute(List<Feedback> feedback, int buckets) {
    if (buckets < 1) {
      throw new IllegalArgumentException("buckets must be >= 1, got " + buckets);
    }
    List<Feedback> served =
        feedback.stream().filter(f -> f.servedScore() != null && f.modelVersion() != null).toList();
    if (served.isEmpty()) {
      return new OnlineAuc(Map.of(), Map.of(), List.of(), 0);
    }
    long min = served.stream().mapToLong(Feedback::timestamp).min().orElseThrow();
    long max = served.stream().mapToLong(Feedback::timestamp).max().orElseThrow();
    long width = Math.max(1, (max - min) / buckets + 1);
    Map<String, List<Feedback>> perVersion = new TreeMap<>();
    Map<String, TreeMap<Long, List<Feedback>>> perBucket = new TreeMap<>();
    for (Feedback f : served) {
      perVersion.computeIfAbsent(f.modelVersion(), v -> new ArrayList<>()).add(f);
      long bucket = min + (f.timestamp() - min) / width * width;
      perBucket
          .computeIfAbsent(f.modelVersion(), v -> new TreeMap<>())
          .computeIfAbsent(bucket, b -> new ArrayList<>())
          .add(f);
    }
    Map<String, Double> byVersion = new TreeMap<>();
    Map<String, Long> counts = new TreeMap<>();
    perVersion.forEach(
        (v, list) -> {
          byVersion.put(v, auc(list));
          counts.put(v, (long) list.size());
        });
    List<Point> points = new ArrayList<>();
    perBucket.forEach(
        (v, byTime) ->
            byTime.forEach(
                (start, list) -> points.add(new Point(v, start, list.size(), auc(list)))));
    points.sort(java.util.Comparator.comparingLong(Point::bucketStart));
    return new OnlineAuc(byVersion, counts, points, width);
  }

  private static double auc(List<Feedback> list) {
    int[] labels = new int[list.size()];
    float[] scores = new float[list.size()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = list.get(i).label();
      scores[i] = list.get(i).servedScore().floatValue();
    }
    return Metrics.auc(labels, scores);
  }

  /**
   * Writes the chart: online AUC over event time, one line per version.
   *
   * @return false (and writes nothing) when no bucket has a defined AUC
   */
  public boolean writePng(Path file, String title) throws IOException {
    Map<String, List<Point>> series = new TreeMap<>();
    for (Point p : points) {
      if (Double.isFinite(p.auc())) {
        series.computeIfAbsent(p.version(), v -> new ArrayList<>()).add(p);
      }
    }
    if (series.isEmpty()) {
      return false;
    }
    XYChart chart =
        new XYChartBuilder()
            .width(960)
            .height(480)
            .title(title)
            .xAxisTitle("event time (bucket start, UTC)")
            .yAxisTitle("online AUC")
            .build();
    chart.getStyler().setDatePattern("MM-dd HH:mm");
    chart.getStyler().setTimezone(java.util.TimeZone.getTimeZone("UTC"));
    chart.getStyler().setYAxisMin(0.0);
    chart.getStyler().setYAxisMax(1.0);
    series.forEach(
        (version, ps) -> {
          List<Date> x = ps.stream().map(p -> new Date(p.bucketStart())).toList();
          List<Double> y = ps.stream().map(Point::auc).toList();
          Long n = countByVersion.get(version);
          chart.addSeries(version + " (n=" + n + ")", x, y);
        });
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    String name = file.toString();
    String base = name.endsWith(".png") ? name.substring(0, name.length() - 4) : name;
    BitmapEncoder.saveBitmap(chart, base, BitmapEncoder.BitmapFormat.PNG);
    return true;
  }
}
