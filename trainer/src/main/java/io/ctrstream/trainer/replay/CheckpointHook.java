package io.ctrstream.trainer.replay;

/**
 * Called when a given fraction of the ratings is published, e.g. to start a training run at 20 %
 * of the stream and every 10 % after (see {@link Checkpoints}).
 *
 * <p>Called on the replaying thread after a flush, so every record counted in {@code published}
 * is in Kafka when the hook runs. The replay waits for the hook to return (pacing then resumes
 * without a burst), so a hook that should not hold the stream hands its work to another thread.
 * A hook that throws stops the replay; the exception reaches the caller of {@link Replayer#run()}.
 */
@FunctionalInterface
public interface CheckpointHook {

  /**
   * @param fraction the checkpoint reached, in (0, 1]
   * @param published records acknowledged so far
   */
  void onCheckpoint(double fraction, ReplayCounts published);
}
