package io.ctrstream.trainer.service;

/**
 * A release record is larger than what may be sent: the producer's {@code max.request.size} or the
 * topic's {@code max.message.bytes}. Thrown before anything is sent, so nothing is half-sent.
 */
public final class ReleaseTooLargeException extends Exception {

  private final long recordBytes;
  private final long limitBytes;

  public ReleaseTooLargeException(String message, long recordBytes, long limitBytes) {
    super(message);
    this.recordBytes = recordBytes;
    this.limitBytes = limitBytes;
  }

  /** Size of the refused record (key, value and batch overhead). */
  public long recordBytes() {
    return recordBytes;
  }

  /** The limit it exceeded. */
  public long limitBytes() {
    return limitBytes;
  }
}
