package io.ctrstream.cli.demo;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What one demo run did: the counts that must add up, the AUCs, the problems found.
 *
 * @param ratings ratings published (acknowledged by the broker)
 * @param impressions impressions published, one before each rating
 * @param scores score records read (read_committed)
 * @param distinctScored impressions with at least one score
 * @param feedback feedback records read
 * @param deadLetters dead-letter records read
 * @param releases model releases read
 * @param feedbackOrganic feedback records that joined no impression (no served score; left out
 *     of the online AUCs)
 * @param scoresByVersion score records per model version
 * @param feedbackByVersion feedback records per served model version
 * @param onlineAucByVersion AUC of the served scores per model version ("prior" included)
 * @param onlineAucAfterFirstRelease AUC of everything served by a released model
 * @param popularityAuc AUC of the online popularity baseline on the same stream
 * @param popularityAucAfterFirstRelease the same baseline on the ratings whose impression a
 *     released model served: the like-for-like comparison with {@code onlineAucAfterFirstRelease}
 * @param oracleAuc AUC of the generator's true probabilities (NaN when not generated data)
 * @param trainingRuns one line per training run: decision, version, reason
 * @param seconds wall time of the whole run
 * @param report the HTML report
 * @param errors broken counts or waits that timed out; empty when all is well
 */
