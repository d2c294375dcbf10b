package io.ctrstream.trainer.movielens;

import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * Builds the reference train/test rows from raw MovieLens ratings, as the DIEN MovieLens notebook
 * prepared them:
 *
 * <ul>
 *   <li>users (not ratings) are split at random by the seed: {@code testFraction} of them, rounded
 *       up, go to test, the rest to train, so no user is in both;
 *   <li>each user gives exactly one example: the user's last rating in time (ties broken by file
 *       order); its label is {@code rating >= 4};
 *   <li>its history is the user's ratings {@code >= 4} before that one, the most recent {@code
 *       historyLength} of them, oldest first;
 *   <li>its negatives are as many movies as the history has, drawn by the seed from the catalog,
 *       distinct, and never rated by the user (the candidate included).
 * </ul>
 *
 * <p>One deliberate difference: the notebook's negative filter compared against the wrong set
 * and so could draw a movie the user had rated; here a negative is never a rated movie, which
 * is what the auxiliary loss assumes. Users without a profile keep their rows with missing
 * demographics (ml-10m and the CSV sets have none at all). Deterministic for a given seed and
 * input.
 */
public final class MovieLensSplit {

  /** Train and test rows, each sorted by user id. */
  public record Result(List<ReferenceRow> train, List<ReferenceRow> test) {}

  private final double testFraction;
  private final int historyLength;

  /**
   * @param testFraction the share of users for test, in (0, 1); the reference used 0.2
   * @param historyLength the most history entries kept; the reference used 10
   */
  public MovieLensSplit(double testFraction, int historyLength) {
    if (!(testFraction > 0 && testFraction < 1)) {
      throw new IllegalArgumentException(
          "testFraction must be in (0, 1), got " + testFraction + "; the reference used 0.2");
    }
    if (historyLength <= 0) {
      throw new IllegalArgumentException(
          "historyLength must be > 0, got " + historyLength + "; the reference used 10");
    }
    this.testFraction = testFraction;
    this.historyLength = historyLength;
  }

  /** The reference split: 20% of users to test, histories of at most 10. */
  public static MovieLensSplit reference() {
    return new MovieLensSplit(0.2, 10);
  }

  /** Splits {@code data}; the same seed and data always give the same rows. */
  public Result split(MovieLensData data, long seed) {
    Random random = new Random(seed);
    // user -> ratings in file order; TreeMap: iteration (and so sampling) order is fixed
    Map<Integer, List<Rating>> byUser = new TreeMap<>();
    for (Rating r : data.ratings()) {
      byUser.computeIfAbsent(r.userId(), u -> new ArrayList<>()).add(r);
    }
    List<Integer> users = new ArrayList<>(byUser.keySet());
    Collections.shuffle(users, random);
    int testCount = (int) Math.ceil(testFraction * users.size());
    Set<Integer> testUsers = new HashSet<>(users.subList(0, testCount));

    List<Integer> catalog = catalog(data);
    Set<Integer> catalogSet = new HashSet<>(catalog);
    List<ReferenceRow> train = new ArrayList<>();
    List<ReferenceRow> test = new ArrayList<>();
    for (Map.Entry<Integer, List<Rating>> e : byUser.entrySet()) {
      ReferenceRow row = example(e.getKey(), e.getValue(), data, catalog, catalogSet, random);
      (testUsers.contains(e.getKey()) ? test : train).add(row);
    }
    return new Result(List.copyOf(train), List.copyOf(test));
  }

  private ReferenceRow example(
      int userId,
      List<Rating> ratings,
      MovieLensData data,
      List<Integer> catalog,
      Set<Integer> catalogSet,
      Random random) {
    List<Rating> inTime = new ArrayList<>(ratings);
    // List.sort is stable: equal timestamps keep file order
    inTime.sort(Comparator.comparingLong(Rating::timestamp));
    Rating last = inTime.get(inTime.size() - 1);

    List<String> history = new ArrayList<>();
    for (int i = inTime.size() - 2; i >= 0 && history.size() < historyLength; i--) {
      Rating r = inTime.get(i);
      if (r.rating() >= 4) {
        history.add(Integer.toString(r.movieId()));
      }
    }
    Collections.reverse(history); // oldest first

    Set<Integer> rated = new HashSet<>();
    for (Rating r : ratings) {
      rated.add(r.movieId());
    }
    List<String> negatives = negatives(catalog, catalogSet, rated, history.size(), random);

    MovieLensUser user = data.users().get(userId);
    Movie movie = data.movies().get(last.movieId());
    return new ReferenceRow(
        Integer.toString(userId),
        Integer.toString(last.movieId()),
        last.rating(),
        last.timestamp(),
        history,
        negatives,
        user == null ? null : user.gender(),
        user == null ? null : user.age(),
        user == null ? null : user.occupation(),
        user == null ? null : user.zipCode(),
        movie == null ? null : movie.title(),
        movie == null ? List.of() : movie.genres(),
        last.rating() >= 4 ? 1 : 0);
  }

  /** Distinct movies from the catalog that the user never rated, {@code count} of them. */
  private static List<String> negatives(
      List<Integer> catalog,
      Set<Integer> catalogSet,
      Set<Integer> rated,
      int count,
      Random random) {
    long ratedInCatalog = rated.stream().filter(catalogSet::contains).count();
    long unrated = catalog.size() - ratedInCatalog;
    Set<Integer> picked = new LinkedHashSet<>();
    if (unrated <= count) {
      // a user who rated nearly everything: take every unrated movie rather than loop for ever
      catalog.stream().filter(m -> !rated.contains(m)).forEach(picked::add);
    } else {
      while (picked.size() < count) {
        int m = catalog.get(random.nextInt(catalog.size()));
        if (!rated.contains(m)) {
          picked.add(m);
        }
      }
    }
    List<String> out = new ArrayList<>(picked.size());
    for (int m : picked) {
      out.add(Integer.toString(m));
    }
    return out;
  }

  /** The catalog in file order; when the data set has none, the movies seen in the ratings. */
  private static List<Integer> catalog(MovieLensData data) {
    if (!data.movies().isEmpty()) {
      return new ArrayList<>(data.movies().keySet());
    }
    Set<Integer> seen = new LinkedHashSet<>();
    for (Rating r : data.ratings()) {
      seen.add(r.movieId());
    }
    return new ArrayList<>(seen);
  }

  /** Counts worth printing after a split. */
  public static Map<String, Object> summary(Result result) {
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("train_rows", result.train().size());
    s.put("test_rows", result.test().size());
    s.put("train_positive_rate", positiveRate(result.train()));
    s.put("test_positive_rate", positiveRate(result.test()));
    s.put("train_mean_history", meanHistory(result.train()));
    s.put("test_mean_history", meanHistory(result.test()));
    return s;
  }

  private static double positiveRate(List<ReferenceRow> rows) {
    return rows.stream().mapToInt(ReferenceRow::label).average().orElse(Double.NaN);
  }

  private static double meanHistory(List<ReferenceRow> rows) {
    return rows.stream().mapToInt(r -> r.history().size()).average().orElse(Double.NaN);
  }
}
