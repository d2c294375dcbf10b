package io.ctrstream.streams.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstream.schemas.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Set;

/**
 * A validated {@code POST /score} body: {@code {"userId":"u1","candidates":["m1","m2"]}}.
 *
 * <ul>
 *   <li>{@code userId}: a non-empty string of at most {@code max.key.bytes} UTF-8 bytes (what the
 *       scorer accepts as an input key).
 *   <li>{@code candidates}: a non-empty array of at most {@code score.max.candidates} movie ids
 *       (more: {@link Invalid#tooLarge()}, 413), each a non-empty string of at most {@code
 *       max.key.bytes} UTF-8 bytes, no id twice (a ranking asks for each movie once; a duplicate
 *       is a caller's bug, refused rather than scored twice).
 *   <li>{@code impressionIds} (optional): an array of strings as long as {@code candidates};
 *       validated and accepted, not used yet.
 *   <li>Any other field is refused, so a misspelt field is not silently ignored.
 * </ul>
 */
public record ScoreRequest(String userId, List<String> candidates, List<String> impressionIds) {
  private static final ObjectMapper JSON = Json.mapper();
  private static final Set<String> FIELDS = Set.of("userId", "candidates", "impressionIds");

  public ScoreRequest {
    candidates = List.copyOf(candidates);
    impressionIds = impressionIds == null ? null : List.copyOf(impressionIds);
  }

  /** Why a body was refused; {@code tooLarge}: more candidates than allowed (413, else 400). */
  public static final class Invalid extends Exception {
    private final boolean tooLarge;

    Invalid(String reason, boolean tooLarge) {
      super(reason, null, false, false);
      this.tooLarge = tooLarge;
    }

    public boolean tooLarge() {
      return tooLarge;
    }
  }

  /**
   * Parses and validates {@code body}.
   *
   * @throws Invalid with a reason a caller can act on
   */
  public static ScoreRequest parse(byte[] body, int maxCandidates, int maxKeyBytes) throws Invalid {
    JsonNode root;
    try {
      root = JSON.readTree(body);
    } catch (JsonProcessingException e) {
      throw new Invalid("the body is not JSON: " + e.getOriginalMessage(), false);
    } catch (IOException e) {
      throw new Invalid("the body cannot be read: " + e.getMessage(), false);
    }
    if (root == null || !root.isObject()) {
      throw new Invalid("the body must be a JSON object {\"userId\":..., \"candidates\":[...]}", false);
    }
    for (Iterator<String> names = root.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!FIELDS.contains(name)) {
        throw new Invalid("unknown field " + quote(name) + "; fields are userId, candidates, impressionIds", false);
      }
    }
    String userId = key(root.get("userId"), "userId", maxKeyBytes);
    JsonNode c = root.get("candidates");
    if (c == null || !c.isArray()) {
      throw new Invalid("candidates must be an array of movie ids", false);
    }
    if (c.isEmpty()) {
      throw new Invalid("candidates must not be empty", false);
    }
    if (c.size() > maxCandidates) {
      throw new Invalid(c.size() + " candidates, more than score.max.candidates " + maxCandidates, true);
    }
    List<String> candidates = new ArrayList<>(c.size());
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < c.size(); i++) {
      String movieId = key(c.get(i), "candidates[" + i + "]", maxKeyBytes);
      if (!seen.add(movieId)) {
        throw new Invalid("candidates[" + i + "] " + quote(movieId) + " is a duplicate; ask for each movie once", false);
      }
      candidates.add(movieId);
    }
    List<String> impressionIds = null;
    JsonNode ids = root.get("impressionIds");
    if (ids != null && !ids.isNull()) {
      if (!ids.isArray() || ids.size() != c.size()) {
        throw new Invalid("impressionIds, when given, must be an array as long as candidates (" + c.size() + ")", false);
      }
      impressionIds = new ArrayList<>(ids.size());
      for (int i = 0; i < ids.size(); i++) {
        impressionIds.add(key(ids.get(i), "impressionIds[" + i + "]", maxKeyBytes));
      }
    }
    return new ScoreRequest(userId, candidates, impressionIds);
  }

  private static String key(JsonNode node, String what, int maxKeyBytes) throws Invalid {
    if (node == null || node.isNull()) {
      throw new Invalid(what + " is missing", false);
    }
    if (!node.isTextual()) {
      throw new Invalid(what + " must be a string, got " + node.getNodeType().name().toLowerCase(java.util.Locale.ROOT), false);
    }
    String s = node.textValue();
    if (s.isEmpty()) {
      throw new Invalid(what + " must not be empty", false);
    }
    if (!StandardCharsets.UTF_8.newEncoder().canEncode(s)) {
      throw new Invalid(what + " is not valid Unicode (an unpaired surrogate)", false);
    }
    int bytes = s.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > maxKeyBytes) {
      throw new Invalid(what + " is " + bytes + " bytes, more than max.key.bytes " + maxKeyBytes, false);
    }
    return s;
  }

  private static String quote(String s) {
    return io.ctrstream.streams.errors.LogSafe.quote(s);
  }
}
