package io.ctrstream.streams.state;

/**
 * One highly rated movie in a user's history and the negative sampled for it.
 *
 * @param movieId the movie rated &gt;= 4
 * @param timestamp when it was rated, epoch ms
 * @param negative a catalog movie the user had not rated when it was drawn; "" if none could be
 */
public record HistoryEntry(String movieId, long timestamp, String negative) {}
