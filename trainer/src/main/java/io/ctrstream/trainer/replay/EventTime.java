package io.ctrstream.trainer.replay;

/**
 * Which time the replayed impressions and ratings carry (in the value and as the record
 * timestamp; the two are always equal).
 */
public enum EventTime {
  /**
   * The data set's own time: MovieLens seconds times 1000, the impression 1 ms before its
   * rating. Faithful, but on topics with time-based retention (the default 7 days for {@code
   * impressions} and {@code ratings}, 365 days for {@code feedback}) a broker deletes records
   * from 1997 within minutes of a segment roll, so read them while they are fresh or give the
   * topics {@code retention.ms=-1}.
   */
  DATASET,
  /**
   * The wall-clock time each record is sent, as live traffic would carry: non-decreasing in send
   * order, the rating at least 1 ms after its impression. The order and the ids are the data
   * set's; only the gaps between events become the replay's own, so retention behaves as in
   * production.
   */
  LIVE
}
