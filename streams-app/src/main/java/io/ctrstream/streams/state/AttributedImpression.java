package io.ctrstream.streams.state;

/**
 * A scored impression awaiting its click, when click attribution is on ({@code feedback.clicks}):
 * a value of {@link StoreNames#CLICK_ATTRIBUTION}, keyed by {@link CompositeKey}(userId,
 * impressionId). Open until {@code expiresAt}; then closed (its features dropped) for one more
 * window, so that a late click is told apart from a click on an impression never seen.
 *
 * @param impressionTimestamp the impression's own timestamp, epoch ms
 * @param expiresAt last click timestamp that still counts (impressionTimestamp + window)
 * @param features what was served; null once closed
 * @param score the served score
 * @param modelVersion the model that served it
 * @param clicked whether a click was attributed to it (it counts once)
 * @param open false once its window has ended and its feedback (click or non-click) went out
 */
public record AttributedImpression(
    String userId,
    String impressionId,
    String movieId,
    long impressionTimestamp,
    long expiresAt,
    ServedFeatures features,
    Double score,
    String modelVersion,
    boolean clicked,
    boolean open) {

  /** The same impression, clicked. */
  public AttributedImpression withClick() {
    return new AttributedImpression(userId, impressionId, movieId, impressionTimestamp, expiresAt,
        features, score, modelVersion, true, open);
  }

  /** The same impression, its window over: only what a late click needs to be told so. */
  public AttributedImpression closed() {
    return new AttributedImpression(userId, impressionId, movieId, impressionTimestamp, expiresAt,
        null, score, modelVersion, clicked, false);
  }
}
