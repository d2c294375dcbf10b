/**
 * Model hot swap, off the processing threads: {@link
 * io.ctrstream.streams.release.ModelReleaseFollower} follows the compacted {@code model-releases}
 * topic, {@link io.ctrstream.streams.release.ReleaseLoader} has each new release checked by the
 * shared {@link io.ctrstream.dien.release.ReleaseVerifier} (bundle place and size, checksum,
 * signature, bundle, feature layout, probe batch) and loads it, and the verified model is handed to
 * {@link io.ctrstream.streams.model.SwappableModelProvider#release}, from where every stream task
 * swaps to it between batches. A release that fails any check is refused with a {@link
 * io.ctrstream.dien.release.Rejection} reason; the model already served keeps serving.
 */
package io.ctrstream.streams.release;
