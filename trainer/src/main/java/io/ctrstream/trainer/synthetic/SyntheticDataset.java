package io.ctrstream.trainer.synthetic;

import io.ctrstream.dien.train.Metrics;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A generated dataset held in memory, and its writer in the MovieLens 100K layout.
 *
 * <p>Files written by {@link #writeTo(Path)} (all ASCII, so valid latin-1 like the original;
 * {@code \n} line endings):
 *
 * <ul>
 *   <li>{@code u.data}: {@code user \t movie \t rating \t timestamp}, sorted by timestamp (the
 *       original is in random order; readers must not rely on either);
 *   <li>{@code u.user}: {@code id|age|gender|occupation|zip};
 *   <li>{@code u.item}: {@code id|title|release date|video release date|IMDb URL|19 genre flags}
 *       (video release date and URL are empty: these movies do not exist);
 *   <li>{@code u.genre} ({@code name|index}), {@code u.occupation} (one name a line), {@code
 *       u.info} (counts);
 *   <li>{@code truth.tsv}: header {@code user movie timestamp p_high}, then for each rating of
 *       {@code u.data}, in the same order, the true probability that it is >= 4.
 * </ul>
 *
 * @param users users, ids 1..N in order
 * @param movies movies, ids 1..M in order
 * @param ratings ratings sorted by (timestamp, user, movie)
 */
public record SyntheticDataset(List<User> users, List<Movie> movies, List<Rating> ratings) {

  /** The 19 MovieLens 100K genres, in the order of the {@code u.item} flags. */
  public static final List<String> GENRES =
      List.of(
          "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
          "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
          "Romance", "Sci-Fi", "Thriller", "War", "Western");

  /** The 21 MovieLens 100K occupations, as in {@code u.occupation}. */
  public static final List<String> OCCUPATIONS =
      List.of(
          "administrator", "artist", "doctor", "educator", "engineer", "entertainment",
          "executive", "healthcare", "homemaker", "lawyer", "librarian", "marketing", "none",
          "other", "programmer", "retired", "salesman", "scientist", "student", "technician",
          "writer");

  /** Name of the file holding the true probabilities. */
  public static final String TRUTH_FILE = "truth.tsv";

  public SyntheticDataset {
    users = List.copyOf(users);
    movies = List.copyOf(movies);
    ratings = List.copyOf(ratings);
  }

  /** A user profile as in {@code u.user}. */
  public record User(int id, int age, char gender, String occupation, String zip) {}

  /**
   * A movie as in {@code u.item}, plus its hidden popularity (a logit offset of every rating of
   * it).
   *
   * @param genres indices into {@link #GENRES}, ascending, at least one
   */
  public record Movie(int id, String title, String releaseDate, int[] genres, double popularity) {}

  /**
   * One rating event.
   *
   * @param pHigh the true probability that this rating is >= 4, given the user's interest at that
   *     moment and the movie's popularity
   * @param pStatic the same with the user's interest averaged over all their ratings: the best a
   *     model that ignores order can do
   */
  public record Rating(
      int user, int movie, int rating, long timestamp, double pHigh, double pStatic) {
    /** The label DIEN learns: rating >= 4. */
    public boolean high() {
      return rating >= 4;
    }
  }

  /**
   * AUCs of three scores against the sampled labels: the truth ({@code oracle}), the truth with
   * interests frozen at their per-user average ({@code staticUser}), and the movie's popularity
   * alone ({@code popularity}). A model of the stream should land between popularity and oracle;
   * beating staticUser needs the order of events.
   */
  public record Report(
      int ratings, double positiveRate, double meanPHigh, double oracleAuc, double staticUserAuc,
      double popularityAuc) {

    /** Several lines for people. */
    public String describe() {
      return String.format(
          Locale.ROOT,
          "ratings: %d, positive rate (rating >= 4): %.3f, mean p_high: %.3f%n"
              + "AUC oracle (current interest + popularity): %.4f%n"
              + "AUC static user (average interest + popularity): %.4f%n"
              + "AUC popularity only: %.4f",
          ratings, positiveRate, meanPHigh, oracleAuc, staticUserAuc, popularityAuc);
    }
  }

  /** Computes the {@link Report} over all ratings. */
  public Report report() {
    int n = ratings.size();
    float[] oracle = new float[n];
    float[] stat = new float[n];
    float[] pop = new float[n];
    int[] labels = new int[n];
    double positives = 0;
    double sumP = 0;
    for (int i = 0; i < n; i++) {
      Rating r = ratings.get(i);
      oracle[i] = (float) r.pHigh();
      stat[i] = (float) r.pStatic();
      pop[i] = (float) movies.get(r.movie() - 1).popularity();
      labels[i] = r.high() ? 1 : 0;
      positives += labels[i];
      sumP += r.pHigh();
    }
    return new Report(
        n, positives / n, sumP / n, Metrics.auc(labels, oracle), Metrics.auc(labels, stat),
        Metrics.auc(labels, pop));
  }

  /**
   * Writes all files into {@code dir} (created if needed; existing files of the same names are
   * replaced).
   *
   * @return the files written
   */
  public List<Path> writeTo(Path dir) throws IOException {
    Files.createDirectories(dir);
    List<Path> written = new ArrayList<>();
    written.add(write(dir.resolve("u.genre"), w -> {
      for (int g = 0; g < GENRES.size(); g++) {
        w.write(GENRES.get(g) + "|" + g + "\n");
      }
    }));
    written.add(write(dir.resolve("u.occupation"), w -> {
      for (String o : OCCUPATIONS) {
        w.write(o + "\n");
      }
    }));
    written.add(write(dir.resolve("u.info"), w -> {
      w.write(users.size() + " users\n");
      w.write(movies.size() + " items\n");
      w.write(ratings.size() + " ratings\n");
    }));
    written.add(write(dir.resolve("u.user"), w -> {
      for (User u : users) {
        w.write(u.id() + "|" + u.age() + "|" + u.gender() + "|" + u.occupation() + "|" + u.zip()
            + "\n");
      }
    }));
    written.add(write(dir.resolve("u.item"), w -> {
      for (Movie m : movies) {
        StringBuilder line = new StringBuilder();
        line.append(m.id()).append('|').append(m.title()).append('|').append(m.releaseDate())
            .append("||");
        boolean[] flags = new boolean[GENRES.size()];
        for (int g : m.genres()) {
          flags[g] = true;
        }
        for (boolean flag : flags) {
          line.append('|').append(flag ? '1' : '0');
        }
        w.write(line.append('\n').toString());
      }
    }));
    written.add(write(dir.resolve("u.data"), w -> {
      for (Rating r : ratings) {
        w.write(r.user() + "\t" + r.movie() + "\t" + r.rating() + "\t" + r.timestamp() + "\n");
      }
    }));
    written.add(write(dir.resolve(TRUTH_FILE), w -> {
      w.write("user\tmovie\ttimestamp\tp_high\n");
      for (Rating r : ratings) {
        w.write(r.user() + "\t" + r.movie() + "\t" + r.timestamp() + "\t"
            + String.format(Locale.ROOT, "%.6f", r.pHigh()) + "\n");
      }
    }));
    return written;
  }

  private interface Body {
    void write(Writer w) throws IOException;
  }

  private static Path write(Path file, Body body) throws IOException {
    // US-ASCII: every byte is the same in latin-1 (what MovieLens readers expect) and UTF-8.
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.US_ASCII)) {
      body.write(w);
    }
    return file;
  }
}
