package io.ctrstream.schemas;

import java.util.List;

/**
 * Value of the {@code clicks} topic, key userId (schema {@code schemas/clicks.schema.json}): the
 * user clicked a movie shown to them by the impression {@code impressionId}. The scorer attributes
 * it to that impression (see {@code attribution.window.ms}); the movie is the impression's.
 *
 * @param timestamp epoch ms when it was clicked
 */
public record Click(String impressionId, String userId, Long timestamp) implements WireValue {

  @Override
  public List<String> validate() {
    return new Checks()
        .id("impressionId", impressionId)
        .id("userId", userId)
        .epochMillis("timestamp", timestamp)
        .done();
  }
}
