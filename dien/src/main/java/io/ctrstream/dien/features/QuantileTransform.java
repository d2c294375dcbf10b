package io.ctrstream.dien.features;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.Arrays;

/**
 * A numeric column's preprocessing as the reference does it with scikit-learn: {@code
 * SimpleImputer(strategy="mean")} then {@code QuantileTransformer(n_quantiles=1000,
 * output_distribution="uniform")}, both fitted on the training rows.
 *
 * <p>What is replicated, step by step (scikit-learn 1.x, NumPy 2.x, all in double precision):
 *
 * <ol>
 *   <li>Impute: a missing value ({@code null} or NaN) becomes the mean of the non-missing
 *       training values.
 *   <li>Fit: {@code n = max(1, min(nQuantiles, nSamples))}; references {@code r_i = i / (n - 1)}
 *       as {@code np.linspace(0, 1, n)} computes them ({@code i * (1 / (n - 1))}, last exactly
 *       1); quantiles {@code q_i = np.percentile(x, 100 r_i)} with the default "linear" method
 *       (virtual index {@code (N - 1) * p}, NumPy's two-sided lerp); then {@code
 *       np.maximum.accumulate} so they never decrease. scikit-learn subsamples columns longer
 *       than its {@code subsample} (10,000 or 100,000 by version) at random; this does not,
 *       so results match it exactly up to that many rows and approximately beyond.
 *   <li>Transform: {@code 0.5 * (interp(x, q, r) - interp(-x, -q[::-1], -r[::-1]))} with
 *       NumPy's {@code np.interp} (clamped at both ends; for a run of tied quantiles the forward
 *       pass lands on the last tie and the backward pass on the first, so the average is the
 *       middle of the run); then {@code x == q[last]} gives exactly 1 and {@code x == q[0]}
 *       exactly 0 (the latter wins), as scikit-learn's uniform-output bounds do.
 * </ol>
 *
 * <p>Immutable; {@link #transform(Double)} allocates nothing.
 */
public final class QuantileTransform {

  /** The reference's number of quantiles. */
  public static final int DEFAULT_QUANTILES = 1000;

  private final double mean;
  private final double[] quantiles;
  private final double[] references;
  // The backward pass of interp runs on the negated, reversed arrays; kept to avoid per-call work.
  private final double[] negQuantilesReversed;
  private final double[] negReferencesReversed;

  private QuantileTransform(double mean, double[] quantiles) {
    if (!Double.isFinite(mean)) {
      throw new IllegalArgumentException("mean must be finite, got " + mean);
    }
    if (quantiles.length == 0) {
      throw new IllegalArgumentException("quantiles must not be empty");
    }
    for (int i = 0; i < quantiles.length; i++) {
      if (!Double.isFinite(quantiles[i]) || (i > 0 && quantiles[i] < quantiles[i - 1])) {
        throw new IllegalArgumentException(
            "quantiles must be finite and non-decreasing; bad value at index " + i);
      }
    }
    this.mean = mean;
    this.quantiles = quantiles.clone();
    this.references = linspace01(quantiles.length);
    int n = quantiles.length;
    this.negQuantilesReversed = new double[n];
    this.negReferencesReversed = new double[n];
    for (int k = 0; k < n; k++) {
      negQuantilesReversed[k] = -this.quantiles[n - 1 - k];
      negReferencesReversed[k] = -references[n - 1 - k];
    }
  }

  /** Restores a fitted transform (deserialisation). */
  @JsonCreator
  public static QuantileTransform of(
      @JsonProperty("mean") double mean, @JsonProperty("quantiles") double[] quantiles) {
    if (quantiles == null) {
      throw new IllegalArgumentException("quantiles must not be null");
    }
    return new QuantileTransform(mean, quantiles);
  }

