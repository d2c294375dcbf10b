package io.ctrstream.schemas;

import java.util.List;

/**
 * Value of the {@code impressions} topic, key userId (schema {@code
 * schemas/impressions.schema.json}): a movie shown to a user, to be scored.
 *
 * @param timestamp epoch ms when it was shown
 */
public record Impression(String impressionId, String userId, String movieId, Long timestamp)
    implements WireValue {

  @Override
  public List<String> validate() {
    return new Checks()
        .id("impressionId", impressionId)
        .id("userId", userId)
        .id("movieId", movieId)
        .epochMillis("timestamp", timestamp)
        .done();
  }
}
