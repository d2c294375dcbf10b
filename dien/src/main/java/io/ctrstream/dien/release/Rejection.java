package io.ctrstream.dien.release;

/**
 * Why a model release was refused; the wire name is the {@code reason} tag of {@code
 * ctr.model.rejected} and the word in the rejection's log line.
 */
public enum Rejection {
  /** The release record does not decode or validate, or disagrees with its own bundle. */
  INVALID("invalid"),
  /** The bundle behind {@code bundleUri} cannot be fetched. */
  FETCH("fetch"),
  /**
   * {@code bundleUri} points outside the allowed places ({@code release.uri.allowed}), or a fetch
   * was redirected.
   */
  DISALLOWED("disallowed"),
  /** The bundle (or what it unpacks to) is larger than the configured maximum. */
  TOO_LARGE("too_large"),
  /** A public key is configured and the release carries no signature. */
  UNSIGNED("unsigned"),
  /** The release's signature does not verify with the configured public key. */
  SIGNATURE("signature"),
  /** The bundle bytes do not hash to the release's {@code sha256}. */
  CHECKSUM("checksum"),
  /** The bundle bytes are not a valid, self-consistent bundle. */
  CORRUPT("corrupt"),
  /** The bundle expects features this scorer does not produce. */
  SPEC("spec"),
  /** The model fails to load, or scores the probe batch to a non-finite value or outside [0, 1]. */
  PROBE("probe"),
  /** The release is older than the model already served. */
  STALE("stale"),
  /**
   * An unexpected failure while loading (a bug, the engine, or an {@link Error} such as running
   * out of memory); the message says more.
   */
  ERROR("error");

  private final String wireName;

  Rejection(String wireName) {
    this.wireName = wireName;
  }

  /** The metric tag and log word. */
  public String wireName() {
    return wireName;
  }
}
