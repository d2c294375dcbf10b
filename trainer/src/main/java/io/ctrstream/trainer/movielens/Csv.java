package io.ctrstream.trainer.movielens;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A minimal RFC 4180 reader and field quoter: comma separated, fields in double quotes may hold
 * commas, doubled quotes and line breaks; records end at LF or CRLF. Enough for the reference CSV
 * and the MovieLens CSV files (titles like {@code "American President, The (1995)"}), with no
 * dependency.
 */
final class Csv {

  private final Reader in;
  private int peeked = -2;
  private long line = 1;

  Csv(Reader in) {
    this.in = in;
  }

  /** The line the next record starts on (1-based), for error messages. */
  long line() {
    return line;
  }

  /** The next record, or {@code null} at the end of input. Blank lines are skipped. */
  List<String> next() {
    int c = read();
    while (c == '\n' || c == '\r') {
      c = read();
    }
    if (c == -1) {
      return null;
    }
    List<String> fields = new ArrayList<>();
    StringBuilder field = new StringBuilder();
    boolean quoted = false;
    boolean wasQuoted = false;
    while (true) {
      if (quoted) {
        if (c == -1) {
          throw new IllegalArgumentException("unterminated quoted field before line " + line);
        }
        if (c == '"') {
          int n = peek();
          if (n == '"') {
            read();
            field.append('"');
          } else {
            quoted = false;
          }
        } else {
          field.append((char) c);
        }
      } else if (c == ',') {
        fields.add(field.toString());
        field.setLength(0);
        wasQuoted = false;
      } else if (c == '\n' || c == -1) {
        break;
      } else if (c == '\r') {
        if (peek() == '\n') {
          read();
        }
        break;
      } else if (c == '"' && field.length() == 0 && !wasQuoted) {
        quoted = true;
        wasQuoted = true;
      } else {
        field.append((char) c);
      }
      c = read();
    }
    fields.add(field.toString());
    return fields;
  }

  /** Quotes a field only when it needs it (comma, quote or line break). */
  static String quote(String value) {
    if (value == null) {
      return "";
    }
    boolean needs = false;
    for (int i = 0; i < value.length() && !needs; i++) {
      char c = value.charAt(i);
      needs = c == ',' || c == '"' || c == '\n' || c == '\r';
    }
    return needs ? '"' + value.replace("\"", "\"\"") + '"' : value;
  }

  private int peek() {
    if (peeked == -2) {
      peeked = readRaw();
    }
    return peeked;
  }

  private int read() {
    int c;
    if (peeked != -2) {
      c = peeked;
      peeked = -2;
    } else {
      c = readRaw();
    }
    if (c == '\n') {
      line++;
    }
    return c;
  }

  private int readRaw() {
    try {
      return in.read();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
