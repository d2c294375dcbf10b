package io.ctrstream.trainer.movielens;

import io.ctrstream.dien.features.LabeledRow;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The reference CSV ({@code train.csv}/{@code test.csv} of the DIEN MovieLens notebook): a header
 * {@code userId,movieId,ratting,timestamp,last,histHighRatedMovieIds,negHistMovieIds,gender,age,
 * occupation,zipCode,title,genres,label}, one row per example, list columns joined with {@code |}
 * in time order, titles quoted when they hold a comma.
 *
 * <p>The reader finds columns by header name, so files written by pandas (any column order,
 * {@code 4.0} for {@code 4}, empty or {@code nan} for a missing value) read too. A row that
 * cannot be parsed is skipped and counted, with its line number logged once.
 */
public final class ReferenceCsv {

  private static final Logger LOG = LoggerFactory.getLogger(ReferenceCsv.class);

  /** The columns, in the order the reference wrote them. */
  public static final List<String> COLUMNS =
      List.of(
          "userId", "movieId", "ratting", "timestamp", "last", "histHighRatedMovieIds",
          "negHistMovieIds", "gender", "age", "occupation", "zipCode", "title", "genres", "label");

  private static final List<String> REQUIRED =
      List.of("userId", "movieId", "histHighRatedMovieIds", "negHistMovieIds", "label");

  private ReferenceCsv() {}

  /** Reads a reference CSV file (UTF-8). */
  public static List<ReferenceRow> read(Path file) throws IOException {
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      return read(r, file.toString());
    }
  }

  /** Reads a reference CSV file straight into model rows. */
  public static List<LabeledRow> readLabeled(Path file) throws IOException {
    return read(file).stream().map(ReferenceRow::toLabeledRow).toList();
  }

  /**
   * Reads reference CSV text.
   *
   * @param source a name for messages (a file name)
   * @throws IllegalArgumentException when the header lacks a required column
   */
  public static List<ReferenceRow> read(Reader in, String source) {
    Csv csv = new Csv(in);
    List<String> header = csv.next();
    if (header == null) {
      throw new IllegalArgumentException(source + " is empty: expected a header " + COLUMNS);
    }
    Map<String, Integer> col = new HashMap<>();
    for (int i = 0; i < header.size(); i++) {
      String name = header.get(i).trim();
      if (i == 0 && name.startsWith("\uFEFF")) {
        name = name.substring(1);
      }
      col.putIfAbsent(name, i);
    }
    for (String required : REQUIRED) {
      if (!col.containsKey(required)) {
        throw new IllegalArgumentException(
            source + " has no column '" + required + "'; its header is " + header
                + "; expected the reference columns " + COLUMNS);
      }
    }
    List<ReferenceRow> rows = new ArrayList<>();
    long skipped = 0;
    long firstSkipped = 0;
    String firstReason = null;
    long line = csv.line();
    List<String> f;
    while ((f = csv.next()) != null) {
      try {
        rows.add(parse(f, col));
      } catch (RuntimeException e) {
        if (skipped++ == 0) {
          firstSkipped = line;
          firstReason = e.getMessage();
        }
      }
      line = csv.line();
    }
    if (skipped > 0) {
      LOG.warn(
          "{}: skipped {} malformed row(s), the first at line {}: {}",
          source, skipped, firstSkipped, firstReason);
    }
    return rows;
  }

  private static ReferenceRow parse(List<String> f, Map<String, Integer> col) {
    String userId = required(f, col, "userId");
    String movieId = integral(required(f, col, "movieId"));
    String rating = value(f, col, "ratting");
    String label = required(f, col, "label");
    int labelValue = (int) Double.parseDouble(label);
    String ts = value(f, col, "timestamp");
    String age = value(f, col, "age");
    return new ReferenceRow(
        integral(userId),
        movieId,
        rating == null ? Double.NaN : Double.parseDouble(rating),
        ts == null ? 0L : (long) Double.parseDouble(ts),
        list(value(f, col, "histHighRatedMovieIds")),
        list(value(f, col, "negHistMovieIds")),
        value(f, col, "gender"),
        age == null ? null : Double.valueOf(age),
        integralOrNull(value(f, col, "occupation")),
        value(f, col, "zipCode"),
        value(f, col, "title"),
        list(value(f, col, "genres")),
        labelValue);
  }

  private static String required(List<String> f, Map<String, Integer> col, String name) {
    String v = value(f, col, name);
    if (v == null) {
      throw new IllegalArgumentException("missing " + name);
    }
    return v;
  }

  /** A trimmed value, or null when the column is absent, empty or pandas' {@code nan}. */
  private static String value(List<String> f, Map<String, Integer> col, String name) {
    Integer i = col.get(name);
    if (i == null || i >= f.size()) {
      return null;
    }
    String v = f.get(i).trim();
    return v.isEmpty() || v.equalsIgnoreCase("nan") ? null : v;
  }

  /** pandas may write an id column that held a missing value as a float: {@code 12.0}. */
  private static String integral(String v) {
    return v.endsWith(".0") && v.length() > 2 && v.substring(0, v.length() - 2).matches("-?\\d+")
        ? v.substring(0, v.length() - 2)
        : v;
  }

  private static String integralOrNull(String v) {
    return v == null ? null : integral(v);
  }

  private static List<String> list(String v) {
    if (v == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String s : v.split("\\|")) {
      String t = s.trim();
      if (!t.isEmpty() && !t.equalsIgnoreCase("nan")) {
        out.add(integral(t));
      }
    }
    return out;
  }

  /** Writes rows with the reference header (UTF-8, LF line ends). */
  public static void write(Path file, List<ReferenceRow> rows) throws IOException {
    Path parent = file.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    try (BufferedWriter w = Files.newBufferedWriter(file, StandardCharsets.UTF_8)) {
      write(w, rows);
    }
  }

  /** Writes rows with the reference header. */
  public static void write(Writer w, List<ReferenceRow> rows) throws IOException {
    w.write(String.join(",", COLUMNS));
    w.write('\n');
    for (ReferenceRow r : rows) {
      List<String> fields =
          Arrays.asList(
              r.userId(),
              r.movieId(),
              number(r.rating()),
              Long.toString(r.timestamp()),
              "1",
              String.join("|", r.history()),
              String.join("|", r.negatives()),
              r.gender(),
              r.age() == null ? null : number(r.age()),
              r.occupation(),
              r.zipCode(),
              r.title(),
              String.join("|", r.genres()),
              Integer.toString(r.label()));
      StringBuilder line = new StringBuilder();
      for (int i = 0; i < fields.size(); i++) {
        if (i > 0) {
          line.append(',');
        }
        line.append(Csv.quote(fields.get(i)));
      }
      line.append('\n');
      w.write(line.toString());
    }
  }

  /** {@code 4} for whole numbers (as the reference wrote ratings), {@code 3.5} otherwise. */
  private static String number(double v) {
    if (Double.isNaN(v)) {
      return null;
    }
    if (v == Math.rint(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return String.format(Locale.ROOT, "%s", v);
  }
}
