/**
 * Release checks shared by the scorer and the trainer: where a bundle may come from ({@link
 * io.ctrstream.dien.release.BundleUriPolicy}), how large it may be, who signed it ({@link
 * io.ctrstream.dien.release.ReleaseSignature}), and whether it loads and scores a probe batch
 * ({@link io.ctrstream.dien.release.ReleaseVerifier}). A release that fails any check is refused
 * with a {@link io.ctrstream.dien.release.Rejection} reason; both sides decide the same way which
 * release is live. No Kafka here: callers pass the release record's fields as {@link
 * io.ctrstream.dien.release.ReleaseClaims}.
 */
package io.ctrstream.dien.release;
