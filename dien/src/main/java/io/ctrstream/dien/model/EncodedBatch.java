package io.ctrstream.dien.model;

import java.util.Objects;

/**
 * One batch in model indices, as plain Java arrays: what the feature encoder produces and what
 * {@link DienNetwork} consumes. No NDArray lives here, so batches can be built, queued and sliced
 * on any thread without native memory.
 *
 * <p>All 2-D arrays are row-major. Index 0 is padding everywhere; sequences are padded at the end,
 * and a row's history length is its number of nonzero history ids (the reference's rule). A row
 * with no history (a cold user) is allowed.
 *
 * @param size B, the number of rows
 * @param numericWidth number of numeric columns
 * @param categoricalWidth number of categorical columns (the config's order)
 * @param genresLength G, the padded length of the pooled sequence
 * @param historyLength T, the padded length of history and negatives
 * @param numeric (B, numericWidth) values
 * @param categorical (B, categoricalWidth) ids, columns in {@link DienConfig#categoricalFeatures()}
 *     order
 * @param genres (B, G) ids of the pooled sequence
 * @param history (B, T) ids of the behaviour sequence, oldest first
 * @param negatives (B, T) ids of the negative samples aligned with {@code history}; may be null
 *     when the model does not use negative sampling
 * @param labels (B) labels in {0, 1}, or null for scoring
 */
public record EncodedBatch(
    int size,
    int numericWidth,
    int categoricalWidth,
    int genresLength,
    int historyLength,
    float[] numeric,
    int[] categorical,
    int[] genres,
    int[] history,
    int[] negatives,
    float[] labels) {

  public EncodedBatch {
    if (size < 1) {
      throw new IllegalArgumentException("size must be > 0, got " + size);
    }
    if (numericWidth < 0 || categoricalWidth < 1 || genresLength < 1 || historyLength < 1) {
      throw new IllegalArgumentException(
          "widths must be numeric >= 0, categorical/genres/history > 0, got " + numericWidth + "/"
              + categoricalWidth + "/" + genresLength + "/" + historyLength);
    }
    check("numeric", Objects.requireNonNull(numeric, "numeric must not be null").length,
        size * numericWidth);
    check("categorical", Objects.requireNonNull(categorical, "categorical must not be null").length,
        size * categoricalWidth);
    check("genres", Objects.requireNonNull(genres, "genres must not be null").length,
        size * genresLength);
    check("history", Objects.requireNonNull(history, "history must not be null").length,
        size * historyLength);
    if (negatives != null) {
      check("negatives", negatives.length, size * historyLength);
    }
    if (labels != null) {
      check("labels", labels.length, size);
    }
  }

  /** Per-row history length: the number of nonzero history ids. */
  public int[] historyLengths() {
    int[] lengths = new int[size];
    for (int b = 0; b < size; b++) {
      int n = 0;
      for (int t = 0, o = b * historyLength; t < historyLength; t++) {
        if (history[o + t] != 0) {
          n++;
        }
      }
      lengths[b] = n;
    }
    return lengths;
  }

  /** Rows {@code [from, to)} as a new batch (arrays are copied). */
  public EncodedBatch slice(int from, int to) {
    if (from < 0 || to > size || from >= to) {
      throw new IllegalArgumentException(
          "slice [" + from + ", " + to + ") is outside [0, " + size + ")");
    }
    int n = to - from;
    return new EncodedBatch(
        n,
        numericWidth,
        categoricalWidth,
        genresLength,
        historyLength,
        copy(numeric, from * numericWidth, n * numericWidth),
        copy(categorical, from * categoricalWidth, n * categoricalWidth),
        copy(genres, from * genresLength, n * genresLength),
        copy(history, from * historyLength, n * historyLength),
        negatives == null ? null : copy(negatives, from * historyLength, n * historyLength),
        labels == null ? null : copy(labels, from, n));
  }

  private static void check(String field, int actual, int expected) {
    if (actual != expected) {
      throw new IllegalArgumentException(
          field + " has " + actual + " values, expected " + expected + " (rows x width)");
    }
  }

  private static float[] copy(float[] a, int from, int n) {
    float[] out = new float[n];
    System.arraycopy(a, from, out, 0, n);
    return out;
  }

  private static int[] copy(int[] a, int from, int n) {
    int[] out = new int[n];
    System.arraycopy(a, from, out, 0, n);
    return out;
  }
}
