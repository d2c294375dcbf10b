package io.ctrstream.cli.chaos;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstream.schemas.FailureKind;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The hostile input corpus: records for the four input topics, each with the outcome the scorer
 * documents for it. The default corpus is the resource {@value #RESOURCE} (in the jar); its
 * header describes the format, one JSON object a line:
 *
 * <ul>
 *   <li>{@code name} (unique), {@code topic} (users, movies, impressions, ratings);
 *   <li>{@code key} and {@code value}: a string (UTF-8 text), null, {@code {"base64": ...}},
 *       {@code {"text": ..., "charset": ...}} or {@code {"prefix", "repeat", "times", "suffix"}}
 *       (a generated text, for huge keys and values); {@code ${now}}, {@code ${now+N}} and
 *       {@code ${now-N}} in text stand for the run's start in epoch ms;
 *   <li>{@code timestamp}: the record timestamp; {@code partition}: a number or {@code "wrong"};
 *   <li>{@code expect}: {@code {"kind", "reason"}} (dead-lettered with that kind, the reason
 *       containing that fragment), {@code "scored"} (a valid impression: exactly one score),
 *       {@code "accepted"} (valid, no dead letter) or {@code "refused"} (the broker refuses it).
 * </ul>
 */
public final class HostileCorpus {
  /** The corpus shipped with the launcher. */
  public static final String RESOURCE = "/chaos/hostile-input.jsonl";

  private static final Pattern NOW = Pattern.compile("\\$\\{now(?:([+-])(\\d+))?}");

  /** The four input topics. */
  public enum Input {
    USERS, MOVIES, IMPRESSIONS, RATINGS;

    public String wireName() {
      return name().toLowerCase(Locale.ROOT);
    }

    static Input parse(String s) {
      for (Input i : values()) {
        if (i.wireName().equals(s)) {
          return i;
        }
      }
      throw new IllegalArgumentException("topic must be users, movies, impressions or ratings, got " + s);
    }
  }

  /** What the scorer must do with a record. */
  public enum Outcome { DEAD_LETTERED, SCORED, ACCEPTED, REFUSED }

  /**
   * The expected outcome.
   *
   * @param kind the dead letter's kind (DEAD_LETTERED only)
   * @param reason a fragment of the dead letter's reason (DEAD_LETTERED only, may be empty)
   */
  public record Expect(Outcome outcome, FailureKind kind, String reason) {}

  /**
   * One corpus line, its text still holding {@code ${now}}: {@link #key(long)} and {@link
   * #value(long)} give the bytes for a run started at {@code now}.
   *
   * @param partition the partition to send to; null: the producer's partitioner (0 for a null
   *     key); -1: any partition but the one murmur2 gives the key
   */
  public record Entry(int line, String name, Input topic, JsonNode keySpec, JsonNode valueSpec,
      Long timestamp, Integer partition, Expect expect, String note) {
    public static final int WRONG_PARTITION = -1;

    public byte[] key(long now) {
      return bytes(keySpec, now);
    }

    public byte[] value(long now) {
      return bytes(valueSpec, now);
    }

    public boolean hostile() {
      return expect.outcome() == Outcome.DEAD_LETTERED;
    }
  }

  private final List<Entry> entries;

  private HostileCorpus(List<Entry> entries) {
    this.entries = List.copyOf(entries);
  }

  public List<Entry> entries() {
    return entries;
  }

  /** Records expected to be dead-lettered. */
  public List<Entry> hostile() {
    return entries.stream().filter(Entry::hostile).toList();
  }

  /** The corpus shipped with the launcher. */
  public static HostileCorpus bundled() {
    try (InputStream in = HostileCorpus.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the launcher jar lacks " + RESOURCE);
      }
      return parse(in, RESOURCE);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A corpus file of the same format. */
  public static HostileCorpus load(Path file) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return parse(in, file.toString());
    }
  }

  /**
   * Parses a corpus.
   *
   * @throws IllegalArgumentException naming the line, for anything malformed
   */
  public static HostileCorpus parse(InputStream in, String source) throws IOException {
    ObjectMapper json = new ObjectMapper();
    List<Entry> entries = new ArrayList<>();
    Set<String> names = new HashSet<>();
    BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    String text;
    int line = 0;
    while ((text = r.readLine()) != null) {
      line++;
      if (text.isBlank() || text.startsWith("#")) {
        continue;
      }
      try {
        Entry e = entry(line, json.readTree(text));
        if (!names.add(e.name())) {
          throw new IllegalArgumentException("name " + e.name() + " is used twice");
        }
        entries.add(e);
      } catch (IOException | RuntimeException e) {
        throw new IllegalArgumentException(source + " line " + line + ": " + e.getMessage(), e);
      }
    }
    return new HostileCorpus(entries);
  }

  private static Entry entry(int line, JsonNode n) {
    String name = text(n, "name");
    Input topic = Input.parse(text(n, "topic"));
    if (!n.has("key") || !n.has("value")) {
      throw new IllegalArgumentException("key and value are required (null for none)");
    }
    JsonNode key = n.get("key");
    JsonNode value = n.get("value");
    bytes(key, 0); // fails now on a malformed spec
    bytes(value, 0);
    Long timestamp = n.hasNonNull("timestamp") ? n.get("timestamp").asLong() : null;
    Integer partition = null;
    if (n.hasNonNull("partition")) {
      JsonNode p = n.get("partition");
      if (p.isTextual() && p.asText().equals("wrong")) {
        partition = Entry.WRONG_PARTITION;
      } else if (p.canConvertToInt() && p.asInt() >= 0) {
        partition = p.asInt();
      } else {
        throw new IllegalArgumentException("partition must be a number >= 0 or \"wrong\", got " + p);
      }
    }
    JsonNode e = n.get("expect");
    Expect expect;
    if (e == null) {
      throw new IllegalArgumentException("expect is required");
    } else if (e.isObject()) {
      expect = new Expect(Outcome.DEAD_LETTERED, FailureKind.fromWire(text(e, "kind")),
          e.hasNonNull("reason") ? e.get("reason").asText() : "");
    } else if (e.isTextual() && List.of("scored", "accepted", "refused").contains(e.asText())) {
      expect = new Expect(Outcome.valueOf(e.asText().toUpperCase(Locale.ROOT)), null, null);
    } else {
      throw new IllegalArgumentException("expect must be {\"kind\", \"reason\"}, \"scored\", \"accepted\""
          + " or \"refused\", got " + e);
    }
    if (expect.outcome() == Outcome.SCORED && topic != Input.IMPRESSIONS) {
      throw new IllegalArgumentException("only impressions are scored");
    }
    return new Entry(line, name, topic, key, value, timestamp, partition, expect,
        n.hasNonNull("note") ? n.get("note").asText() : null);
  }

  private static String text(JsonNode n, String field) {
    JsonNode v = n.get(field);
    if (v == null || !v.isTextual() || v.asText().isEmpty()) {
      throw new IllegalArgumentException(field + " must be a non-empty string");
    }
    return v.asText();
  }

  /** The bytes a key or value spec stands for at {@code now}; null for JSON null. */
  static byte[] bytes(JsonNode spec, long now) {
    if (spec == null || spec.isNull()) {
      return null;
    }
    if (spec.isTextual()) {
      return substitute(spec.asText(), now).getBytes(StandardCharsets.UTF_8);
    }
    if (!spec.isObject()) {
      throw new IllegalArgumentException("a key or value is a string, null or an object, got " + spec);
    }
    if (spec.has("base64")) {
      return Base64.getDecoder().decode(spec.get("base64").asText());
    }
    Charset charset = spec.hasNonNull("charset") ? Charset.forName(spec.get("charset").asText())
        : StandardCharsets.UTF_8;
    if (spec.has("text")) {
      return substitute(spec.get("text").asText(), now).getBytes(charset);
    }
    if (spec.has("repeat")) {
      int times = spec.path("times").asInt(-1);
      if (times < 0 || times > 10_000_000) {
        throw new IllegalArgumentException("times must be 0 to 10000000, got " + spec.get("times"));
      }
      String text = spec.path("prefix").asText("") + spec.get("repeat").asText().repeat(times)
          + spec.path("suffix").asText("");
      return substitute(text, now).getBytes(charset);
    }
    throw new IllegalArgumentException("an object key or value needs base64, text or repeat: " + spec);
  }

  static String substitute(String text, long now) {
    Matcher m = NOW.matcher(text);
    if (!m.find()) {
      return text;
    }
    StringBuilder sb = new StringBuilder();
    do {
      long v = now;
      if (m.group(1) != null) {
        long d = Long.parseLong(m.group(2));
        v = m.group(1).equals("+") ? now + d : now - d;
      }
      m.appendReplacement(sb, Long.toString(v));
    } while (m.find());
    m.appendTail(sb);
    return sb.toString();
  }

  @Override
  public String toString() {
    return "HostileCorpus[" + entries.size() + " records, " + hostile().size() + " hostile]";
  }
}
