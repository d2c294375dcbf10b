package io.ctrstream.trainer.synthetic;

import io.ctrstream.trainer.synthetic.SyntheticDataset.Movie;
import io.ctrstream.trainer.synthetic.SyntheticDataset.Rating;
import io.ctrstream.trainer.synthetic.SyntheticDataset.User;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;

/**
 * Generates a MovieLens-100K-shaped dataset from a known model of drifting interests.
 *
 * <p>The model (G = 18 real genres; "unknown" is never used):
 *
 * <ul>
 *   <li>Movie m has 1 to 3 genres (common genres such as Drama and Comedy more often) and a
 *       popularity {@code pop_m ~ N(0, 1)}.
 *   <li>User u has a latent interest logit vector over genres at each of their ratings: {@code
 *       z_t = base_u + FOCUS * focus_t + w_t}. {@code base_u ~ N(0, BASE_SD)} is a static taste;
 *       {@code focus_t} marks one or two genres the user is currently into and switches to new
 *       ones with probability {@code SWITCH} per rating (phases); {@code w_t} is a mean-reverting
 *       random walk ({@code w_t = DECAY * w_t-1 + N(0, WALK_SD)}). The interest is {@code
 *       softmax(z_t)}.
 *   <li>Which movie is rated next: with probability {@code 1 - EXPLORE} a genre is drawn from
 *       the sharpened interest {@code softmax(SELECT_SHARPNESS * z_t)} and a movie of that genre
 *       by popularity ({@code ~ exp(POP_PULL * pop_m)});
 *       otherwise a movie by popularity alone. A user rates a movie at most once.
 *   <li>Label: {@code p_high = sigmoid(B0 + B_AFFINITY * a_t + B_POP * pop_m)} with affinity
 *       {@code a_t = mean over the movie's genres of z_t[g] - mean over all genres of z_t}; the
 *       rating is 4 or 5 with probability p_high, else 1 to 3.
 * </ul>
 *
 * <p>So the genres of a user's recent ratings reveal {@code focus_t}, which moves {@code p_high};
 * a model that ignores order only sees the user's average interest (reported as the static-user
 * AUC). Output is a pure function of the settings and the seed.
 */
public final class SyntheticMovieLens {

  // Model constants: chosen so the positive rate is near MovieLens' 55 % and the three reference
  // AUCs (oracle > static user > popularity) are clearly apart at the default size.
  private static final double BASE_SD = 0.5;
  private static final double FOCUS = 2.2;
  private static final double SWITCH = 0.05;
  private static final double DECAY = 0.97;
  private static final double WALK_SD = 0.15;
  private static final double EXPLORE = 0.3;
  private static final double SELECT_SHARPNESS = 1.5;
  private static final double POP_PULL = 0.7;
  private static final double B0 = -0.8;
  private static final double B_AFFINITY = 1.1;
  private static final double B_POP = 0.6;
  private static final int MIN_RATINGS_PER_USER = 20;

  /** Time span of the events, the same months as MovieLens 100K. */
  private static final long START = LocalDate.of(1997, 9, 20).toEpochSecond(
      java.time.LocalTime.MIDNIGHT, ZoneOffset.UTC);
  private static final long END = LocalDate.of(1998, 4, 23).toEpochSecond(
      java.time.LocalTime.MIDNIGHT, ZoneOffset.UTC);

  /** Relative frequency of each genre among movie genres, roughly as in MovieLens 100K. */
  private static final double[] GENRE_PRIOR = {
    0, 251, 135, 42, 122, 505, 109, 50, 725, 22, 24, 92, 56, 61, 247, 101, 251, 71, 27
  };

  private static final String[] TITLE_ADJECTIVES = {
    "Silent", "Last", "Broken", "Golden", "Hidden", "Crimson", "Lonely", "Wild", "Distant",
    "Burning", "Frozen", "Secret", "Midnight", "Lost", "Electric", "Quiet", "Savage", "Endless",
    "Paper", "Iron", "Velvet", "Stolen", "Final", "Bright"
  };
  private static final String[] TITLE_NOUNS = {
    "Harbor", "Road", "Summer", "Kingdom", "River", "Witness", "Garden", "Empire", "Stranger",
    "Island", "Promise", "Frontier", "Shadow", "Letter", "Circus", "Engine", "Winter", "Mirror",
    "Station", "Horizon", "Orchard", "Signal", "Canyon", "Ballroom"
  };
  private static final DateTimeFormatter RELEASE_DATE =
      DateTimeFormatter.ofPattern("dd-MMM-yyyy", Locale.ROOT);

