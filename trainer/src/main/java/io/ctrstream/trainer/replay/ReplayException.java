package io.ctrstream.trainer.replay;

/**
 * A replay that could not finish: the cluster refused records, was unreachable, or a topic is
 * missing. {@link #partial()} says what had been acknowledged when it stopped, so a caller can
 * tell a user how far it got.
 */
public final class ReplayException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient ReplaySummary partial;

  public ReplayException(String message, Throwable cause, ReplaySummary partial) {
    super(message, cause);
    this.partial = partial;
  }

  /** Records acknowledged before the failure. */
  public ReplaySummary partial() {
    return partial;
  }
}
