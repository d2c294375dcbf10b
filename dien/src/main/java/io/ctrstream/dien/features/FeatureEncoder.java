package io.ctrstream.dien.features;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.ctrstream.dien.model.DienConfig;
import io.ctrstream.dien.model.DienConfig.CategoricalFeature;
import io.ctrstream.dien.model.DienConfig.ItemTable;
import io.ctrstream.dien.model.DienConfig.SequenceFeature;
import io.ctrstream.dien.model.EncodedBatch;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Turns raw {@link FeatureRow}s into the index arrays of an {@link EncodedBatch}, as the
 * reference DIEN preprocesses MovieLens.
 *
 * <p>Layout (the reference's): numeric {@code [age]}; categorical {@code [gender, movieId,
 * occupation, zipCode]} with {@code movieId} the candidate; pooled sequence {@code genres} (first
 * {@code genresLength} genres, default 6); history {@code histHighRatedMovieIds} and negatives
 * {@code negHistMovieIds} ({@code historyLength}, default 10). Sequences are padded with 0 at the
 * end. For a history longer than {@code historyLength} the most recent entries are kept, still
 * oldest first; negatives are taken at the same positions, so entry {@code t} of both stays
 * aligned (a missing negative is padding). A cold user (empty history) encodes as all padding.
 * With {@link Options#userStats()} (not in the reference; the trainer service's default) two
 * numeric columns follow age: the user's smoothed share of high ratings so far and the log of the
 * number of ratings so far, both from counts the scorer keeps per user and logs with every
 * example; they give the model the user's own rating bias, which history of positives alone
 * does not show. With {@link Options#historyAffinity()} (not in the reference) one more numeric
 * column, {@link #HISTORY_GENRE_AFFINITY}, says how well the candidate's genres match the genres
 * of the history; the history's genres come from a movie-to-genres table the encoder learns from
 * the candidates of the rows it is fitted on and keeps in the bundle, so the scorer serves it from
 * the same rows as before.
 *
 * <p>Fitting: age gets {@link QuantileTransform} (mean imputation, 1000 uniform quantiles); every
 * categorical and sequence column gets its own {@link Vocabulary} counted over its own column as
 * the model sees it (the kept window of each sequence) with {@code minCount} (default 5). With
 * {@link ItemTable#SHARED}, movieId, history and negatives share one vocabulary counted over the
 * three columns together. Missing (null) categorical values and rare or unseen terms map to the
 * column's unknown index.
 *
 * <p>Immutable and thread-safe; encoding allocates only the output arrays.
 */
public final class FeatureEncoder {

  public static final String AGE = "age";
  public static final String GENDER = "gender";
  public static final String MOVIE_ID = "movieId";
  public static final String OCCUPATION = "occupation";
  public static final String ZIP_CODE = "zipCode";
  public static final String GENRES = "genres";
  public static final String HISTORY = "histHighRatedMovieIds";
  public static final String NEGATIVES = "negHistMovieIds";

  /** The user's smoothed share of high ratings so far: (positives + 1) / (ratings + 2). */
  public static final String USER_POSITIVE_RATE = "userPositiveRate";
  /** How many ratings the user has given so far, as log(1 + n) / log(1 + 1000). */
  public static final String USER_RATING_COUNT = "userRatingCount";

  /** The candidate movie's smoothed share of high ratings in the training rows. */
  public static final String MOVIE_POSITIVE_RATE = "moviePositiveRate";
  /** How many training rows the candidate movie has, as log(1 + n) / log(1 + 1000). */
  public static final String MOVIE_RATING_COUNT = "movieRatingCount";
  /**
   * How well the candidate's genres match the genres of the user's history: the dot product of
   * two genre distributions, the candidate's (its genres, equally weighted) and the history's
   * (the mean of its items' distributions, as the encoder's movie-to-genres table knows them).
   * 0 for a cold user, a history of unknown movies, or a candidate without genres.
   */
  public static final String HISTORY_GENRE_AFFINITY = "historyGenreAffinity";

  /** Wide: logit of the candidate's smoothed share of high ratings (served counts, real time). */
  public static final String WIDE_MOVIE_RATE = "wideMovieRate";
  /** Wide: the candidate's number of ratings, as log(1 + n) / log(1 + 1000). */
  public static final String WIDE_MOVIE_COUNT = "wideMovieCount";
  /** Wide: logit of the user's smoothed share of high ratings. */
  public static final String WIDE_USER_RATE = "wideUserRate";
  /** Wide: the user's number of ratings, as log(1 + n) / log(1 + 1000). */
  public static final String WIDE_USER_COUNT = "wideUserCount";
  /** Wide: logit of how the user liked the candidate's genres lately (recent counters). */
  public static final String WIDE_GENRE_RECENT_RATE = "wideGenreRecentRate";
  /** Wide: the same with the long counters. */
  public static final String WIDE_GENRE_LONG_RATE = "wideGenreLongRate";
  /**
   * Wide: how much more of the user's recent attention went to the candidate's genres than
   * those genres' share of all ratings, as a log ratio (0: as much as anyone).
   */
  public static final String WIDE_GENRE_RECENT_SHARE = "wideGenreRecentShare";
  /** Wide: the same with the long counters. */
  public static final String WIDE_GENRE_LONG_SHARE = "wideGenreLongShare";

  /**
   * The wide columns ({@link Options#wide()}), last in model order: the counters a recommender
   * would otherwise serve on their own (movie rate, user rate, the user's rate and share of the
   * candidate's genres), as logits and log counts, so that a linear part can add them up.
   */
  public static final List<String> WIDE =
      List.of(WIDE_MOVIE_RATE, WIDE_MOVIE_COUNT, WIDE_USER_RATE, WIDE_USER_COUNT,
          WIDE_GENRE_RECENT_RATE, WIDE_GENRE_LONG_RATE, WIDE_GENRE_RECENT_SHARE,
          WIDE_GENRE_LONG_SHARE);

  /** Pseudo-ratings of the user's own rate that smooth the genre rates. */
  public static final double GENRE_RATE_PSEUDO_COUNT = 2;

  /** Pseudo-rows of the overall rate that smooth {@link #MOVIE_POSITIVE_RATE}. */
  public static final double MOVIE_RATE_PSEUDO_COUNT = 10;

  /** Numeric columns in model order of the reference layout. */
  public static final List<String> NUMERIC = List.of(AGE);

  /** Numeric columns in model order with {@link Options#userStats()}. */
  public static final List<String> NUMERIC_WITH_USER_STATS =
      List.of(AGE, USER_POSITIVE_RATE, USER_RATING_COUNT);

  /** Categorical columns in model order; {@link #MOVIE_ID} is the candidate. */
  public static final List<String> CATEGORICAL = List.of(GENDER, MOVIE_ID, OCCUPATION, ZIP_CODE);

  private static final int FORMAT_VERSION = 1;
  private static final double LOG_1001 = Math.log(1001);

  private static final ObjectMapper JSON =
      JsonMapper.builder().disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES).build();

  private final Options options;
  private final QuantileTransform age;
  private final Vocabulary gender;
  private final Vocabulary movieId;
  private final Vocabulary occupation;
  private final Vocabulary zipCode;
  private final Vocabulary genres;
  private final Vocabulary history;
  private final Vocabulary negatives;
  private final MovieStats movieStats;
  private final Map<String, List<String>> movieGenres; // empty unless historyAffinity
  private final Map<String, Double> genreShare; // empty unless wide

  /**
   * How to fit an encoder. Build with {@link #builder()}; every field is optional.
   *
   * @param minCount a term needs this many occurrences in its column to get its own index
   * @param quantiles number of quantiles of the age transform
   * @param historyLength T, length of history and negatives
   * @param genresLength G, length of the pooled genres sequence
   * @param itemTable whether movieId, history and negatives share one vocabulary
   * @param userStats whether the user's rating counts so far ({@link FeatureRow#userRatings()},
   *     {@link FeatureRow#userPositives()}) are numeric features ({@link
   *     #NUMERIC_WITH_USER_STATS}); off in the reference's layout
   * @param itemStats whether the candidate movie's share of high ratings and its number of
   *     ratings in the training rows are two more numeric columns ({@link #MOVIE_POSITIVE_RATE},
   *     {@link #MOVIE_RATING_COUNT}); fitted with the labels, leave-one-out on the training rows
   *     themselves; off in the reference's layout
   * @param historyAffinity whether {@link #HISTORY_GENRE_AFFINITY} is a numeric column (after the
   *     user statistics, before the movie statistics); off in the reference's layout
   * @param wide whether the {@link #WIDE} columns come last: the served movie counts (falling
   *     back to the training rows' counts for rows served without them), the user's counts and
   *     genre statistics, as logits and log ratios; the wide part of a Wide &amp; Deep model.
   *     Fitted with the labels (the overall rate); off in the reference's layout
   */
  public record Options(int minCount, int quantiles, int historyLength, int genresLength,
      ItemTable itemTable, boolean userStats, boolean itemStats, boolean historyAffinity,
      boolean wide) {

    public Options {
      if (minCount < 1) {
        throw new IllegalArgumentException("minCount must be >= 1, got " + minCount);
      }
      if (quantiles < 1) {
        throw new IllegalArgumentException("quantiles must be >= 1, got " + quantiles);
      }
      if (historyLength < 1) {
        throw new IllegalArgumentException("historyLength must be > 0, got " + historyLength);
      }
      if (genresLength < 1) {
        throw new IllegalArgumentException("genresLength must be > 0, got " + genresLength);
      }
      Objects.requireNonNull(itemTable, "itemTable must not be null");
    }

    /** The numeric columns these options produce, in model order. */
    public List<String> numeric() {
      List<String> n = new ArrayList<>(userStats ? NUMERIC_WITH_USER_STATS : NUMERIC);
      if (historyAffinity) {
        n.add(HISTORY_GENRE_AFFINITY);
      }
      if (itemStats) {
        n.add(MOVIE_POSITIVE_RATE);
        n.add(MOVIE_RATING_COUNT);
      }
      if (wide) {
        n.addAll(WIDE);
      }
      return List.copyOf(n);
    }

    /** The reference's options: min count 5, 1000 quantiles, T = 10, G = 6, separate tables. */
    public static Options defaults() {
      return builder().build();
    }

    public static Builder builder() {
      return new Builder();
    }

    /** Builder: every field optional, defaults as {@link #defaults()}. */
    public static final class Builder {
      private int minCount = Vocabulary.DEFAULT_MIN_COUNT;
      private int quantiles = QuantileTransform.DEFAULT_QUANTILES;
      private int historyLength = 10;
      private int genresLength = 6;
      private ItemTable itemTable = ItemTable.SEPARATE;
      private boolean userStats;
      private boolean itemStats;
      private boolean historyAffinity;
      private boolean wide;

      private Builder() {}

      public Builder optWide(boolean wide) {
        this.wide = wide;
        return this;
      }

      public Builder optHistoryAffinity(boolean historyAffinity) {
        this.historyAffinity = historyAffinity;
        return this;
      }

      public Builder optItemStats(boolean itemStats) {
        this.itemStats = itemStats;
        return this;
      }

      public Builder optUserStats(boolean userStats) {
        this.userStats = userStats;
        return this;
      }

      public Builder optMinCount(int minCount) {
        this.minCount = minCount;
        return this;
      }

      public Builder optQuantiles(int quantiles) {
        this.quantiles = quantiles;
        return this;
      }

      public Builder optHistoryLength(int historyLength) {
        this.historyLength = historyLength;
        return this;
      }

      public Builder optGenresLength(int genresLength) {
        this.genresLength = genresLength;
        return this;
      }

      public Builder optItemTable(ItemTable itemTable) {
        this.itemTable = itemTable;
        return this;
      }

      public Options build() {
        return new Options(minCount, quantiles, historyLength, genresLength, itemTable, userStats,
            itemStats, historyAffinity, wide);
      }
    }
  }

  /**
   * Label counts per movie over the training rows, for {@link Options#itemStats()}.
   *
   * @param prior the share of high ratings over all training rows
   * @param counts movieId to {high ratings, ratings}
   */
  public record MovieStats(
      @JsonProperty("prior") double prior, @JsonProperty("counts") Map<String, int[]> counts) {
    public static final MovieStats NONE = new MovieStats(0.5, Map.of());

    public MovieStats {
      counts = counts == null ? Map.of() : Map.copyOf(counts);
    }

    static MovieStats fit(List<LabeledRow> rows) {
      Map<String, int[]> counts = new HashMap<>();
      long positives = 0;
      for (LabeledRow r : rows) {
        int[] c = counts.computeIfAbsent(r.features().movieId(), k -> new int[2]);
        c[0] += r.label();
        c[1]++;
        positives += r.label();
      }
      return new MovieStats(rows.isEmpty() ? 0.5 : (double) positives / rows.size(), counts);
    }

    /**
     * A row's movie counts {high, all}: the served ones when the row has them (counted before it,
     * so no leave-one-out), else the training rows', leaving out one row of label {@code own} if
     * >= 0.
     */
    double[] counts(FeatureRow row, int own) {
      if (row.movieRatings() != null) {
        double n = Math.max(0, row.movieRatings());
        double pos = row.moviePositives() == null ? 0 : Math.max(0, Math.min(n, row.moviePositives()));
        return new double[] {pos, n};
      }
      int[] c = counts.get(row.movieId());
      double pos = c == null ? 0 : c[0];
      double n = c == null ? 0 : c[1];
      if (own >= 0 && n > 0) {
        pos -= own;
        n -= 1;
      }
      return new double[] {pos, n};
    }

    /** Smoothed rate and scaled count of a row's movie ({@link #counts}). */
    void write(FeatureRow row, int own, float[] out, int at) {
      double[] c = counts(row, own);
      double pos = c[0];
      double n = c[1];
      out[at] = (float) ((pos + MOVIE_RATE_PSEUDO_COUNT * prior) / (n + MOVIE_RATE_PSEUDO_COUNT));
      out[at + 1] = (float) (Math.log1p(n) / LOG_1001);
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof MovieStats m) || m.prior != prior || !m.counts.keySet().equals(counts.keySet())) {
        return false;
      }
      return counts.entrySet().stream().allMatch(e -> Arrays.equals(e.getValue(), m.counts.get(e.getKey())));
    }

    @Override
    public int hashCode() {
      return Objects.hash(prior, counts.keySet());
    }
  }

  private FeatureEncoder(
      Options options,
      QuantileTransform age,
      Map<String, Vocabulary> vocabularies,
      MovieStats movieStats,
      Map<String, List<String>> movieGenres,
      Map<String, Double> genreShare) {
    this.options = Objects.requireNonNull(options, "options must not be null");
    this.genreShare =
        genreShare == null || !options.wide()
            ? Map.of()
            : Collections.unmodifiableMap(new TreeMap<>(genreShare));
    this.movieStats = movieStats == null ? MovieStats.NONE : movieStats;
    if (options.historyAffinity() && movieGenres == null) {
      throw new IllegalArgumentException(
          "historyAffinity needs the movie-to-genres table (movieGenres), which is missing");
    }
    // Sorted, so that the bundle's JSON (and its sha256) is the same for the same table.
    this.movieGenres =
        movieGenres == null || !options.historyAffinity()
            ? Map.of()
            : Collections.unmodifiableMap(new TreeMap<>(movieGenres));
    this.age = Objects.requireNonNull(age, "age transform must not be null");
    this.gender = required(vocabularies, GENDER);
    this.movieId = required(vocabularies, MOVIE_ID);
    this.occupation = required(vocabularies, OCCUPATION);
    this.zipCode = required(vocabularies, ZIP_CODE);
    this.genres = required(vocabularies, GENRES);
    this.history = required(vocabularies, HISTORY);
    this.negatives = required(vocabularies, NEGATIVES);
    if (options.itemTable() == ItemTable.SHARED
        && !(movieId.equals(history) && movieId.equals(negatives))) {
      throw new IllegalArgumentException(
          "itemTable SHARED needs the same vocabulary for " + MOVIE_ID + ", " + HISTORY + " and "
              + NEGATIVES);
    }
  }

  private static Vocabulary required(Map<String, Vocabulary> vocabularies, String column) {
    Vocabulary v = vocabularies == null ? null : vocabularies.get(column);
    if (v == null) {
      throw new IllegalArgumentException("encoder has no vocabulary for column " + column);
    }
    return v;
  }

  /** Fits on unlabeled rows (e.g. the training rows' features). */
  public static FeatureEncoder fit(List<FeatureRow> rows, Options options) {
    Objects.requireNonNull(options, "options must not be null");
    if (options.itemStats() || options.wide()) {
      throw new IllegalArgumentException("itemStats and wide need labels: fit with fitLabeled");
    }
    return fitFeatures(rows, options, null);
  }

  /**
   * The genres of every candidate movie of {@code rows} (the last row of a movie wins; a genre
   * listed twice counts once).
   */
  private static Map<String, List<String>> movieGenres(List<FeatureRow> rows) {
    Map<String, List<String>> out = new HashMap<>();
    for (FeatureRow row : rows) {
      if (row.movieId() != null && row.genres() != null) {
        out.put(row.movieId(), List.copyOf(distinct(row.genres())));
      }
    }
    return out;
  }

  /** {@link #HISTORY_GENRE_AFFINITY} of one row. */
  private double affinity(FeatureRow row) {
    List<String> candidate = distinct(row.genres());
    List<String> h = row.history();
    if (candidate.isEmpty() || h == null || h.isEmpty()) {
      return 0;
    }
    Map<String, Double> taste = new HashMap<>();
    int known = 0;
    for (int k = Math.max(0, h.size() - options.historyLength()); k < h.size(); k++) {
      List<String> g = distinct(movieGenres.get(h.get(k)));
      if (!g.isEmpty()) {
        known++;
        for (String genre : g) {
          taste.merge(genre, 1.0 / g.size(), Double::sum);
        }
      }
    }
    if (known == 0) {
      return 0;
    }
    double dot = 0;
    for (String genre : candidate) {
      dot += taste.getOrDefault(genre, 0.0);
    }
    return dot / known / candidate.size();
  }

  private static List<String> distinct(List<String> genres) {
    if (genres == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>(genres.size());
    for (String g : genres) {
      if (g != null && !out.contains(g)) {
        out.add(g);
      }
    }
    return out;
  }

  /** Fits everything but the movie statistics on {@code rows}; {@code movieStats} comes along. */
  private static FeatureEncoder fitFeatures(
      List<FeatureRow> rows, Options options, MovieStats movieStats) {
    Objects.requireNonNull(rows, "rows must not be null");
    Objects.requireNonNull(options, "options must not be null");
    if (rows.isEmpty()) {
      throw new IllegalArgumentException("cannot fit an encoder on 0 rows");
    }
    int t = options.historyLength();
    Double[] ages = new Double[rows.size()];
    Vocabulary.Counter genderCount = new Vocabulary.Counter();
    Vocabulary.Counter occupationCount = new Vocabulary.Counter();
    Vocabulary.Counter zipCount = new Vocabulary.Counter();
    Vocabulary.Counter genresCount = new Vocabulary.Counter();
    Vocabulary.Counter movieCount = new Vocabulary.Counter();
    Vocabulary.Counter historyCount = new Vocabulary.Counter();
    Vocabulary.Counter negativesCount = new Vocabulary.Counter();
    boolean shared = options.itemTable() == ItemTable.SHARED;
    for (int i = 0; i < rows.size(); i++) {
      FeatureRow row = rows.get(i);
      ages[i] = row.age();
      genderCount.add(row.gender());
      occupationCount.add(row.occupation());
      zipCount.add(row.zipCode());
      List<String> g = row.genres();
      for (int k = 0, n = Math.min(g.size(), options.genresLength()); k < n; k++) {
        genresCount.add(g.get(k));
      }
      // With a shared table every item occurrence counts towards the one item vocabulary.
      Vocabulary.Counter histTarget = shared ? movieCount : historyCount;
      Vocabulary.Counter negTarget = shared ? movieCount : negativesCount;
      movieCount.add(row.movieId());
      List<String> h = row.history();
      List<String> neg = row.negatives();
      for (int k = Math.max(0, h.size() - t); k < h.size(); k++) {
        histTarget.add(h.get(k));
        if (k < neg.size()) {
          negTarget.add(neg.get(k));
        }
      }
    }
    int m = options.minCount();
    Map<String, Vocabulary> v = new LinkedHashMap<>();
    v.put(GENDER, genderCount.build(m));
    v.put(MOVIE_ID, movieCount.build(m));
    v.put(OCCUPATION, occupationCount.build(m));
    v.put(ZIP_CODE, zipCount.build(m));
    v.put(GENRES, genresCount.build(m));
    v.put(HISTORY, shared ? v.get(MOVIE_ID) : historyCount.build(m));
    v.put(NEGATIVES, shared ? v.get(MOVIE_ID) : negativesCount.build(m));
    return new FeatureEncoder(options, QuantileTransform.fit(ages, options.quantiles()), v,
        movieStats, options.historyAffinity() ? movieGenres(rows) : null,
        options.wide() ? genreShares(rows) : null);
  }

  /**
   * Fits on labeled rows: the labels are used only with {@link Options#itemStats()} (the
   * per-movie counts), everything else is fitted on the features as by {@link #fit}.
   */
  public static FeatureEncoder fitLabeled(List<LabeledRow> rows, Options options) {
    List<FeatureRow> features = new ArrayList<>(rows.size());
    for (LabeledRow r : rows) {
      features.add(r.features());
    }
    return fitFeatures(
        features, options, options.itemStats() || options.wide() ? MovieStats.fit(rows) : null);
  }

  /** Encodes rows for scoring ({@code labels} null). */
  public EncodedBatch encode(List<FeatureRow> rows) {
    Objects.requireNonNull(rows, "rows must not be null");
    return encode(rows.size(), rows::get, null, false);
  }

  /** Encodes rows for evaluation (or training without item stats), labels filled. */
  public EncodedBatch encodeLabeled(List<LabeledRow> rows) {
    return encodeLabeled(rows, false);
  }

  /**
   * Encodes the rows this encoder was fitted on, for training: with {@link Options#itemStats()}
   * each row's movie statistics leave out that row's own label (leave-one-out), so the model
   * cannot read its label off the feature; otherwise as {@link #encodeLabeled}.
   */
  public EncodedBatch encodeTraining(List<LabeledRow> rows) {
    return encodeLabeled(rows, true);
  }

  private EncodedBatch encodeLabeled(List<LabeledRow> rows, boolean leaveOneOut) {
    Objects.requireNonNull(rows, "rows must not be null");
    float[] labels = new float[rows.size()];
    for (int i = 0; i < labels.length; i++) {
      labels[i] = rows.get(i).label();
    }
    return encode(rows.size(), i -> rows.get(i).features(), labels, leaveOneOut);
  }

  /** The {@link #WIDE} columns of one row, from {@code at}. */
  private void writeWide(FeatureRow row, int own, float[] out, int at) {
    double prior = movieStats.prior();
    double k = MOVIE_RATE_PSEUDO_COUNT;
    double[] m = movieStats.counts(row, own);
    out[at] = logit((m[0] + k * prior) / (m[1] + k));
    out[at + 1] = (float) (Math.log1p(m[1]) / LOG_1001);
    double n = row.userRatings() == null ? 0 : Math.max(0, row.userRatings());
    double pos = row.userPositives() == null ? 0 : Math.max(0, Math.min(n, row.userPositives()));
    double userRate = (pos + k * prior) / (n + k);
    out[at + 2] = logit(userRate);
    out[at + 3] = (float) (Math.log1p(n) / LOG_1001);
    UserGenreStats g = row.userGenre() == null ? UserGenreStats.EMPTY : row.userGenre();
    double a = GENRE_RATE_PSEUDO_COUNT;
    out[at + 4] = logit((g.recentPositives() + a * userRate) / (g.recentRatings() + a));
    out[at + 5] = logit((g.longPositives() + a * userRate) / (g.longRatings() + a));
    double base = genreBase(row.genres());
    out[at + 6] = base == 0 ? 0 : shareLift(g.recentRatings(), g.recentTotal(), base);
    out[at + 7] = base == 0 ? 0 : shareLift(g.longRatings(), g.longTotal(), base);
  }

  /** log of (smoothed share of the user's ratings in the genres) / (their share of all ratings). */
  private static float shareLift(double inGenres, double total, double base) {
    return (float) Math.log((inGenres + base) / (total + 1) / base);
  }

  /** Mean share of all training ratings that the candidate's genres have; 0 without genres. */
  private double genreBase(List<String> candidateGenres) {
    if (candidateGenres.isEmpty() || genreShare.isEmpty()) {
      return 0;
    }
    double floor = 1.0 / (2 * genreShare.size() + 2);
    double sum = 0;
    for (String g : candidateGenres) {
      sum += Math.max(floor, genreShare.getOrDefault(g, floor));
    }
    return Math.min(1, sum / candidateGenres.size());
  }

  private static float logit(double p) {
    double q = Math.min(1 - 1e-4, Math.max(1e-4, p));
    return (float) Math.log(q / (1 - q));
  }

  /** Share of the rows whose candidate has each genre (for {@link Options#wide()}). */
  private static Map<String, Double> genreShares(List<FeatureRow> rows) {
    Map<String, Integer> counts = new TreeMap<>();
    for (FeatureRow r : rows) {
      for (String g : new java.util.LinkedHashSet<>(r.genres())) {
        counts.merge(g, 1, Integer::sum);
      }
    }
    Map<String, Double> out = new TreeMap<>();
    counts.forEach((g, c) -> out.put(g, (double) c / rows.size()));
    return out;
  }

  private interface RowAt {
    FeatureRow get(int i);
  }

  private EncodedBatch encode(int b, RowAt rows, float[] labels, boolean leaveOneOut) {
    if (b == 0) {
      throw new IllegalArgumentException("cannot encode an empty batch");
    }
    int nCat = CATEGORICAL.size();
    int g = options.genresLength();
    int t = options.historyLength();
    int nNum = options.numeric().size();
    boolean userStats = options.userStats();
    float[] numeric = new float[b * nNum]; // (B, 1) or (B, 3)
    int[] categorical = new int[b * nCat]; // (B, 4)
    int[] genreIds = new int[b * g]; // (B, G)
    int[] historyIds = new int[b * t]; // (B, T)
    int[] negativeIds = new int[b * t]; // (B, T)
    for (int i = 0; i < b; i++) {
      FeatureRow row = rows.get(i);
      numeric[i * nNum] = (float) age.transform(row.age());
      if (userStats) {
        int n = row.userRatings() == null ? 0 : Math.max(0, row.userRatings());
        int pos = row.userPositives() == null ? 0 : Math.max(0, Math.min(n, row.userPositives()));
        numeric[i * nNum + 1] = (pos + 1f) / (n + 2f);
        numeric[i * nNum + 2] = (float) (Math.log1p(n) / LOG_1001);
      }
      if (options.historyAffinity()) {
        numeric[i * nNum + (userStats ? 3 : 1)] = (float) affinity(row);
      }
      if (options.itemStats()) {
        movieStats.write(row, leaveOneOut ? (int) labels[i] : -1, numeric,
            i * nNum + nNum - 2 - (options.wide() ? WIDE.size() : 0));
      }
      if (options.wide()) {
        writeWide(row, leaveOneOut ? (int) labels[i] : -1, numeric, i * nNum + nNum - WIDE.size());
      }
      int c = i * nCat;
      categorical[c] = gender.index(row.gender());
      categorical[c + 1] = movieId.index(row.movieId());
      categorical[c + 2] = occupation.index(row.occupation());
      categorical[c + 3] = zipCode.index(row.zipCode());
      List<String> gs = row.genres();
      for (int k = 0, n = Math.min(gs.size(), g), o = i * g; k < n; k++) {
        genreIds[o + k] = genres.index(gs.get(k));
      }
      List<String> h = row.history();
      List<String> neg = row.negatives();
      int start = Math.max(0, h.size() - t);
      for (int k = start, o = i * t - start; k < h.size(); k++) {
        historyIds[o + k] = history.index(h.get(k));
        if (k < neg.size()) {
          negativeIds[o + k] = negatives.index(neg.get(k));
        }
      }
    }
    return new EncodedBatch(
        b, nNum, nCat, g, t, numeric, categorical, genreIds, historyIds, negativeIds,
        labels);
  }

  /**
   * Sets the feature layout (names, vocabulary sizes, lengths, item-table mode) of a config
   * builder; the network's other settings are left as they are.
   */
  public DienConfig.Builder configure(DienConfig.Builder builder) {
    List<CategoricalFeature> cats = new ArrayList<>();
    cats.add(new CategoricalFeature(GENDER, gender.size()));
    cats.add(new CategoricalFeature(MOVIE_ID, movieId.size()));
    cats.add(new CategoricalFeature(OCCUPATION, occupation.size()));
    cats.add(new CategoricalFeature(ZIP_CODE, zipCode.size()));
    return builder
        .setNumericFeatures(options.numeric())
        .setCategoricalFeatures(cats)
        .setCandidateFeature(MOVIE_ID)
        .setPooledSequence(new SequenceFeature(GENRES, genres.size(), options.genresLength()))
        .setHistory(new SequenceFeature(HISTORY, history.size(), options.historyLength()))
        .setNegatives(new SequenceFeature(NEGATIVES, negatives.size(), options.historyLength()))
        .optItemTable(options.itemTable())
        .optWideFeatures(options.wide() ? WIDE : List.of());
  }

  /**
   * Why {@code config} cannot run on this encoder's output, or an empty list when it can: same
   * feature spec and the same vocabulary size for every column.
   */
  public List<String> mismatches(DienConfig config) {
    List<String> problems = new ArrayList<>();
    FeatureSpec ours = spec();
    FeatureSpec theirs = FeatureSpec.of(config);
    if (!ours.equals(theirs)) {
      problems.add("feature spec differs: encoder " + ours.canonicalJson() + " vs config "
          + theirs.canonicalJson());
      return problems;
    }
    Map<String, Integer> sizes = vocabularySizes();
    for (CategoricalFeature c : config.categoricalFeatures()) {
      expectSize(problems, c.name(), c.vocabSize(), sizes.get(c.name()));
    }
    for (SequenceFeature s : List.of(config.pooledSequence(), config.history(), config.negatives())) {
      expectSize(problems, s.name(), s.vocabSize(), sizes.get(s.name()));
    }
    return problems;
  }

  private static void expectSize(List<String> problems, String name, int config, Integer ours) {
    if (ours == null || ours != config) {
      problems.add("vocabulary size of " + name + ": config " + config + ", encoder " + ours);
    }
  }

  /** The layout this encoder produces. */
  public FeatureSpec spec() {
    return spec(options);
  }

  /**
   * The layout any encoder fitted with {@code options} produces, e.g. what a scorer expects of
   * every bundle it loads ({@link io.ctrstream.dien.bundle.ModelBundle#fromBytes(byte[],
   * FeatureSpec)}).
   */
  public static FeatureSpec spec(Options options) {
    return new FeatureSpec(
        FeatureSpec.VERSION,
        options.numeric(),
        FeatureSpec.MEAN_IMPUTE_QUANTILE_UNIFORM,
        CATEGORICAL,
        MOVIE_ID,
        GENRES,
        options.genresLength(),
        HISTORY,
        NEGATIVES,
        options.historyLength(),
        options.itemTable().name());
  }

  /** Embedding-table sizes (pad and unknown included) by column name. */
  public Map<String, Integer> vocabularySizes() {
    Map<String, Integer> sizes = new LinkedHashMap<>();
    vocabularies().forEach((k, v) -> sizes.put(k, v.size()));
    return sizes;
  }

  /** The vocabulary of each categorical and sequence column, by column name. */
  public Map<String, Vocabulary> vocabularies() {
    Map<String, Vocabulary> v = new LinkedHashMap<>();
    v.put(GENDER, gender);
    v.put(MOVIE_ID, movieId);
    v.put(OCCUPATION, occupation);
    v.put(ZIP_CODE, zipCode);
    v.put(GENRES, genres);
    v.put(HISTORY, history);
    v.put(NEGATIVES, negatives);
    return v;
  }

  /** One column's vocabulary. */
  public Vocabulary vocabulary(String column) {
    return required(vocabularies(), column);
  }

  public QuantileTransform ageTransform() {
    return age;
  }

  public Options options() {
    return options;
  }

  /** The encoder as JSON ({@code encoder.json} of a bundle). */
  public byte[] toJson() {
    try {
      return JSON.writerWithDefaultPrettyPrinter()
          .writeValueAsBytes(new State(FORMAT_VERSION, options, age, vocabularies(),
              options.itemStats() || options.wide() ? movieStats : null,
              options.historyAffinity() ? movieGenres : null,
              options.wide() ? genreShare : null));
    } catch (IOException e) {
      throw new IllegalStateException("an encoder always serialises", e);
    }
  }

  /**
   * Reads {@link #toJson()} output.
   *
   * @throws IllegalArgumentException when the JSON is malformed or inconsistent
   */
  public static FeatureEncoder fromJson(byte[] json) {
    State s;
    try {
      s = JSON.readValue(json, State.class);
    } catch (IOException e) {
      throw new IllegalArgumentException("encoder JSON cannot be read: " + e.getMessage(), e);
    }
    if (s == null || s.formatVersion() != FORMAT_VERSION) {
      throw new IllegalArgumentException(
          "encoder JSON formatVersion must be " + FORMAT_VERSION + ", got "
              + (s == null ? null : s.formatVersion()));
    }
    return new FeatureEncoder(
        s.options(), s.age(), s.vocabularies(), s.movieStats(), s.movieGenres(), s.genreShare());
  }

  private record State(
      @JsonProperty("formatVersion") int formatVersion,
      @JsonProperty("options") Options options,
      @JsonProperty("age") QuantileTransform age,
      @JsonProperty("vocabularies") Map<String, Vocabulary> vocabularies,
      @JsonProperty("movieStats") MovieStats movieStats,
      @JsonProperty("movieGenres") Map<String, List<String>> movieGenres,
      @JsonProperty("genreShare") Map<String, Double> genreShare) {}

  @Override
  public boolean equals(Object o) {
    return o instanceof FeatureEncoder e
        && e.options.equals(options)
        && e.age.mean() == age.mean()
        && Arrays.equals(e.age.quantiles(), age.quantiles())
        && e.vocabularies().equals(vocabularies())
        && e.movieStats.equals(movieStats)
        && e.movieGenres.equals(movieGenres)
        && e.genreShare.equals(genreShare);
  }

  @Override
  public int hashCode() {
    return Objects.hash(options, vocabularies());
  }
}
