package io.ctrstream.trainer.replay;

/**
 * Records of one replay, per topic. Counts handed out by {@link Replayer} are acknowledged by the
 * broker (acks=all), not merely sent.
 *
 * @param skipped source rows not published because they do not make a valid wire value (a rating
 *     skipped this way also drops its impression); they are logged
 */
public record ReplayCounts(long users, long movies, long impressions, long ratings, long skipped) {

  public static final ReplayCounts ZERO = new ReplayCounts(0, 0, 0, 0, 0);

  /** Impressions plus ratings: the events the speed setting paces. */
  public long events() {
    return impressions + ratings;
  }

  /** Every record published, catalog included. */
  public long records() {
    return users + movies + impressions + ratings;
  }
}
