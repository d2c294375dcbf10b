package io.ctrstream.streams.state;

/**
 * A scored impression awaiting its rating, with what was served. Written when its batch is
 * scored (an impression still in the micro-batch buffer is not pending yet).
 *
 * @param impressionTimestamp the impression's own timestamp, epoch ms
 * @param expiresAt last rating timestamp that still joins it (impressionTimestamp + window)
 * @param score the served score
 * @param modelVersion the model that served it
 */
public record PendingImpression(
    String impressionId,
    long impressionTimestamp,
    long expiresAt,
    ServedFeatures features,
    Double score,
    String modelVersion) {

  /** Whether a rating at {@code ratingTimestamp} belongs to this impression. */
  public boolean joins(long ratingTimestamp) {
    return ratingTimestamp >= impressionTimestamp && ratingTimestamp <= expiresAt;
  }
}