public record DemoResult(
    long ratings,
    long impressions,
    long scores,
    long distinctScored,
    long feedback,
    long deadLetters,
    long releases,
    long feedbackOrganic,
    Map<String, Long> scoresByVersion,
    Map<String, Long> feedbackByVersion,
    Map<String, Double> onlineAucByVersion,
    double onlineAucAfterFirstRelease,
    double popularityAuc,
    double popularityAucAfterFirstRelease,
    double oracleAuc,
    Quality quality,
    List<String> trainingRuns,
    double seconds,
    Path report,
    List<String> errors) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /**
   * What a served score is worth as a probability, and what the simple online counters reach on
   * the same ratings.
   *
   * @param baselines each online baseline's AUC on the ratings that released models served
   *     ({@code popularity}, {@code user_rate}, {@code movie_user})
   * @param eceAfterFirstRelease expected calibration error (10 bins) of those served scores
   * @param loglossAfterFirstRelease their mean log loss
   * @param eceByVersion per served version (the prior included)
   * @param loglossByVersion per served version
   * @param reliability the reliability diagram after the first release: per tenth of score,
   *     {rows, mean score, observed rate}
   */
  public record Quality(Map<String, Double> baselines, double eceAfterFirstRelease,
      double loglossAfterFirstRelease, Map<String, Double> eceByVersion,
      Map<String, Double> loglossByVersion, double[][] reliability) {
    static final Quality NONE = new Quality(Map.of(), Double.NaN, Double.NaN, Map.of(), Map.of(),
        new double[0][]);
  }

  /** Share of the served ratings that the prior served (before any release), NaN when none. */
  public double priorShare() {
    long all = feedbackByVersion.values().stream().mapToLong(Long::longValue).sum();
    return all == 0 ? Double.NaN
        : (double) feedbackByVersion.getOrDefault(io.ctrstream.schemas.Score.PRIOR_VERSION, 0L) / all;
  }

  /** Whether every count added up and nothing timed out. */
  public boolean ok() {
    return errors.isEmpty();
  }

  /** The summary as one JSON object (keys in snake_case; undefined AUCs are null). */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("ratings", ratings);
    m.put("impressions", impressions);
    m.put("scores", scores);
    m.put("feedback", feedback);
    m.put("dead_letters", deadLetters);
    m.put("releases", releases);
    m.put("feedback_organic", feedbackOrganic);
    Map<String, Object> byVersion = new LinkedHashMap<>();
    onlineAucByVersion.forEach((v, auc) -> byVersion.put(v, number(auc)));
    m.put("online_auc_by_version", byVersion);
    m.put("online_auc_after_first_release", number(onlineAucAfterFirstRelease));
    m.put("popularity_auc", number(popularityAuc));
    m.put("popularity_auc_after_first_release", number(popularityAucAfterFirstRelease));
    Map<String, Object> baselines = new LinkedHashMap<>();
    quality.baselines().forEach((k, v) -> baselines.put(k, number(v)));
    m.put("baselines", baselines);
    m.put("ece_after_first_release", number(quality.eceAfterFirstRelease()));
    m.put("logloss_after_first_release", number(quality.loglossAfterFirstRelease()));
    Map<String, Object> ece = new LinkedHashMap<>();
    quality.eceByVersion().forEach((k, v) -> ece.put(k, number(v)));
    m.put("ece_by_version", ece);
    Map<String, Object> logloss = new LinkedHashMap<>();
    quality.loglossByVersion().forEach((k, v) -> logloss.put(k, number(v)));
    m.put("logloss_by_version", logloss);
    m.put("served_by_version", feedbackByVersion);
    m.put("prior_share", number(priorShare()));
    if (!Double.isNaN(oracleAuc)) {
      m.put("oracle_auc", number(oracleAuc));
    }
    m.put("scores_by_version", scoresByVersion);
    m.put("feedback_by_version", feedbackByVersion);
    m.put("seconds", number(seconds));
    m.put("report", report == null ? null : report.toString());
    m.put("ok", ok());
    m.put("errors", errors);
    return m;
  }

  /** {@link #toMap()} on one line. */
  public String toJsonLine() {
    try {
      return JSON.writeValueAsString(toMap());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the demo summary as JSON", e);
    }
  }

  /** A plain-text table for people. */
  public String table() {
    List<String[]> rows = new ArrayList<>();
    rows.add(new String[] {"ratings published", Long.toString(ratings)});
    rows.add(new String[] {"impressions published", Long.toString(impressions)});
    rows.add(new String[] {"scores (distinct impressions)", scores + " (" + distinctScored + ")"});
    rows.add(new String[] {"feedback records (organic)", feedback + " (" + feedbackOrganic + ")"});
    rows.add(new String[] {"dead letters", Long.toString(deadLetters)});
    rows.add(new String[] {"model releases", Long.toString(releases)});
    onlineAucByVersion.forEach((v, auc) -> rows.add(new String[] {
        "online AUC " + v, format(auc) + "  (" + feedbackByVersion.getOrDefault(v, 0L) + " served)"}));
    rows.add(new String[] {"online AUC after 1st release", format(onlineAucAfterFirstRelease)});
    rows.add(new String[] {"popularity baseline AUC", format(popularityAuc)});
    rows.add(new String[] {"  on the same ratings", format(popularityAucAfterFirstRelease)});
    quality.baselines().forEach((k, v) -> rows.add(new String[] {
        "baseline " + k + ", same ratings", format(v)}));
    rows.add(new String[] {"calibration error (ECE) after 1st release",
        format(quality.eceAfterFirstRelease())});
    rows.add(new String[] {"log loss after 1st release", format(quality.loglossAfterFirstRelease())});
    rows.add(new String[] {"share served by the prior", format(priorShare())});
    if (!Double.isNaN(oracleAuc)) {
      rows.add(new String[] {"oracle AUC (truth.tsv)", format(oracleAuc)});
    }
    for (String t : trainingRuns) {
      rows.add(new String[] {"training run", t});
    }
    rows.add(new String[] {"wall time", String.format(Locale.ROOT, "%.1f s", seconds)});
    rows.add(new String[] {"result", ok() ? "OK: every count adds up" : "FAILED: " + errors});
    int width = rows.stream().mapToInt(r -> r[0].length()).max().orElse(10);
    StringBuilder sb = new StringBuilder();
    for (String[] r : rows) {
      sb.append(String.format(Locale.ROOT, "  %-" + width + "s  %s%n", r[0], r[1]));
    }
    return sb.toString();
  }

  static String format(double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, "%.4f", v) : "n/a";
  }

  private static Object number(double v) {
    return Double.isFinite(v) ? Math.round(v * 1e6) / 1e6 : null;
  }
}
