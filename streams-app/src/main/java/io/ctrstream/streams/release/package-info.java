/**
 * Model hot swap, off the processing threads: {@link
 * io.ctrstream.streams.release.ModelReleaseFollower} follows the compacted {@code model-releases}
 * topic, {@link io.ctrstream.streams.release.ReleaseLoader} fetches, verifies (checksum, bundle,
 * feature layout, probe batch) and loads each new release, and the verified model is handed to
 * {@link io.ctrstream.streams.model.SwappableModelProvider#release}, from where every stream task
 * swaps to it between batches. A release that fails any check is refused with a {@link
 * io.ctrstream.streams.release.Rejection} reason; the model already served keeps serving.
 */
package io.ctrstream.streams.release;
