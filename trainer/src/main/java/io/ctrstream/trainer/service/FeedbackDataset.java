package io.ctrstream.trainer.service;

import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.features.LabeledRow;
import io.ctrstream.dien.features.UserGenreStats;
import io.ctrstream.schemas.Feedback;
import io.ctrstream.schemas.Profile;
import io.ctrstream.schemas.UserGenre;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The training examples of a feedback window, in event-time order, built from the logged features
 * exactly as served: nothing is recomputed from state, so the model trains on what the scorer saw
 * (a cold user's empty history stays empty; a movie missing from the catalog keeps its empty genres
 * and maps to the unknown index when encoded). Every source is used with its logged label: organic
 * and impression-joined ratings, and, from a scorer with {@code feedback.clicks}, clicks (label 1)
 * and non-clicks (label 0), which carry no rating. All but organic ones carry a served score (used
 * for the online AUC, not for training).
 */
public final class FeedbackDataset {

  private final List<LabeledRow> rows;
  private final long organic;
  private final long impressionJoined;

  private FeedbackDataset(List<LabeledRow> rows, long organic, long impressionJoined) {
    this.rows = List.copyOf(rows);
    this.organic = organic;
    this.impressionJoined = impressionJoined;
  }

  /**
   * The row the scorer scored, as {@code ServedFeatures.toRow} in the scorer builds it from the
   * same fields: age as a double, unknown profile attributes null; the served movie counts and
   * user-genre statistics as logged, null when the record has none (written before they were
   * served).
   */
  public static LabeledRow toRow(Feedback f) {
    Profile p = f.profile() == null ? Profile.UNKNOWN : f.profile();
    FeatureRow features =
        new FeatureRow(
            f.userId(),
            p.age() == null ? null : p.age().doubleValue(),
            p.gender(),
            p.occupation(),
            p.zipCode(),
            f.movieId(),
            f.genres(),
            f.history(),
            f.negatives(),
            f.userRatings(),
            f.userPositives(),
            f.movieRatings(),
            f.moviePositives(),
            genreStats(f.userGenre()));
    return new LabeledRow(features, f.label(), f.timestamp());
  }

  private static UserGenreStats genreStats(UserGenre g) {
    return g == null
        ? null
        : new UserGenreStats(g.recentPositives(), g.recentRatings(), g.recentTotal(),
            g.longPositives(), g.longRatings(), g.longTotal());
  }

  /** Examples of {@code feedback} (validated records), sorted by event time; the sort is stable. */
  public static FeedbackDataset of(List<Feedback> feedback) {
    List<LabeledRow> rows = new ArrayList<>(feedback.size());
    long organic = 0;
    for (Feedback f : feedback) {
      rows.add(toRow(f));
      if (f.source() == Feedback.Source.ORGANIC) {
        organic++;
      }
    }
    rows.sort(Comparator.comparingLong(LabeledRow::timestamp));
    return new FeedbackDataset(rows, organic, feedback.size() - organic);
  }

  /** All examples, oldest first. */
  public List<LabeledRow> rows() {
    return rows;
  }

  public int size() {
    return rows.size();
  }

  /** Examples whose features were those served with an impression (a joined rating, a click or a non-click). */
  public long impressionJoined() {
    return impressionJoined;
  }

  /** Examples of ratings with no pending impression. */
  public long organic() {
    return organic;
  }

  /**
   * Splits by time: the most recent {@code validationFraction} of the examples validate (at least
   * one). Every example at the boundary timestamp goes to validation, so no training example is
   * newer than any validation example.
   */
  public Split split(double validationFraction) {
    if (!(validationFraction > 0 && validationFraction < 1)) {
      throw new IllegalArgumentException(
          "validationFraction must be in (0, 1), got " + validationFraction);
    }
    int n = rows.size();
    if (n < 2) {
      throw new IllegalArgumentException("need at least 2 examples to split, got " + n);
    }
    int validation = Math.max(1, (int) Math.ceil(n * validationFraction));
    int cut = n - validation;
    long boundary = rows.get(cut).timestamp();
    while (cut > 0 && rows.get(cut - 1).timestamp() == boundary) {
      cut--;
    }
    return new Split(rows.subList(0, cut), rows.subList(cut, n), boundary);
  }

  /**
   * A time split.
   *
   * @param train the older examples
   * @param validation the newer examples, all at or after {@code boundary}
   * @param boundary event time of the oldest validation example
   */
  public record Split(List<LabeledRow> train, List<LabeledRow> validation, long boundary) {
    public Split {
      train = List.copyOf(train);
      validation = List.copyOf(validation);
    }
  }

  /** Share of positive labels, NaN for no rows. */
  public static double positiveRate(List<LabeledRow> rows) {
    return rows.stream().mapToInt(LabeledRow::label).average().orElse(Double.NaN);
  }

  /** Whether both labels occur. */
  public static boolean hasBothClasses(List<LabeledRow> rows) {
    boolean pos = false;
    boolean neg = false;
    for (LabeledRow r : rows) {
      pos |= r.label() == 1;
      neg |= r.label() == 0;
      if (pos && neg) {
        return true;
      }
    }
    return false;
  }
}
