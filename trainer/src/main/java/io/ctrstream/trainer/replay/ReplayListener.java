package io.ctrstream.trainer.replay;

/**
 * Follows a replay, e.g. to draw a progress bar. Every method is called on the replaying thread,
 * so it must be cheap; {@link #onPhaseEnd} may block on purpose to hold the replay (the next
 * phase starts when it returns).
 */
public interface ReplayListener {

  /** A listener that ignores everything. */
  ReplayListener NONE = new ReplayListener() {};

  /**
   * A phase begins.
   *
   * @param records how many records the phase will send (impressions and ratings for {@link
   *     ReplayPhase#EVENTS}), before any is skipped
   */
  default void onPhaseStart(ReplayPhase phase, long records) {}

  /**
   * Records were handed to the producer (not yet acknowledged).
   *
   * @param done records of this phase sent or skipped so far
   * @param records the phase's total, as given to {@link #onPhaseStart}
   */
  default void onProgress(ReplayPhase phase, long done, long records) {}

  /** A phase is flushed: everything it sent is acknowledged and counted in {@code published}. */
  default void onPhaseEnd(ReplayPhase phase, ReplayCounts published) {}
}
