package io.ctrstream.cli.demo;

import io.ctrstream.cli.demo.StreamWatcher.Served;
import io.ctrstream.dien.train.Metrics;
import io.ctrstream.schemas.Score;
import io.ctrstream.trainer.movielens.Rating;
import io.ctrstream.trainer.replay.Replayer;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Predicate;

/**
 * The AUCs of the demo, all on the same rating stream (label: rating >= 4, as the scorer labels
 * feedback).
 *
 * <ul>
 *   <li>per served model version: the feedback records' {@code servedScore} against their label,
 *       grouped by {@code modelVersion} ("prior" included: the constant prior scores 0.5);
 *   <li>after the first release: every feedback record served by a non-prior model;
 *   <li>online popularity: each rating scored, before its label is known, by its movie's smoothed
 *       positive rate over the ratings before it: {@code (pos + k * p) / (n + k)}, p the global
 *       positive rate so far (0.5 before any) and k pseudo-counts;
 *   <li>oracle (generated data only): the generator's true probability of a high rating.
 * </ul>
 */
final class OnlineEvaluation {
  /** The series name of the popularity baseline in {@link #overTime(List, int, Map)}. */
  static final String POPULARITY_SERIES = "popularity (same ratings)";

  /** The baselines of {@link #baselineScores}, in the demo's JSON names. */
  static final String POPULARITY = "popularity";
  static final String USER_RATE = "user_rate";
  static final String MOVIE_USER = "movie_user";

  /** Pseudo-counts of the popularity baseline. */
  static final double POPULARITY_PSEUDO_COUNT = 10;

  private OnlineEvaluation() {}

  /**
   * AUC of the served scores per model version, in first-served order; NaN for one class.
   * Organic feedback (nothing was served) is left out.
   */
  static Map<String, Double> aucByVersion(List<Served> feedback) {
    Map<String, List<Served>> groups = new LinkedHashMap<>();
    for (Served s : served(feedback)) {
      groups.computeIfAbsent(s.modelVersion(), v -> new ArrayList<>()).add(s);
    }
    Map<String, Double> out = new LinkedHashMap<>();
    groups.forEach((v, rows) -> out.put(v, auc(rows)));
    return out;
  }

  /** Served feedback records per model version, in first-served order. */
  static Map<String, Long> countByVersion(List<Served> feedback) {
    Map<String, Long> out = new LinkedHashMap<>();
    for (Served s : served(feedback)) {
      out.merge(s.modelVersion(), 1L, Long::sum);
    }
    return out;
  }

  /** AUC over every record served by a released model (not the prior); NaN when none. */
  static double aucAfterFirstRelease(List<Served> feedback) {
    return auc(served(feedback).stream()
        .filter(s -> !Score.PRIOR_VERSION.equals(s.modelVersion())).toList());
  }

  /** AUC of the served scores of {@code rows}; NaN when empty or one class only. */
  static double auc(List<Served> rows) {
    int[] labels = new int[rows.size()];
    float[] scores = new float[rows.size()];
    for (int i = 0; i < rows.size(); i++) {
      labels[i] = rows.get(i).label();
      scores[i] = (float) rows.get(i).servedScore();
    }
    return safeAuc(labels, scores);
  }

  /** The label the scorer gives a rating. */
  static int label(Rating r) {
    return r.rating() >= 4 ? 1 : 0;
  }

  /** AUC of the online popularity baseline over {@code events}, in stream order. */
  static double popularityAuc(List<Rating> events, double pseudoCount) {
    return popularityAuc(events, pseudoCount, r -> true);
  }

  /**
   * The online popularity baseline over the whole stream (its counts see every rating before),
   * its AUC taken only on the ratings whose impression a released model (not the prior) served:
   * the same ratings as {@link #aucAfterFirstRelease}, matched by {@link Replayer#impressionId}.
   */
  static double popularityAucAfterFirstRelease(List<Rating> events, List<Served> feedback,
      double pseudoCount) {
    Set<String> released = new HashSet<>();
    for (Served s : served(feedback)) {
      if (!Score.PRIOR_VERSION.equals(s.modelVersion())) {
        released.add(s.impressionId());
      }
    }
    return popularityAuc(events, pseudoCount, r -> released.contains(Replayer.impressionId(r)));
  }

