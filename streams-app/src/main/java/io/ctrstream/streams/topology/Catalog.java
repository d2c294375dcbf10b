package io.ctrstream.streams.topology;

import io.ctrstream.schemas.Movie;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * The movie catalog in the global store {@code catalog}, under two key spaces:
 *
 * <ul>
 *   <li>{@code m|<movieId>}: the movie, for feature lookups (one read);
 *   <li>{@code h|<hash16>|<movieId>}: {@value #POINTS_PER_MOVIE} points per movie on a 64-bit
 *       hash ring (value: the id only), for sampling: the first point at or after a random hash
 *       is a draw, found with one range seek, with no in-memory index to rebuild. A movie's
 *       chance is the ring length its points cover; with one point that varies several-fold
 *       between movies (1 to 431 draws where 100 were expected, 50 movies), with {@value
 *       #POINTS_PER_MOVIE} points it stays near uniform (45 to 162; see CatalogTest).
 * </ul>
 *
 * Sampling is deterministic in (userId, movieId, attempt) and the catalog's content, so a replay
 * draws the same negatives.
 */
final class Catalog {
  private static final String MOVIE = "m|";
  private static final String HASHED = "h|";
  /** Just after every hex digit: the exclusive end of the hashed key space. */
  private static final String HASHED_END = "h|g";

  /** Points on the sampling ring per movie (consistent hashing's virtual nodes). */
  static final int POINTS_PER_MOVIE = 16;

  private final KeyValueStore<String, Movie> store;

  Catalog(KeyValueStore<String, Movie> store) {
    this.store = store;
  }

  static String movieKey(String movieId) {
    return MOVIE + movieId;
  }

  /** The ring keys of a movie, one per point. */
  static List<String> ringKeys(String movieId) {
    List<String> keys = new ArrayList<>(POINTS_PER_MOVIE);
    for (int point = 0; point < POINTS_PER_MOVIE; point++) {
      keys.add(HASHED + hex(hash(movieId + '\u0000' + point)) + "|" + movieId);
    }
    return keys;
  }

  /** What a ring key stores: the id only, so the ring stays small. */
  static Movie ringValue(String movieId) {
    return new Movie(movieId, "", List.of());
  }

  /** The movie, or null when the catalog does not know it (not an error: it may be new). */
  Movie get(String movieId) {
    return store.get(movieKey(movieId));
  }

  /**
   * A catalog movie accepted by {@code accept}, drawn deterministically from (userId, movieId);
   * tries {@code attempts} draws and returns null when none is accepted or the catalog is empty.
   */
  String sample(String userId, String movieId, int attempts, Predicate<String> accept) {
    long seed = hash(userId + '\u0000' + movieId);
    for (int attempt = 0; attempt < attempts; attempt++) {
      String probe = HASHED + hex(mix(seed + attempt * 0x9E3779B97F4A7C15L));
      String candidate = firstMovieFrom(probe);
      if (candidate == null) {
        candidate = firstMovieFrom(HASHED); // wrap around the hash ring
      }
      if (candidate == null) {
        return null; // empty catalog
      }
      if (accept.test(candidate)) {
        return candidate;
      }
    }
    return null;
  }

  private String firstMovieFrom(String from) {
    try (KeyValueIterator<String, Movie> it = store.range(from, HASHED_END)) {
      if (!it.hasNext()) {
        return null;
      }
      KeyValue<String, Movie> kv = it.next();
      return kv.value.movieId();
    }
  }

  /** FNV-1a over UTF-8, then a SplitMix64 finaliser: stable across JVMs, well spread. */
  static long hash(String s) {
    long h = 0xcbf29ce484222325L;
    for (byte b : s.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xff;
      h *= 0x100000001b3L;
    }
    return mix(h);
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xbf58476d1ce4e5b9L;
    z = (z ^ (z >>> 27)) * 0x94d049bb133111ebL;
    return z ^ (z >>> 31);
  }

  private static String hex(long v) {
    return String.format(Locale.ROOT, "%016x", v);
  }
}
