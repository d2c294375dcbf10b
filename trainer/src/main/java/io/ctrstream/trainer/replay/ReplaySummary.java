package io.ctrstream.trainer.replay;

/**
 * What one {@link Replayer#run()} did.
 *
 * @param counts records acknowledged by the broker, per topic, and rows skipped
 * @param seconds wall-clock time of the whole run, topic check and final flush included
 * @param eventSeconds wall-clock time of the event phase alone (pauses at checkpoints included)
 * @param completed false when the run was stopped ({@link Replayer#stop()}, interrupt) before
 *     the last rating; what was sent until then is flushed and counted
 * @param unscoredRatings when ratings await their impression's score: those sent because the
 *     wait ran out (0 otherwise)
 */
public record ReplaySummary(ReplayCounts counts, double seconds, double eventSeconds,
    boolean completed, long unscoredRatings) {

  public ReplaySummary(ReplayCounts counts, double seconds, double eventSeconds, boolean completed) {
    this(counts, seconds, eventSeconds, completed, 0);
  }

  /** Impressions and ratings per second over the event phase; 0 when there was none. */
  public double eventsPerSecond() {
    return eventSeconds > 0 ? counts.events() / eventSeconds : 0;
  }
}