  private static double popularityAuc(List<Rating> events, double pseudoCount,
      Predicate<Rating> counted) {
    float[] all = popularityScores(events, pseudoCount);
    int[] labels = new int[events.size()];
    float[] scores = new float[events.size()];
    int n = 0;
    for (int i = 0; i < events.size(); i++) {
      if (counted.test(events.get(i))) {
        scores[n] = all[i];
        labels[n++] = label(events.get(i));
      }
    }
    return safeAuc(Arrays.copyOf(labels, n), Arrays.copyOf(scores, n));
  }

  /**
   * The online popularity score of each rating of {@code events} (stream order), from the
   * ratings before it only: {@code (pos + k * p) / (n + k)}.
   */
  static float[] popularityScores(List<Rating> events, double pseudoCount) {
    float[] scores = new float[events.size()];
    Map<Integer, long[]> perMovie = new HashMap<>(); // movieId -> {positives, ratings}
    long positives = 0;
    for (int i = 0; i < events.size(); i++) {
      Rating r = events.get(i);
      double prior = i == 0 ? 0.5 : (double) positives / i;
      long[] m = perMovie.computeIfAbsent(r.movieId(), k -> new long[2]);
      scores[i] = (float) ((m[0] + pseudoCount * prior) / (m[1] + pseudoCount));
      int label = label(r);
      m[0] += label;
      m[1]++;
      positives += label;
    }
    return scores;
  }

  /**
   * The online baselines a team would deploy instead of a model, each rating scored from the
   * ratings before it only (prequential), p the positive rate so far (0.5 before any), k
   * pseudo-counts: {@link #POPULARITY} the movie's smoothed rate {@code (pos + k p) / (n + k)};
   * {@link #USER_RATE} the user's, likewise; {@link #MOVIE_USER} the two summed as logits, {@code
   * logit(movie) + logit(user) - logit(p)}. Stream order; names in insertion order.
   */
  static Map<String, float[]> baselineScores(List<Rating> events, double pseudoCount) {
    float[] movie = new float[events.size()];
    float[] user = new float[events.size()];
    float[] both = new float[events.size()];
    Map<Integer, long[]> perMovie = new HashMap<>();
    Map<Integer, long[]> perUser = new HashMap<>();
    long positives = 0;
    for (int i = 0; i < events.size(); i++) {
      Rating r = events.get(i);
      double prior = i == 0 ? 0.5 : (double) positives / i;
      long[] m = perMovie.computeIfAbsent(r.movieId(), k -> new long[2]);
      long[] u = perUser.computeIfAbsent(r.userId(), k -> new long[2]);
      double pm = (m[0] + pseudoCount * prior) / (m[1] + pseudoCount);
      double pu = (u[0] + pseudoCount * prior) / (u[1] + pseudoCount);
      movie[i] = (float) pm;
      user[i] = (float) pu;
      double z = logit(pm) + logit(pu) - logit(prior);
      both[i] = (float) (1 / (1 + Math.exp(-z)));
      int label = label(r);
      m[0] += label;
      m[1]++;
      u[0] += label;
      u[1]++;
      positives += label;
    }
    Map<String, float[]> out = new LinkedHashMap<>();
    out.put(POPULARITY, movie);
    out.put(USER_RATE, user);
    out.put(MOVIE_USER, both);
    return out;
  }

  private static double logit(double p) {
    double q = Math.min(1 - 1e-6, Math.max(1e-6, p));
    return Math.log(q / (1 - q));
  }

  /**
   * Each baseline's AUC on exactly the ratings whose impression a released model (not the prior)
   * served, as {@link #aucAfterFirstRelease}; the counts see every rating before.
   */
  static Map<String, Double> baselinesAfterFirstRelease(List<Rating> events,
      List<Served> feedback, double pseudoCount) {
    Set<String> released = new HashSet<>();
    for (Served s : served(feedback)) {
      if (!Score.PRIOR_VERSION.equals(s.modelVersion())) {
        released.add(s.impressionId());
      }
    }
    Map<String, Double> out = new LinkedHashMap<>();
    baselineScores(events, pseudoCount).forEach((name, all) -> {
      int[] labels = new int[events.size()];
      float[] scores = new float[events.size()];
      int n = 0;
      for (int i = 0; i < events.size(); i++) {
        if (released.contains(Replayer.impressionId(events.get(i)))) {
          scores[n] = all[i];
          labels[n++] = label(events.get(i));
        }
      }
      out.put(name, safeAuc(Arrays.copyOf(labels, n), Arrays.copyOf(scores, n)));
    });
    return out;
  }

