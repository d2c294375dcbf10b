package io.ctrstream.dien.release;

import java.util.Objects;

/** A release that must not be served: the {@link Rejection} reason and a message saying what is wrong. */
public final class ReleaseRejectedException extends Exception {
  private final Rejection reason;

  public ReleaseRejectedException(Rejection reason, String message) {
    this(reason, message, null);
  }

  public ReleaseRejectedException(Rejection reason, String message, Throwable cause) {
    super(message, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
  }

  public Rejection reason() {
    return reason;
  }
}
