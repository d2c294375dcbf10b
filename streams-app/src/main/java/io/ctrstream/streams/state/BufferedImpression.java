package io.ctrstream.streams.state;

import io.ctrstream.schemas.Impression;

/**
 * An impression accepted and assembled but not yet scored: a value of the micro-batch buffer.
 *
 * @param recordTimestamp the input record's timestamp, given to the score record
 */
public record BufferedImpression(Impression impression, ServedFeatures features, long recordTimestamp) {}