  /** Each baseline's score by impression id, for the chart. */
  static Map<String, Map<String, Float>> baselinesByImpression(List<Rating> events,
      double pseudoCount) {
    Map<String, Map<String, Float>> out = new LinkedHashMap<>();
    baselineScores(events, pseudoCount).forEach((name, scores) -> {
      Map<String, Float> byId = new HashMap<>();
      for (int i = 0; i < events.size(); i++) {
        byId.put(Replayer.impressionId(events.get(i)), scores[i]);
      }
      out.put(name, byId);
    });
    return out;
  }

  /** Expected calibration error (10 bins) of the served scores after the first release. */
  static double eceAfterFirstRelease(List<Served> feedback) {
    return quality(afterFirstRelease(feedback), true);
  }

  /** Mean log loss of the served scores after the first release. */
  static double loglossAfterFirstRelease(List<Served> feedback) {
    return quality(afterFirstRelease(feedback), false);
  }

  /** Per served version, expected calibration error (10 bins), in first-served order. */
  static Map<String, Double> eceByVersion(List<Served> feedback) {
    return byVersion(feedback, true);
  }

  /** Per served version, mean log loss, in first-served order. */
  static Map<String, Double> loglossByVersion(List<Served> feedback) {
    return byVersion(feedback, false);
  }

