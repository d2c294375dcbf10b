/**
 * The replayer: the source end of the flow. It turns a MovieLens data set into the input topics
 * of the scorer, in the order a live system would have produced them: the catalog first ({@code
 * users}, {@code movies}, compacted), then, in time order, one {@code impressions} record and the
 * matching {@code ratings} record per rating. {@link io.ctrstream.trainer.replay.Replayer} is the
 * library entry point ({@code ./ctr replay} and the demo call it); everything downstream (scorer,
 * feedback, trainer) sees only what it publishes.
 */
package io.ctrstream.trainer.replay;
