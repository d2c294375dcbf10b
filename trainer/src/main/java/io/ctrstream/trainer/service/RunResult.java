package io.ctrstream.trainer.service;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What one retraining run did and why: the one summary line a run prints.
 *
 * @param runId the run's id, also its report folder's name (null for a skipped cycle)
 * @param decision what happened
 * @param reason why, in words
 * @param version the candidate's version (null when none was trained)
 * @param liveVersion the live version it was compared with (null when none)
 * @param samples usable examples in the window
 * @param trainRows examples trained on
 * @param validationRows examples validated on
 * @param positiveRate share of positives in the window (NaN when empty)
 * @param candidateAuc the candidate's validation AUC (NaN when none)
 * @param liveAuc the live model's AUC on the same rows (NaN when none)
 * @param candidateLogLoss the candidate's validation log loss (NaN when none)
 * @param liveLogLoss the live model's log loss on the same rows (NaN when none)
 * @param seconds wall time of the run
 * @param reportDir where its report is (null when none was written)
 */
public record RunResult(
    String runId,
    Decision decision,
    String reason,
    String version,
    String liveVersion,
    long samples,
    long trainRows,
    long validationRows,
    double positiveRate,
    double candidateAuc,
    double liveAuc,
    double candidateLogLoss,
    double liveLogLoss,
    double seconds,
    Path reportDir) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** The outcome of a run. */
  public enum Decision {
    /** The candidate was published on model-releases. */
    RELEASED,
    /** The candidate was trained but is worse than the live model beyond the tolerance. */
    GATED,
    /** The candidate passed the gate but the live release is pinned ({@code ./ctr release pin}). */
    PINNED,
    /** Nothing to train on: too few examples, one class only, or a bundle too large to send. */
    REFUSED,
    /** A periodic cycle that did not run: too few new feedback records since the last run. */
    SKIPPED,
    /** An error (Kafka, training); nothing was released. */
    FAILED;

    /** Lower-case name, as in the summary line. */
    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Whether a new model was published. */
  public boolean released() {
    return decision == Decision.RELEASED;
  }

  /** The summary fields, NaN as null. */
  public Map<String, Object> toMap() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("run_id", runId);
    m.put("decision", decision.wireName());
    m.put("reason", reason);
    m.put("version", version);
    m.put("live_version", liveVersion);
    m.put("samples", samples);
    m.put("train_rows", trainRows);
    m.put("validation_rows", validationRows);
    m.put("positive_rate", number(positiveRate));
    m.put("candidate_auc", number(candidateAuc));
    m.put("live_auc", number(liveAuc));
    m.put("candidate_logloss", number(candidateLogLoss));
    m.put("live_logloss", number(liveLogLoss));
    m.put("seconds", Math.round(seconds * 1000) / 1000.0);
    m.put("report", reportDir == null ? null : reportDir.toString());
    return m;
  }

  /** One line of JSON (the summary {@code ./ctr train} prints on stdout). */
  public String toJson() {
    try {
      return JSON.writeValueAsString(toMap());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a map of strings and numbers always serialises", e);
    }
  }

  static Double number(double x) {
    return Double.isFinite(x) ? Math.round(x * 1e6) / 1e6 : null;
  }
}