  private final int users;
  private final int movies;
  private final int ratings;
  private final long seed;
  private final boolean showProgress;

  private SyntheticMovieLens(Builder b) {
    this.users = b.users;
    this.movies = b.movies;
    this.ratings = b.ratings;
    this.seed = b.seed;
    this.showProgress = b.showProgress;
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Runs the model; deterministic for the builder's settings. */
  public SyntheticDataset generate() {
    SplittableRandom root = new SplittableRandom(seed);
    // Separate streams per part so, e.g., the movie catalog does not depend on the user count.
    SplittableRandom movieRng = root.split();
    SplittableRandom userRng = root.split();
    SplittableRandom countRng = root.split();
    SplittableRandom eventRng = root.split();

    List<Movie> catalog = makeMovies(movieRng);
    List<User> profiles = makeUsers(userRng);
    int[] counts = ratingsPerUser(countRng);
    Catalog index = new Catalog(catalog);

    List<Rating> events = new ArrayList<>(ratings);
    try (ProgressBar bar = progress("generate ratings", ratings)) {
      for (int u = 1; u <= users; u++) {
        SplittableRandom rng = eventRng.split();
        simulateUser(u, counts[u - 1], index, rng, events);
        if (bar != null) {
          bar.stepBy(counts[u - 1]);
        }
      }
    }
    events.sort(
        Comparator.comparingLong(Rating::timestamp)
            .thenComparingInt(Rating::user)
            .thenComparingInt(Rating::movie));
    return new SyntheticDataset(profiles, catalog, events);
  }

  private ProgressBar progress(String task, long max) {
    return showProgress
        ? new ProgressBarBuilder().setTaskName(task).setInitialMax(max).setUnit(" ratings", 1)
            .build()
        : null;
  }

  private List<Movie> makeMovies(SplittableRandom rng) {
    List<Movie> out = new ArrayList<>(movies);
    for (int id = 1; id <= movies; id++) {
      int genreCount = pickGenreCount(rng);
      BitSet chosen = new BitSet();
      while (chosen.cardinality() < genreCount) {
        chosen.set(sample(GENRE_PRIOR, rng));
      }
      int[] genres = chosen.stream().toArray();
      double popularity = rng.nextGaussian();
      // More movies from recent years, as in MovieLens (most are from the 1990s).
      int year = 1998 - (int) Math.min(65, Math.floor(-Math.log(1 - rng.nextDouble()) * 8));
      LocalDate release = LocalDate.of(year, 1 + rng.nextInt(12), 1 + rng.nextInt(28));
      String title =
          TITLE_ADJECTIVES[rng.nextInt(TITLE_ADJECTIVES.length)] + " "
              + TITLE_NOUNS[rng.nextInt(TITLE_NOUNS.length)] + " (" + year + ")";
      title = (rng.nextDouble() < 0.3 ? "The " : "") + title;
      out.add(new Movie(id, title, RELEASE_DATE.format(release), genres, popularity));
    }
    return out;
  }

  private static int pickGenreCount(SplittableRandom rng) {
    double x = rng.nextDouble();
    return x < 0.5 ? 1 : x < 0.85 ? 2 : 3;
  }

  private List<User> makeUsers(SplittableRandom rng) {
    List<User> out = new ArrayList<>(users);
    for (int id = 1; id <= users; id++) {
      int age = (int) Math.max(7, Math.min(73, Math.round(32 + 11 * rng.nextGaussian())));
      char gender = rng.nextDouble() < 0.71 ? 'M' : 'F';
      String occupation = SyntheticDataset.OCCUPATIONS.get(
          rng.nextInt(SyntheticDataset.OCCUPATIONS.size()));
      String zip = String.format(Locale.ROOT, "%05d", rng.nextInt(100000));
      out.add(new User(id, age, gender, occupation, zip));
    }
    return out;
  }

  /** Heavy-tailed activity (a few users rate a lot), each user at least 20, total exact. */
  private int[] ratingsPerUser(SplittableRandom rng) {
    int cap = Math.min(movies, ratings);
    double[] weight = new double[users];
    double sum = 0;
    for (int u = 0; u < users; u++) {
      weight[u] = Math.exp(0.9 * rng.nextGaussian());
      sum += weight[u];
    }
    int floor = Math.min(MIN_RATINGS_PER_USER, ratings / users);
    int spare = ratings - floor * users;
    int[] counts = new int[users];
    int assigned = 0;
    for (int u = 0; u < users; u++) {
      counts[u] = Math.min(cap, floor + (int) Math.floor(spare * weight[u] / sum));
      assigned += counts[u];
    }
    // Hand out what rounding and capping left, one at a time, to users with room.
    int u = 0;
    while (assigned < ratings) {
      if (counts[u] < cap) {
        counts[u]++;
        assigned++;
      }
      u = (u + 1) % users;
    }
    return counts;
  }

  private void simulateUser(
      int user, int count, Catalog catalog, SplittableRandom rng, List<Rating> out) {
    int g = SyntheticDataset.GENRES.size();
    double[] base = new double[g];
    double[] walk = new double[g];
    for (int k = 1; k < g; k++) {
      base[k] = BASE_SD * rng.nextGaussian();
    }
    int[] focus = newFocus(rng);
    long[] times = timestamps(count, rng);

    // Pass 1: the walk of interests and the movies chosen; labels need the average interest.
    double[][] z = new double[count][];
    int[] chosen = new int[count];
    double[] sumZ = new double[g];
    BitSet rated = new BitSet(movies + 1);
    for (int t = 0; t < count; t++) {
      if (t > 0 && rng.nextDouble() < SWITCH) {
        focus = newFocus(rng);
      }
      double[] zt = new double[g];
      for (int k = 1; k < g; k++) {
        walk[k] = DECAY * walk[k] + WALK_SD * rng.nextGaussian();
        zt[k] = base[k] + walk[k];
      }
      for (int k : focus) {
        zt[k] += FOCUS;
      }
      z[t] = zt;
      for (int k = 1; k < g; k++) {
        sumZ[k] += zt[k];
      }
      chosen[t] = catalog.pickNext(zt, rated, rng);
      rated.set(chosen[t]);
    }
    double[] meanZ = new double[g];
    for (int k = 1; k < g; k++) {
      meanZ[k] = sumZ[k] / count;
    }

    // Pass 2: true probabilities and sampled ratings.
    for (int t = 0; t < count; t++) {
      Movie m = catalog.movie(chosen[t]);
      double pHigh = probabilityHigh(z[t], m);
      double pStatic = probabilityHigh(meanZ, m);
      out.add(new Rating(user, m.id(), sampleRating(pHigh, rng), times[t], pHigh, pStatic));
    }
  }

  private static double probabilityHigh(double[] z, Movie m) {
    double all = 0;
    for (int k = 1; k < z.length; k++) {
      all += z[k];
    }
    all /= z.length - 1;
    double own = 0;
    for (int k : m.genres()) {
      own += z[k];
    }
    own /= m.genres().length;
    double logit = B0 + B_AFFINITY * (own - all) + B_POP * m.popularity();
    return 1 / (1 + Math.exp(-logit));
  }

  private static int sampleRating(double pHigh, SplittableRandom rng) {
    if (rng.nextDouble() < pHigh) {
      // More fives when the match is strong, as real raters do.
      return rng.nextDouble() < 0.25 + 0.5 * pHigh ? 5 : 4;
    }
    double x = rng.nextDouble();
    return x < 0.15 ? 1 : x < 0.45 ? 2 : 3;
  }

  /** One or two distinct genres to be into for a while. */
  private static int[] newFocus(SplittableRandom rng) {
    int first = sample(GENRE_PRIOR, rng);
    if (rng.nextDouble() < 0.5) {
      return new int[] {first};
    }
    int second;
    do {
      second = sample(GENRE_PRIOR, rng);
    } while (second == first);
    return new int[] {first, second};
  }

  /** Sorted, strictly increasing seconds within the user's active period. */
  private static long[] timestamps(int count, SplittableRandom rng) {
    long span = END - START;
    long begin = START + (long) (rng.nextDouble() * 0.7 * span);
    long length = Math.max(count * 60L, (long) ((0.1 + 0.9 * rng.nextDouble()) * (END - begin)));
    long[] times = new long[count];
    for (int i = 0; i < count; i++) {
      times[i] = begin + (long) (rng.nextDouble() * length);
    }
    Arrays.sort(times);
    for (int i = 1; i < count; i++) {
      times[i] = Math.max(times[i], times[i - 1] + 1);
    }
    return times;
  }

  /** Index of {@code weights} drawn with probability proportional to its weight. */
  static int sample(double[] weights, SplittableRandom rng) {
    double total = 0;
    for (double w : weights) {
      total += w;
    }
    double x = rng.nextDouble() * total;
    for (int i = 0; i < weights.length; i++) {
      x -= weights[i];
      if (x < 0 && weights[i] > 0) {
        return i;
      }
    }
    for (int i = weights.length - 1; i >= 0; i--) {
      if (weights[i] > 0) {
        return i;
      }
    }
    throw new IllegalArgumentException("weights are all zero");
  }

  /** Movies by genre with popularity weights, for drawing the next movie a user rates. */
  private static final class Catalog {
    private final List<Movie> movies;
    private final double[] popWeight; // by movie id - 1
    private final int[][] byGenre; // genre -> movie ids

    Catalog(List<Movie> movies) {
      this.movies = movies;
      this.popWeight = new double[movies.size()];
      List<List<Integer>> lists = new ArrayList<>();
      for (int g = 0; g < SyntheticDataset.GENRES.size(); g++) {
        lists.add(new ArrayList<>());
      }
      for (Movie m : movies) {
        popWeight[m.id() - 1] = Math.exp(POP_PULL * m.popularity());
        for (int g : m.genres()) {
          lists.get(g).add(m.id());
        }
      }
      byGenre = lists.stream().map(l -> l.stream().mapToInt(Integer::intValue).toArray())
          .toArray(int[][]::new);
    }

    Movie movie(int id) {
      return movies.get(id - 1);
    }

    /** A movie not yet in {@code rated}, drawn from the interest {@code softmax(z)}. */
    int pickNext(double[] z, BitSet rated, SplittableRandom rng) {
      for (int attempt = 0; attempt < 30; attempt++) {
        int id;
        if (rng.nextDouble() < EXPLORE) {
          id = 1 + sample(popWeight, rng);
        } else {
          int[] pool = byGenre[sample(softmax(z), rng)];
          if (pool.length == 0) {
            continue;
          }
          double[] w = new double[pool.length];
          for (int i = 0; i < pool.length; i++) {
            w[i] = popWeight[pool[i] - 1];
          }
          id = pool[sample(w, rng)];
        }
        if (!rated.get(id)) {
          return id;
        }
      }
      // A heavy user has rated most of what they like: fall back to any unrated movie.
      double[] w = popWeight.clone();
      for (int id = rated.nextSetBit(0); id >= 0; id = rated.nextSetBit(id + 1)) {
        w[id - 1] = 0;
      }
      return 1 + sample(w, rng);
    }

    private static double[] softmax(double[] z) {
      double[] p = new double[z.length];
      double max = Double.NEGATIVE_INFINITY;
      for (int k = 1; k < z.length; k++) {
        max = Math.max(max, z[k]);
      }
      for (int k = 1; k < z.length; k++) {
        p[k] = Math.exp(SELECT_SHARPNESS * (z[k] - max)); // index 0 ("unknown") stays 0
      }
      return p;
    }
  }

  /** Settings; every one optional with defaults sized for the bundled sample. */
  public static final class Builder {
    /** Defaults of the bundled sample: about 3 MB on disk, a few minutes to replay. */
    public static final int DEFAULT_USERS = 600;

    public static final int DEFAULT_MOVIES = 800;
    public static final int DEFAULT_RATINGS = 60_000;
    public static final long DEFAULT_SEED = 42;

    private int users = DEFAULT_USERS;
    private int movies = DEFAULT_MOVIES;
    private int ratings = DEFAULT_RATINGS;
    private long seed = DEFAULT_SEED;
    private boolean showProgress;

    private Builder() {}

    public Builder optUsers(int users) {
      this.users = users;
      return this;
    }

    public Builder optMovies(int movies) {
      this.movies = movies;
      return this;
    }

    public Builder optRatings(int ratings) {
      this.ratings = ratings;
      return this;
    }

    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Show a console progress bar (on stderr) while generating; off by default. */
    public Builder optShowProgress(boolean showProgress) {
      this.showProgress = showProgress;
      return this;
    }

    public SyntheticMovieLens build() {
      if (users < 1) {
        throw new IllegalArgumentException("users must be >= 1, got " + users);
      }
      if (movies < 2 * MIN_RATINGS_PER_USER) {
        throw new IllegalArgumentException(
            "movies must be >= " + 2 * MIN_RATINGS_PER_USER + " so users can rate "
                + MIN_RATINGS_PER_USER + " distinct movies, got " + movies);
      }
      if (ratings < users) {
        throw new IllegalArgumentException(
            "ratings must be >= users (each user rates at least once), got ratings=" + ratings
                + " for users=" + users);
      }
      if ((long) users * movies < ratings) {
        throw new IllegalArgumentException(
            "ratings must be <= users * movies (a user rates a movie once), got ratings="
                + ratings + " > " + users + " * " + movies);
      }
      return new SyntheticMovieLens(this);
    }
  }
}
