package io.ctrstream.streams.errors;

/**
 * Text from a record (keys, ids) made safe for one log line: control characters (CR, LF, ANSI
 * escapes ...) become {@code \\uXXXX}, so a hostile key cannot forge log lines, and long text is
 * cut, so a 600 KB key does not become a 600 KB log line.
 */
public final class LogSafe {
  /** Longest text logged as is; longer is cut and its length said. */
  public static final int MAX_CHARS = 200;

  private LogSafe() {}

  /** {@code s} quoted, escaped and cut; {@code null} for null. */
  public static String quote(String s) {
    if (s == null) {
      return "null";
    }
    StringBuilder sb = new StringBuilder(Math.min(s.length(), MAX_CHARS) + 16).append('"');
    int n = Math.min(s.length(), MAX_CHARS);
    for (int i = 0; i < n; i++) {
      char c = s.charAt(i);
      if (Character.isISOControl(c) || c == '\u2028' || c == '\u2029' || c == '"' || c == '\\') {
        if (c == '"' || c == '\\') {
          sb.append('\\').append(c);
        } else {
          sb.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
        }
      } else {
        sb.append(c);
      }
    }
    sb.append('"');
    if (s.length() > n) {
      sb.append("...(").append(s.length()).append(" chars)");
    }
    return sb.toString();
  }
}