  /** The reliability diagram's bins of the scores served after the first release. */
  static double[][] reliabilityAfterFirstRelease(List<Served> feedback) {
    List<Served> rows = afterFirstRelease(feedback);
    int[] labels = rows.stream().mapToInt(Served::label).toArray();
    float[] scores = new float[rows.size()];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = (float) rows.get(i).servedScore();
    }
    return Metrics.reliability(labels, scores, 10);
  }

  private static List<Served> afterFirstRelease(List<Served> feedback) {
    return served(feedback).stream()
        .filter(s -> !Score.PRIOR_VERSION.equals(s.modelVersion())).toList();
  }

  private static Map<String, Double> byVersion(List<Served> feedback, boolean ece) {
    Map<String, List<Served>> groups = new LinkedHashMap<>();
    for (Served s : served(feedback)) {
      groups.computeIfAbsent(s.modelVersion(), v -> new ArrayList<>()).add(s);
    }
    Map<String, Double> out = new LinkedHashMap<>();
    groups.forEach((v, rows) -> out.put(v, quality(rows, ece)));
    return out;
  }

  private static double quality(List<Served> rows, boolean ece) {
    if (rows.isEmpty()) {
      return Double.NaN;
    }
    int[] labels = rows.stream().mapToInt(Served::label).toArray();
    float[] scores = new float[rows.size()];
    for (int i = 0; i < scores.length; i++) {
      scores[i] = (float) rows.get(i).servedScore();
    }
    return ece ? Metrics.expectedCalibrationError(labels, scores, 10)
        : Metrics.logLoss(labels, scores);
  }

  /** Online popularity scores by the impression id of each rating (see {@link Replayer#impressionId}). */
  static Map<String, Float> popularityByImpression(List<Rating> events, double pseudoCount) {
    float[] scores = popularityScores(events, pseudoCount);
    Map<String, Float> out = new HashMap<>();
    for (int i = 0; i < events.size(); i++) {
      out.put(Replayer.impressionId(events.get(i)), scores[i]);
    }
    return out;
  }

  /**
   * AUC of the generator's true probability over {@code events}, when {@code data} holds a {@code
   * truth.tsv} (user, movie, timestamp, p_high); empty otherwise or when a rating has no truth.
   */
  static Optional<Double> oracleAuc(Path data, List<Rating> events) throws IOException {
    Path truth = data.resolve("truth.tsv");
    if (!Files.isRegularFile(truth)) {
      return Optional.empty();
    }
    Map<String, Float> pHigh = new HashMap<>();
    try (BufferedReader in = Files.newBufferedReader(truth, StandardCharsets.UTF_8)) {
      String line = in.readLine(); // header
      while ((line = in.readLine()) != null) {
        String[] f = line.split("\t");
        if (f.length >= 4) {
          pHigh.put(f[0] + "|" + f[1] + "|" + f[2], Float.parseFloat(f[3]));
        }
      }
    }
    int[] labels = new int[events.size()];
    float[] scores = new float[events.size()];
    for (int i = 0; i < events.size(); i++) {
      Rating r = events.get(i);
      Float p = pHigh.get(r.userId() + "|" + r.movieId() + "|" + r.timestamp());
      if (p == null) {
        return Optional.empty();
      }
      labels[i] = label(r);
      scores[i] = p;
    }
    return Optional.of(safeAuc(labels, scores));
  }

  /** One point of the online-AUC chart: a model's AUC over one slice of the stream. */
  record Point(String version, long streamPosition, long count, double auc) {}

  /**
   * The online AUC over time: the feedback in event-time order cut into {@code buckets} slices;
   * per slice and version the AUC of what that version served (slices with fewer than 20 records
   * of a version or one class are left out). The x value is the stream position (ratings) at the
   * slice's end.
   */
  static List<Point> overTime(List<Served> feedback, int buckets) {
    return overTime(feedback, buckets, Map.of());
  }

  /**
   * As {@link #overTime(List, int)}, plus, per slice, the online popularity baseline on the same
   * ratings (series {@link #POPULARITY_SERIES}) from {@code popularity} (impression id to score;
   * ratings without one are left out of that point).
   */
  static List<Point> overTime(List<Served> feedback, int buckets, Map<String, Float> popularity) {
    return overTimeWith(feedback, buckets, Map.of(POPULARITY_SERIES, popularity));
  }

  /**
   * As {@link #overTime(List, int)}, plus, per slice, each named baseline on the same ratings
   * (impression id to score; ratings without one are left out of that point).
   */
  static List<Point> overTimeWith(List<Served> feedback, int buckets,
      Map<String, Map<String, Float>> baselines) {
    List<Served> sorted = served(feedback);
    List<Point> out = new ArrayList<>();
    int n = sorted.size();
    if (n == 0) {
      return out;
    }
    int size = Math.max(1, (n + buckets - 1) / buckets);
    for (int from = 0; from < n; from += size) {
      int to = Math.min(n, from + size);
      Map<String, List<Served>> groups = new TreeMap<>();
      for (Served s : sorted.subList(from, to)) {
        groups.computeIfAbsent(s.modelVersion(), v -> new ArrayList<>()).add(s);
      }
      for (var e : groups.entrySet()) {
        double auc = auc(e.getValue());
        if (e.getValue().size() >= 20 && Double.isFinite(auc)) {
          out.add(new Point(e.getKey(), to, e.getValue().size(), auc));
        }
      }
      for (var b : baselines.entrySet()) {
        Map<String, Float> scores = b.getValue();
        List<Served> withBaseline = sorted.subList(from, to).stream()
            .filter(s -> scores.containsKey(s.impressionId()))
            .map(s -> new Served(s.impressionId(), s.userId(), s.movieId(), s.timestamp(),
                s.label(), scores.get(s.impressionId()), b.getKey()))
            .toList();
        double auc = auc(withBaseline);
        if (withBaseline.size() >= 20 && Double.isFinite(auc)) {
          out.add(new Point(b.getKey(), to, withBaseline.size(), auc));
        }
      }
    }
    return out;
  }

  /** The feedback that carries a served score, in event-time order. */
  private static List<Served> served(List<Served> feedback) {
    List<Served> sorted = new ArrayList<>(feedback.stream()
        .filter(s -> s.modelVersion() != null && !Double.isNaN(s.servedScore())).toList());
    sorted.sort(Comparator.comparingLong(Served::timestamp)
        .thenComparing(Served::userId, Comparator.nullsFirst(Comparator.naturalOrder()))
        .thenComparing(Served::movieId, Comparator.nullsFirst(Comparator.naturalOrder())));
    return sorted;
  }

  private static double safeAuc(int[] labels, float[] scores) {
    if (labels.length == 0) {
      return Double.NaN;
    }
    return Metrics.auc(labels, scores);
  }
}
