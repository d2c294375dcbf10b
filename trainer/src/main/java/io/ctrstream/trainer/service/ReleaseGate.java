package io.ctrstream.trainer.service;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Decides whether a candidate replaces the live model, from their AUCs on the same validation
 * slice: released when nothing is live (or the live model cannot be scored), or when the
 * candidate's AUC is at least the live AUC minus the tolerance; gated otherwise. A candidate
 * without a finite AUC is never released.
 */
public final class ReleaseGate {

  private static final Pattern VERSION = Pattern.compile("v(\\d+)-.*");

  private final double tolerance;

  /**
   * @param tolerance AUC the candidate may lose and still be released, in [0, 1]
   */
  public ReleaseGate(double tolerance) {
    if (!(tolerance >= 0 && tolerance <= 1)) {
      throw new IllegalArgumentException("tolerance must be in [0, 1], got " + tolerance);
    }
    this.tolerance = tolerance;
  }

  /**
   * The gate's verdict.
   *
   * @param release whether to publish the candidate
   * @param reason why, in words (numbers included)
   */
  public record Decision(boolean release, String reason) {}

  /**
   * @param candidateAuc the candidate's validation AUC
   * @param liveAuc the live model's AUC on the same rows; NaN when nothing is live or it could not
   *     be scored
   * @param liveVersion the live version, or null when nothing is live
   */
  public Decision decide(double candidateAuc, double liveAuc, String liveVersion) {
    return decide(candidateAuc, liveAuc, Double.NaN, Double.NaN, Double.POSITIVE_INFINITY,
        liveVersion);
  }

  /**
   * As {@link #decide(double, double, String)}, and a candidate that passes on AUC is still gated
   * when its log loss is higher than the live model's by more than {@code logLossTolerance}
   * (a CTR score is used as a probability; skipped when either log loss is not finite).
   */
  public Decision decide(double candidateAuc, double liveAuc, double candidateLogLoss,
      double liveLogLoss, double logLossTolerance, String liveVersion) {
    Decision onAuc = decideOnAuc(candidateAuc, liveAuc, liveVersion);
    if (!onAuc.release() || liveVersion == null
        || !Double.isFinite(candidateLogLoss) || !Double.isFinite(liveLogLoss)) {
      return onAuc;
    }
    double worse = candidateLogLoss - liveLogLoss;
    if (worse > logLossTolerance + 1e-12) {
      return new Decision(false, String.format(Locale.ROOT,
          "candidate log loss %.4f is worse than live %s %.4f by %.4f, more than the tolerance"
              + " %.4f (AUC %.4f vs %.4f)",
          candidateLogLoss, liveVersion, liveLogLoss, worse, logLossTolerance, candidateAuc,
          liveAuc));
    }
    return new Decision(true, onAuc.reason() + String.format(Locale.ROOT,
        "; log loss %.4f vs %.4f", candidateLogLoss, liveLogLoss));
  }

  private Decision decideOnAuc(double candidateAuc, double liveAuc, String liveVersion) {
    if (!Double.isFinite(candidateAuc)) {
      return new Decision(false, "candidate has no finite validation AUC (" + candidateAuc + ")");
    }
    if (liveVersion == null) {
      return new Decision(
          true, String.format(Locale.ROOT, "no live model; candidate AUC %.4f", candidateAuc));
    }
    if (!Double.isFinite(liveAuc)) {
      return new Decision(
          true,
          String.format(
              Locale.ROOT,
              "live model %s could not be evaluated; candidate AUC %.4f",
              liveVersion,
              candidateAuc));
    }
    double delta = candidateAuc - liveAuc;
    // a difference equal to the tolerance passes, whatever the last bit of the subtraction says
    if (delta >= -tolerance - 1e-12) {
      return new Decision(
          true,
          String.format(
              Locale.ROOT,
              "candidate AUC %.4f vs live %s %.4f (%+.4f, tolerance %.4f)",
              candidateAuc,
              liveVersion,
              liveAuc,
              delta,
              tolerance));
    }
    return new Decision(
        false,
        String.format(
            Locale.ROOT,
            "candidate AUC %.4f is worse than live %s %.4f by %.4f, more than the tolerance %.4f",
            candidateAuc,
            liveVersion,
            liveAuc,
            -delta,
            tolerance));
  }

  /**
   * The version after {@code live}: {@code v<n+1>-<UTC time>} when the live version is {@code
   * v<n>-...}, else {@code v1-<UTC time>}; monotonic in n whatever the clocks say.
   *
   * @param epochMillis the release time
   */
  public static String nextVersion(String live, long epochMillis) {
    long n = 1;
    if (live != null) {
      Matcher m = VERSION.matcher(live);
      if (m.matches()) {
        try {
          n = Long.parseLong(m.group(1)) + 1;
        } catch (NumberFormatException e) {
          n = 1;
        }
      }
    }
    String time =
        java.time.format.DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'", Locale.ROOT)
            .withZone(java.time.ZoneOffset.UTC)
            .format(java.time.Instant.ofEpochMilli(epochMillis));
    return "v" + n + "-" + time;
  }
}
