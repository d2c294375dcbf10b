package io.ctrstream.streams.state;

import io.ctrstream.dien.features.UserGenreStats;
import io.ctrstream.schemas.UserGenre;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * One user's decayed genre counters, as {@link UserGenreStats} defines them: per raw genre name
 * (never a model index) a count of ratings and of high ratings at the two decays, and the two
 * decayed totals. Each of the user's ratings multiplies every counter by its decay, then adds 1 to
 * the ratings (and 1 to the positives, for a high rating) of each of the rated movie's genres and 1
 * to the totals.
 *
 * <p>At most {@value #MAX_GENRES} genres are kept: past that, the genres with the smallest long
 * rating counter are dropped, so a catalog with endless genre names cannot grow a user's state
 * without limit.
 *
 * @param genres genre name to its counters, sorted by name (a stable JSON form)
 */
public record GenreCounters(double recentTotal, double longTotal, Map<String, Counts> genres) {

  /** Genres kept per user. */
  public static final int MAX_GENRES = 64;

  /** A user with no rating yet. */
  public static final GenreCounters EMPTY = new GenreCounters(0, 0, Map.of());

  /** The decayed counters of one genre. */
  public record Counts(double recentRatings, double recentPositives, double longRatings,
      double longPositives) {}

  public GenreCounters {
    genres = genres == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(genres));
  }

  /** The counters after one more rating of a movie with {@code movieGenres}. */
  public GenreCounters afterRating(Collection<String> movieGenres, boolean positive) {
    double recent = UserGenreStats.RECENT_DECAY;
    double longDecay = UserGenreStats.LONG_DECAY;
    Map<String, Counts> next = new TreeMap<>();
    genres.forEach((g, c) -> next.put(g, new Counts(c.recentRatings() * recent,
        c.recentPositives() * recent, c.longRatings() * longDecay, c.longPositives() * longDecay)));
    double hit = positive ? 1 : 0;
    for (String g : distinct(movieGenres)) {
      Counts c = next.getOrDefault(g, new Counts(0, 0, 0, 0));
      next.put(g, new Counts(c.recentRatings() + 1, c.recentPositives() + hit,
          c.longRatings() + 1, c.longPositives() + hit));
    }
    if (next.size() > MAX_GENRES) {
      List<String> smallestFirst = new ArrayList<>(next.keySet());
      smallestFirst.sort(Comparator.comparingDouble((String g) -> next.get(g).longRatings())
          .thenComparing(Comparator.reverseOrder()));
      smallestFirst.subList(0, next.size() - MAX_GENRES).forEach(next::remove);
    }
    return new GenreCounters(recentTotal * recent + 1, longTotal * longDecay + 1, next);
  }

  /**
   * The statistics served for a candidate with {@code candidateGenres}: the means of the per-genre
   * counters over its distinct genres (a genre the user never rated counts 0; 0 for a candidate
   * without genres), and the totals.
   */
  public UserGenre servedFor(Collection<String> candidateGenres) {
    Set<String> candidate = distinct(candidateGenres);
    double rr = 0;
    double rp = 0;
    double lr = 0;
    double lp = 0;
    for (String g : candidate) {
      Counts c = genres.get(g);
      if (c != null) {
        rr += c.recentRatings();
        rp += c.recentPositives();
        lr += c.longRatings();
        lp += c.longPositives();
      }
    }
    int n = Math.max(1, candidate.size());
    return new UserGenre(rp / n, rr / n, recentTotal, lp / n, lr / n, longTotal);
  }

  private static Set<String> distinct(Collection<String> genres) {
    return genres == null ? Set.of() : new LinkedHashSet<>(genres);
  }
}
