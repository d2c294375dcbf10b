package io.ctrstream.schemas;

import java.util.List;

/**
 * Value of the {@code scores} topic, key userId (schema {@code schemas/scores.schema.json}): the
 * probability of a positive for one impression and the model that produced it.
 *
 * @param modelVersion the model's version, {@value #PRIOR_VERSION} when no model was released yet
 * @param prior true when the score is the configured prior (no model released yet)
 * @param impressionTimestamp the impression's own timestamp, epoch ms
 * @param scoredAt wall-clock epoch ms of scoring
 */
public record Score(
    String impressionId,
    String userId,
    String movieId,
    Double score,
    String modelVersion,
    Boolean prior,
    Long impressionTimestamp,
    Long scoredAt)
    implements WireValue {

  /** The model version reported by scores made before any model was released. */
  public static final String PRIOR_VERSION = "prior";

  @Override
  public List<String> validate() {
    return new Checks()
        .id("impressionId", impressionId)
        .id("userId", userId)
        .id("movieId", movieId)
        .range("score", score, 0, 1)
        .id("modelVersion", modelVersion)
        .present("prior", prior)
        .epochMillis("impressionTimestamp", impressionTimestamp)
        .epochMillis("scoredAt", scoredAt)
        .done();
  }
}
