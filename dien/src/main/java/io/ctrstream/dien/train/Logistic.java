package io.ctrstream.dien.train;

import java.util.Objects;

/**
 * Logistic regression by Newton's method (iteratively reweighted least squares) with a small
 * ridge penalty, for the two places where a few weights are fitted in closed form: the wide part
 * of a Wide &amp; Deep model (its starting point, and the "deep part switched off" baseline) and
 * Platt scaling of a model's logits.
 */
public final class Logistic {

  private Logistic() {}

  /**
   * Fits {@code p = sigmoid(x w + b)}.
   *
   * @param x (N, width) row-major features
   * @param width number of features
   * @param y labels in {0, 1}, length N
   * @param ridge L2 penalty on the weights (not the bias), on the scale of the summed log loss
   * @return width weights followed by the bias; all zero when N is 0
   */
  public static double[] fit(float[] x, int width, int[] y, double ridge) {
    Objects.requireNonNull(x, "x must not be null");
    int n = y.length;
    if (x.length != n * width) {
      throw new IllegalArgumentException(
          "x has " + x.length + " values, expected " + n + " x " + width);
    }
    int d = width + 1;
    double[] w = new double[d];
    if (n == 0) {
      return w;
    }
    for (int iter = 0; iter < 50; iter++) {
      double[] grad = new double[d];
      double[][] hess = new double[d][d];
      for (int i = 0; i < n; i++) {
        double z = w[width];
        for (int j = 0; j < width; j++) {
          z += x[i * width + j] * w[j];
        }
        double p = 1 / (1 + Math.exp(-z));
        double r = p - y[i];
        double s = Math.max(p * (1 - p), 1e-9);
        for (int j = 0; j < d; j++) {
          double xj = j == width ? 1 : x[i * width + j];
          grad[j] += r * xj;
          for (int k = 0; k <= j; k++) {
            double xk = k == width ? 1 : x[i * width + k];
            hess[j][k] += s * xj * xk;
          }
        }
      }
      for (int j = 0; j < d; j++) {
        for (int k = 0; k < j; k++) {
          hess[k][j] = hess[j][k];
        }
        if (j < width) {
          grad[j] += ridge * w[j];
          hess[j][j] += ridge;
        }
        hess[j][j] += 1e-9;
      }
      double[] step = solve(hess, grad);
      double size = 0;
      for (int j = 0; j < d; j++) {
        w[j] -= step[j];
        size = Math.max(size, Math.abs(step[j]));
      }
      if (!(size > 1e-8)) {
        break;
      }
    }
    for (double v : w) {
      if (!Double.isFinite(v)) {
        return new double[d];
      }
    }
    return w;
  }

  /** Probabilities of a fitted model ({@link #fit}'s output) for each row of {@code x}. */
  public static float[] predict(float[] x, int width, double[] w) {
    int n = x.length / Math.max(width, 1);
    if (width == 0) {
      n = 0;
    }
    float[] out = new float[n];
    for (int i = 0; i < n; i++) {
      double z = w[width];
      for (int j = 0; j < width; j++) {
        z += x[i * width + j] * w[j];
      }
      out[i] = (float) (1 / (1 + Math.exp(-z)));
    }
    return out;
  }

  /**
   * Platt scaling of probabilities: {scale, shift} such that {@code sigmoid(scale * logit(p) +
   * shift)} fits the labels best; {1, 0} when the fit is not a positive scale.
   */
  public static double[] platt(float[] probabilities, int[] labels) {
    float[] logits = new float[probabilities.length];
    for (int i = 0; i < logits.length; i++) {
      double p = Math.min(1 - 1e-7, Math.max(1e-7, probabilities[i]));
      logits[i] = (float) Math.log(p / (1 - p));
    }
    double[] w = fit(logits, 1, labels, 0);
    return w[0] > 0 && Double.isFinite(w[0]) && Double.isFinite(w[1])
        ? w
        : new double[] {1, 0};
  }

  /** Solves A v = b by Gaussian elimination with partial pivoting (A is small and symmetric). */
  private static double[] solve(double[][] a, double[] b) {
    int d = b.length;
    double[][] m = new double[d][d + 1];
    for (int i = 0; i < d; i++) {
      System.arraycopy(a[i], 0, m[i], 0, d);
      m[i][d] = b[i];
    }
    for (int c = 0; c < d; c++) {
      int pivot = c;
      for (int r = c + 1; r < d; r++) {
        if (Math.abs(m[r][c]) > Math.abs(m[pivot][c])) {
          pivot = r;
        }
      }
      double[] t = m[c];
      m[c] = m[pivot];
      m[pivot] = t;
      double diag = m[c][c];
      if (Math.abs(diag) < 1e-300) {
        continue;
      }
      for (int r = 0; r < d; r++) {
        if (r != c) {
          double f = m[r][c] / diag;
          for (int k = c; k <= d; k++) {
            m[r][k] -= f * m[c][k];
          }
        }
      }
    }
    double[] v = new double[d];
    for (int i = 0; i < d; i++) {
      v[i] = Math.abs(m[i][i]) < 1e-300 ? 0 : m[i][d] / m[i][i];
    }
    return v;
  }
}
