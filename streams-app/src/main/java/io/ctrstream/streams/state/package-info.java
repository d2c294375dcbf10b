/**
 * What the scorer keeps in its state stores, all in raw ids (never model indices, so a model with
 * a new vocabulary works on old state): per-user history, rated movies, pending impressions, the
 * micro-batch buffer, the catalog and the movie statistics. {@link io.ctrstream.streams.state.StoreNames} names every
 * store once.
 */
package io.ctrstream.streams.state;
