package io.ctrstream.streams.state;

import com.fasterxml.jackson.annotation.JsonCreator;
import io.ctrstream.schemas.Impression;

/**
 * An impression accepted and assembled but not yet scored: a value of the micro-batch buffer.
 *
 * @param recordTimestamp the input record's timestamp, given to the score record
 * @param sourceOffset the impression's offset in its partition of {@code impressions}, for a dead
 *     letter if it cannot be scored; null in buffers written before it was kept
 */
public record BufferedImpression(Impression impression, ServedFeatures features, long recordTimestamp,
    Long sourceOffset) {

  @JsonCreator
  public BufferedImpression {}

  public BufferedImpression(Impression impression, ServedFeatures features, long recordTimestamp) {
    this(impression, features, recordTimestamp, null);
  }
}
