package io.ctrstream.dien.bundle;

/**
 * A model bundle cannot be used: corrupt or truncated bytes, a checksum or feature-spec
 * mismatch, or parts that disagree. The message says what is wrong; the serving side keeps its
 * old model when it sees one.
 */
public final class BundleException extends Exception {

  public BundleException(String message) {
    super(message);
  }

  public BundleException(String message, Throwable cause) {
    super(message, cause);
  }
}
