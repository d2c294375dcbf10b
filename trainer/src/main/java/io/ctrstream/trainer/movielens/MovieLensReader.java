package io.ctrstream.trainer.movielens;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.Reader;
import java.io.StringReader;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reads a MovieLens folder in any official layout ({@link MovieLensFormat#detect}).
 *
 * <p>Malformed lines are skipped, counted and logged once per file rather than failing a read of
 * millions of lines. Catalog files are decoded as UTF-8 when they are valid UTF-8 and as latin-1
 * otherwise: ml-100k's {@code u.item} and ml-1m's {@code movies.dat} are latin-1, the newer sets
 * UTF-8. Ratings files are ASCII.
 */
public final class MovieLensReader {

  private static final Logger LOG = LoggerFactory.getLogger(MovieLensReader.class);

  /** ml-100k's genre flag order, used when {@code u.genre} is absent. */
  static final List<String> ML_100K_GENRES =
      List.of(
          "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime",
          "Documentary", "Drama", "Fantasy", "Film-Noir", "Horror", "Musical", "Mystery",
          "Romance", "Sci-Fi", "Thriller", "War", "Western");

  private MovieLensReader() {}

  /** Reads the folder, detecting its layout. */
  public static MovieLensData read(Path dir) throws IOException {
    MovieLensFormat format = MovieLensFormat.detect(dir);
    LOG.info("reading MovieLens {} from {}", format, dir);
    return switch (format) {
      case ML_100K -> read100k(dir);
      case DAT -> readDat(dir);
      case CSV -> readCsv(dir);
    };
  }

  private static MovieLensData read100k(Path dir) throws IOException {
    List<Rating> ratings =
        readLines(
            dir.resolve("u.data"),
            false,
            f -> f.length == 4 ? rating(f[0], f[1], f[2], f[3]) : null,
            "\t");
    Map<Integer, MovieLensUser> users = new HashMap<>();
    Path userFile = dir.resolve("u.user");
    if (Files.exists(userFile)) {
      for (MovieLensUser u :
          readLines(
              userFile,
              false,
              f ->
                  f.length == 5
                      ? new MovieLensUser(
                          Integer.parseInt(f[0].trim()),
                          blankToNull(f[2]),
                          f[1].isBlank() ? null : Double.valueOf(f[1].trim()),
                          blankToNull(f[3]),
                          blankToNull(f[4]))
                      : null,
              "|")) {
        users.put(u.userId(), u);
      }
    }
    List<String> genreNames = ML_100K_GENRES;
    Path genreFile = dir.resolve("u.genre");
    if (Files.exists(genreFile)) {
      genreNames = readGenreNames(genreFile);
    }
    List<String> names = genreNames;
    Map<Integer, Movie> movies = new LinkedHashMap<>();
    Path itemFile = dir.resolve("u.item");
    if (Files.exists(itemFile)) {
      for (Movie m :
          readLines(
              itemFile,
              false,
              f -> {
                if (f.length < 5 + names.size()) {
                  return null;
                }
                List<String> genres = new ArrayList<>();
                for (int g = 0; g < names.size(); g++) {
                  if ("1".equals(f[5 + g].trim())) {
                    genres.add(names.get(g));
                  }
                }
                return new Movie(Integer.parseInt(f[0].trim()), f[1], genres);
              },
              "|")) {
        movies.put(m.movieId(), m);
      }
    }
    return new MovieLensData(MovieLensFormat.ML_100K, ratings, users, movies);
  }

  /** {@code u.genre} lines are {@code name|index}; the index is the flag position in u.item. */
  private static List<String> readGenreNames(Path file) throws IOException {
    Map<Integer, String> byIndex = new java.util.TreeMap<>();
    for (String[] f : readLines(file, false, f -> f.length == 2 ? f : null, "|")) {
      byIndex.put(Integer.parseInt(f[1].trim()), f[0]);
    }
    List<String> names = new ArrayList<>(byIndex.values());
    if (names.isEmpty()) {
      return ML_100K_GENRES;
    }
    return names;
  }

  private static MovieLensData readDat(Path dir) throws IOException {
    List<Rating> ratings =
        readLines(
            dir.resolve("ratings.dat"),
            false,
            f -> f.length == 4 ? rating(f[0], f[1], f[2], f[3]) : null,
            "::");
    Map<Integer, MovieLensUser> users = new HashMap<>();
    Path userFile = dir.resolve("users.dat");
    if (Files.exists(userFile)) {
      // UserID::Gender::Age::Occupation::Zip-code
      for (MovieLensUser u :
          readLines(
              userFile,
              false,
              f ->
                  f.length == 5
                      ? new MovieLensUser(
                          Integer.parseInt(f[0].trim()),
                          blankToNull(f[1]),
                          f[2].isBlank() ? null : Double.valueOf(f[2].trim()),
                          blankToNull(f[3]),
                          blankToNull(f[4]))
                      : null,
              "::")) {
        users.put(u.userId(), u);
      }
    }
    Map<Integer, Movie> movies = new LinkedHashMap<>();
    Path movieFile = dir.resolve("movies.dat");
    if (Files.exists(movieFile)) {
      for (Movie m : readLines(movieFile, true, MovieLensReader::datMovie, null)) {
        movies.put(m.movieId(), m);
      }
    }
    return new MovieLensData(MovieLensFormat.DAT, ratings, users, movies);
  }

  /**
   * {@code MovieID::Title::Genres}, split at the first and last {@code ::} so a title may hold
   * one.
   */
  private static Movie datMovie(String[] whole) {
    String line = whole[0];
    int first = line.indexOf("::");
    int last = line.lastIndexOf("::");
    if (first < 0 || last == first) {
      return null;
    }
    return new Movie(
        Integer.parseInt(line.substring(0, first).trim()),
        line.substring(first + 2, last),
        genres(line.substring(last + 2)));
  }

  private static MovieLensData readCsv(Path dir) throws IOException {
    List<Rating> ratings = new ArrayList<>();
    readCsvFile(
        dir.resolve("ratings.csv"),
        false,
        f -> {
          if (f.size() != 4) {
            return false;
          }
          ratings.add(rating(f.get(0), f.get(1), f.get(2), f.get(3)));
          return true;
        });
    Map<Integer, Movie> movies = new LinkedHashMap<>();
    Path movieFile = dir.resolve("movies.csv");
    if (Files.exists(movieFile)) {
      readCsvFile(
          movieFile,
          true,
          f -> {
            if (f.size() != 3) {
              return false;
            }
            Movie m = new Movie(Integer.parseInt(f.get(0).trim()), f.get(1), genres(f.get(2)));
            movies.put(m.movieId(), m);
            return true;
          });
    }
    return new MovieLensData(MovieLensFormat.CSV, ratings, Map.of(), movies);
  }

  private static List<String> genres(String field) {
    String s = field.trim();
    if (s.isEmpty() || s.equals("(no genres listed)")) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String g : s.split("\\|")) {
      if (!g.isBlank()) {
        out.add(g.trim());
      }
    }
    return out;
  }

  private static Rating rating(String user, String movie, String rating, String timestamp) {
    return new Rating(
        Integer.parseInt(user.trim()),
        Integer.parseInt(movie.trim()),
        Float.parseFloat(rating.trim()),
        Long.parseLong(timestamp.trim()));
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.trim();
  }

  /** Parses a CSV file with a header; {@code row} returns false for a malformed record. */
  private static void readCsvFile(
      Path file, boolean catalog, Function<List<String>, Boolean> row) throws IOException {
    try (Reader r = open(file, catalog)) {
      Csv csv = new Csv(r);
      List<String> header = csv.next();
      if (header == null) {
        return;
      }
      Skipped skipped = new Skipped(file);
      List<String> fields;
      long line = csv.line();
      while ((fields = csv.next()) != null) {
        boolean ok;
        try {
          ok = row.apply(fields);
        } catch (RuntimeException e) {
          ok = false;
        }
        if (!ok) {
          skipped.add(line);
        }
        line = csv.line();
      }
      skipped.log();
    }
  }

  /**
   * Reads a delimited text file line by line; {@code parse} returns null for a malformed line
   * (a parse exception counts as malformed too). With a null separator, {@code parse} gets the
   * whole line as its only field.
   */
  private static <T> List<T> readLines(
      Path file, boolean catalog, Function<String[], T> parse, String separator)
      throws IOException {
    List<T> out = new ArrayList<>();
    Skipped skipped = new Skipped(file);
    String quoted = separator == null ? null : java.util.regex.Pattern.quote(separator);
    try (BufferedReader r = open(file, catalog)) {
      String line;
      long n = 0;
      while ((line = r.readLine()) != null) {
        n++;
        if (line.isBlank()) {
          continue;
        }
        String[] fields = quoted == null ? new String[] {line} : line.split(quoted, -1);
        T value;
        try {
          value = parse.apply(fields);
        } catch (RuntimeException e) {
          value = null;
        }
        if (value == null) {
          skipped.add(n);
        } else {
          out.add(value);
        }
      }
    }
    skipped.log();
    return out;
  }

  /**
   * Ratings files are ASCII and can be large: streamed as latin-1 (every byte is a char).
   * Catalog files are small: decoded whole, as UTF-8 if valid, else latin-1.
   */
  private static BufferedReader open(Path file, boolean catalog) throws IOException {
    if (!catalog) {
      return new BufferedReader(
          new InputStreamReader(Files.newInputStream(file), StandardCharsets.ISO_8859_1),
          1 << 16);
    }
    byte[] bytes = Files.readAllBytes(file);
    String text;
    try {
      text =
          StandardCharsets.UTF_8
              .newDecoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .decode(ByteBuffer.wrap(bytes))
              .toString();
    } catch (CharacterCodingException e) {
      text = new String(bytes, StandardCharsets.ISO_8859_1);
    }
    if (!text.isEmpty() && text.charAt(0) == '\uFEFF') {
      text = text.substring(1);
    }
    return new BufferedReader(new StringReader(text));
  }

  /** Counts malformed lines of one file and logs them once. */
  private static final class Skipped {
    private final Path file;
    private long count;
    private long firstLine;

    Skipped(Path file) {
      this.file = file;
    }

    void add(long line) {
      if (count++ == 0) {
        firstLine = line;
      }
    }

    void log() {
      if (count > 0) {
        LOG.warn("{}: skipped {} malformed line(s), the first at line {}", file, count, firstLine);
      }
    }
  }
}
