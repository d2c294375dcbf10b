/**
 * What happens to a record that cannot be used: Kafka Streams' deserialization, processing and
 * production exception handlers route it to {@code dead-letters} through an {@link
 * io.ctrstream.streams.errors.ErrorSink} (or count and skip it where nothing can be written), so
 * the stream thread goes on instead of dying on the same record again and again; the timestamp
 * extractor never stops a task; log lines escape what a hostile record could inject.
 */
package io.ctrstream.streams.errors;