  /**
   * Fits on a training column; {@code null} or NaN entries are missing values.
   *
   * <p>A column with no value at all fits a constant transform (every input maps to 0).
   *
   * @throws IllegalArgumentException when {@code nQuantiles < 1}
   */
  public static QuantileTransform fit(Double[] column, int nQuantiles) {
    if (nQuantiles < 1) {
      throw new IllegalArgumentException("nQuantiles must be >= 1, got " + nQuantiles);
    }
    int present = 0;
    double sum = 0;
    for (Double v : column) {
      if (v != null && !v.isNaN()) {
        if (v.isInfinite()) {
          throw new IllegalArgumentException("column contains an infinite value");
        }
        present++;
        sum += v;
      }
    }
    if (present == 0) {
      // MovieLens' CSV releases carry no demographics: the feature becomes a constant 0, which
      // the network can ignore, instead of making the data set unusable.
      return new QuantileTransform(0.0, new double[] {0.0});
    }
    double mean = sum / present;
    // scikit-learn fits the quantiles on the imputed column, so missing values count as the mean.
    double[] sorted = new double[column.length];
    for (int i = 0; i < column.length; i++) {
      Double v = column[i];
      sorted[i] = v == null || v.isNaN() ? mean : v;
    }
    Arrays.sort(sorted);
    int n = Math.max(1, Math.min(nQuantiles, sorted.length));
    double[] refs = linspace01(n);
    double[] q = new double[n];
    for (int i = 0; i < n; i++) {
      // np.percentile takes percent and divides by 100 itself; keep that round trip.
      q[i] = linearPercentile(sorted, (refs[i] * 100.0) / 100.0);
      if (i > 0 && q[i] < q[i - 1]) {
        q[i] = q[i - 1]; // np.maximum.accumulate
      }
    }
    return new QuantileTransform(mean, q);
  }

  /** Imputes then maps to [0, 1]; {@code null} or NaN is the training mean. */
  public double transform(Double value) {
    double x = value == null || value.isNaN() ? mean : value;
    return transform(x);
  }

  /** Maps a present value to [0, 1] (NaN is imputed). */
  public double transform(double value) {
    double x = Double.isNaN(value) ? mean : value;
    int n = quantiles.length;
    if (x == quantiles[0]) {
      return 0.0;
    }
    if (x == quantiles[n - 1]) {
      return 1.0;
    }
    return 0.5
        * (interp(x, quantiles, references) - interp(-x, negQuantilesReversed, negReferencesReversed));
  }

  /** The imputation value: the training mean. */
  @JsonProperty("mean")
  public double mean() {
    return mean;
  }

  /** The fitted quantiles, one per reference. */
  @JsonProperty("quantiles")
  public double[] quantiles() {
    return quantiles.clone();
  }

  /** The references {@code linspace(0, 1, n)} the quantiles stand at. */
  @JsonIgnore
  public double[] references() {
    return references.clone();
  }

  /** {@code np.linspace(0, 1, n, endpoint=True)}, bit for bit. */
  static double[] linspace01(int n) {
    double[] y = new double[n];
    if (n == 1) {
      return y; // [0.0]
    }
    double step = 1.0 / (n - 1);
    for (int i = 0; i < n; i++) {
      y[i] = i * step + 0.0;
    }
    y[n - 1] = 1.0;
    return y;
  }

  /** {@code np.percentile(sorted, 100 p)} with method "linear", p in [0, 1]. */
  static double linearPercentile(double[] sorted, double p) {
    int count = sorted.length;
    double virtual = (count - 1) * p;
    if (virtual >= count - 1) {
      return sorted[count - 1];
    }
    if (virtual < 0) {
      return sorted[0];
    }
    double previousIndex = Math.floor(virtual);
    int prev = (int) previousIndex;
    double a = sorted[prev];
    double b = sorted[prev + 1];
    double t = virtual - previousIndex;
    double diff = b - a;
    // NumPy's _lerp: from the nearer end, so t = 1 returns b exactly.
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
  }

  /** {@code np.interp(x, xp, fp)} for non-decreasing {@code xp}, as NumPy's C code does it. */
  static double interp(double x, double[] xp, double[] fp) {
    int n = xp.length;
    if (n == 1) {
      return fp[0];
    }
    if (x > xp[n - 1]) {
      return fp[n - 1];
    }
    if (x < xp[0]) {
      return fp[0];
    }
    // j = the last index with xp[j] <= x
    int lo = 0;
    int hi = n;
    while (lo < hi) {
      int mid = (lo + hi) >>> 1;
      if (x >= xp[mid]) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    int j = lo - 1;
    if (j == n - 1 || xp[j] == x) {
      return fp[j];
    }
    double slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j]);
    double result = slope * (x - xp[j]) + fp[j];
    if (Double.isNaN(result)) {
      result = slope * (x - xp[j + 1]) + fp[j + 1];
      if (Double.isNaN(result) && fp[j] == fp[j + 1]) {
        result = fp[j];
      }
    }
    return result;
  }
}
