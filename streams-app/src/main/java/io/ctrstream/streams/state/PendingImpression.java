package io.ctrstream.streams.state;

/**
 * An impression awaiting its rating, with what was served. Written when the impression is
 * buffered (score still null) and completed when its batch is scored.
 *
 * @param impressionTimestamp the impression's own timestamp, epoch ms
 * @param expiresAt last rating timestamp that still joins it (impressionTimestamp + window)
 * @param score the served score; null while the impression is still in the buffer
 * @param modelVersion the model that served it; null while unscored
 */
public record PendingImpression(
    String impressionId,
    long impressionTimestamp,
    long expiresAt,
    ServedFeatures features,
    Double score,
    String modelVersion) {

  public boolean scored() {
    return score != null;
  }

  public PendingImpression withScore(double servedScore, String version) {
    return new PendingImpression(impressionId, impressionTimestamp, expiresAt, features, servedScore, version);
  }

  /** Whether a rating at {@code ratingTimestamp} belongs to this impression. */
  public boolean joins(long ratingTimestamp) {
    return ratingTimestamp >= impressionTimestamp && ratingTimestamp <= expiresAt;
  }
}
