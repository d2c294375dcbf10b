package io.ctrstream.cli.bench;

import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.Rating;
import io.ctrstream.schemas.UserProfile;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Synthetic MovieLens-1M-like data for the scoring benchmark, deterministic in its seed: {@code
 * users} profiles (ML-1M age buckets, 21 occupations, zip codes out of 3,439), {@code movies}
 * movies with one to three of the 18 ML genres, and {@code ratingsPerUser} ratings per user, about
 * 60% of them positive (&gt;= 4, as in ML), one a minute per user up to {@link #start()}, so a
 * preloaded user has a history of up to N highly rated movies. Movie ids are "1".."movies" as in
 * MovieLens.
 */
final class BenchWorkload {
  static final List<String> GENRES = List.of("Action", "Adventure", "Animation", "Children's",
      "Comedy", "Crime", "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical",
      "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western");
  static final int[] AGES = {1, 18, 25, 35, 45, 50, 56};
  static final int OCCUPATIONS = 21;
  static final int ZIPS = 3439;

  private final int movieCount;
  private final List<UserProfile> users = new ArrayList<>();
  private final List<Movie> movies = new ArrayList<>();
  private final List<Rating> ratings = new ArrayList<>();
  private final long start;
  private final double meanPositives;

  /** @param start epoch ms where the preload ends and impressions begin (e.g. now) */
  BenchWorkload(int userCount, int movieCount, int ratingsPerUser, long seed, long start) {
    this.movieCount = movieCount;
    Random r = new Random(seed);
    for (int m = 1; m <= movieCount; m++) {
      List<String> g = new ArrayList<>();
      for (int k = 0, n = 1 + r.nextInt(3); k < n; k++) {
        String genre = GENRES.get(r.nextInt(GENRES.size()));
        if (!g.contains(genre)) {
          g.add(genre);
        }
      }
      movies.add(new Movie(Integer.toString(m), "movie " + m, g));
    }
    this.start = start;
    long positives = 0;
    for (int u = 0; u < userCount; u++) {
      String id = "u" + u;
      users.add(new UserProfile(id, r.nextBoolean() ? "F" : "M", AGES[r.nextInt(AGES.length)],
          Integer.toString(r.nextInt(OCCUPATIONS)), "z" + r.nextInt(ZIPS)));
      for (int k = 0; k < ratingsPerUser; k++) {
        double stars = r.nextInt(100) < 60 ? 4 + r.nextInt(2) : 1 + r.nextInt(3);
        positives += stars >= Rating.POSITIVE_THRESHOLD ? 1 : 0;
        long ts = start - (long) (ratingsPerUser - k) * 60_000L - u;
        ratings.add(new Rating(id, Integer.toString(1 + r.nextInt(movieCount)), stars, ts));
      }
    }
    this.meanPositives = userCount == 0 ? 0 : positives / (double) userCount;
  }

  List<UserProfile> users() {
    return users;
  }

  List<Movie> movies() {
    return movies;
  }

  /** The history preload, in timestamp order per user. */
  List<Rating> ratings() {
    return ratings;
  }

  /** Epoch ms after the preload; impressions are stamped from here on. */
  long start() {
    return start;
  }

  /** Mean positive ratings per user; the history holds min(N, that) on average at most. */
  double meanPositives() {
    return meanPositives;
  }

  String movieId(Random r) {
    return Integer.toString(1 + r.nextInt(movieCount));
  }

  /**
   * Raw rows over the full id ranges (every movie, zip, occupation, genre), each with a full
   * history of {@code historyLength}: what the benchmark model's encoder is fitted on, so its
   * vocabularies have MovieLens-1M sizes whatever the number of benchmark users.
   */
  List<FeatureRow> encoderRows(int n, int historyLength, Random r) {
    List<FeatureRow> rows = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      List<String> hist = new ArrayList<>(historyLength);
      List<String> neg = new ArrayList<>(historyLength);
      for (int k = 0; k < historyLength; k++) {
        hist.add(movieId(r));
        neg.add(movieId(r));
      }
      Movie m = movies.get(i % movies.size());
      rows.add(new FeatureRow("u" + i, (double) AGES[r.nextInt(AGES.length)],
          r.nextBoolean() ? "F" : "M", Integer.toString(r.nextInt(OCCUPATIONS)),
          "z" + (i % ZIPS), m.movieId(), m.genres(), hist, neg));
    }
    return rows;
  }
}
