package io.ctrstream.dien.release;

import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.features.FeatureSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * The feature layouts this scorer can serve. The topology assembles every {@link FeatureRow} the
 * same way (profile: age, gender, occupation, zip code; the user's rating counts; the candidate
 * movie and its genres; the last N highly rated movies and their aligned negatives), so a model may use any subset of those
 * columns, under their names, with the transform this project implements; a model asking for
 * anything else would silently see empty inputs, and is refused.
 *
 * <p>A model expecting a longer history than the scorer keeps ({@code history.length}) still
 * works (histories are padded) but sees less than it may have been trained on; that is logged,
 * not refused.
 */
public final class ServableSpec {
  /**
   * Every numeric column a bundle may ask for: the served user counts, and what the bundle derives
   * from the served row itself (the history's genre affinity, the movie statistics, the wide
   * columns from the served movie counts and the user's genre statistics).
   */
  private static final List<String> SERVED_NUMERIC =
      FeatureEncoder.Options.builder()
          .optUserStats(true)
          .optHistoryAffinity(true)
          .optItemStats(true)
          .optWide(true)
          .build()
          .numeric();
  private static final Set<String> NUMERIC = Set.copyOf(SERVED_NUMERIC);
  private static final Set<String> CATEGORICAL = Set.copyOf(FeatureEncoder.CATEGORICAL);

  private final int historyLength;

  /** @param historyLength N, the history the scorer keeps per user */
  public ServableSpec(int historyLength) {
    if (historyLength <= 0) {
      throw new IllegalArgumentException("historyLength must be > 0, got " + historyLength);
    }
    this.historyLength = historyLength;
  }

  public int historyLength() {
    return historyLength;
  }

  /** What in {@code spec} this scorer cannot produce; empty when it can serve it. */
  public List<String> problems(FeatureSpec spec) {
    List<String> p = new ArrayList<>();
    if (spec.specVersion() != FeatureSpec.VERSION) {
      p.add("feature spec format " + spec.specVersion() + " (this scorer reads " + FeatureSpec.VERSION + ")");
    }
    if (!FeatureSpec.MEAN_IMPUTE_QUANTILE_UNIFORM.equals(spec.numericTransform())) {
      p.add("numeric transform " + spec.numericTransform() + " (this scorer has "
          + FeatureSpec.MEAN_IMPUTE_QUANTILE_UNIFORM + ")");
    }
    for (String n : spec.numeric()) {
      if (!NUMERIC.contains(n)) {
        p.add("numeric column " + n + " (the scorer produces " + SERVED_NUMERIC + ")");
      }
    }
    for (String c : spec.categorical()) {
      if (!CATEGORICAL.contains(c)) {
        p.add("categorical column " + c + " (the scorer produces " + FeatureEncoder.CATEGORICAL + ")");
      }
    }
    expect(p, "candidate", spec.candidate(), FeatureEncoder.MOVIE_ID);
    expect(p, "pooled sequence", spec.genres(), FeatureEncoder.GENRES);
    expect(p, "history", spec.history(), FeatureEncoder.HISTORY);
    expect(p, "negatives", spec.negatives(), FeatureEncoder.NEGATIVES);
    return p;
  }

  /** Whether the model reads a longer history than the scorer keeps (served, with a warning). */
  public boolean historyShorterThan(FeatureSpec spec) {
    return spec.historyLength() > historyLength;
  }

  private static void expect(List<String> p, String what, String actual, String expected) {
    if (!expected.equals(actual)) {
      p.add(what + " column " + actual + " (the scorer produces " + expected + ")");
    }
  }
}
