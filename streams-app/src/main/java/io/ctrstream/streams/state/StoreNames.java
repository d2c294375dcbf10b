package io.ctrstream.streams.state;

/**
 * The name of every state store, declared once and never generated, so that changelog topics
 * ({@code <application.id>-<store>-changelog}) survive changes to the topology.
 */
public final class StoreNames {
  /** userId to {@link UserState}: profile, history, aligned negatives. Logged. */
  public static final String USER_STATE = "user-state";
  /** {@link CompositeKey}(userId, movieId) to the rating's timestamp: every movie a user rated. Logged. */
  public static final String RATED = "rated-movies";
  /** {@link CompositeKey}(userId, movieId) to {@link PendingImpression}: awaiting its rating. Logged. */
  public static final String PENDING = "pending-impressions";
  /** Expiry index of {@link #PENDING}: zero-padded expiresAt + "|" + composite key to the composite key. Logged. */
  public static final String PENDING_EXPIRY = "pending-expiry";
  /**
   * Expiry index of {@link #USER_STATE} for {@code user.retention.ms}: zero-padded due time + "|" +
   * userId to the userId. Logged.
   */
  public static final String USER_EXPIRY = "user-expiry";
  /**
   * {@link CompositeKey}(userId, impressionId) to {@link AttributedImpression}: scored impressions
   * awaiting a click, then closed for one more window. Only when {@code feedback.clicks} is on. Logged.
   */
  public static final String CLICK_ATTRIBUTION = "click-attribution";
  /**
   * Expiry index of {@link #CLICK_ATTRIBUTION}: zero-padded due time + "|" + composite key to the
   * composite key. Logged.
   */
  public static final String CLICK_EXPIRY = "click-expiry";
  /** Sequence number to {@link BufferedImpression}: the micro-batch buffer. Logged, so a crash loses nothing. */
  public static final String SCORE_BUFFER = "score-buffer";
  /** The movie catalog, a global store fed by the movies topic (see {@code Catalog}). Not logged: the topic is its log. */
  public static final String CATALOG = "catalog";
  /**
   * movieId to {@code MovieStats}: each movie's counts of ratings, aggregated from the ratings
   * re-keyed by movieId ({@link #MOVIE_RATINGS_REPARTITION}). Logged; its updates go to {@code movie-stats}.
   */
  public static final String MOVIE_RATING_COUNTS = "movie-rating-counts";
  /** The {@code movie-stats} topic as a global store read by every task. Not logged: the topic is its log. */
  public static final String MOVIE_STATS = "movie-stats";
  /**
   * Name of the internal topic {@code <application.id>-movie-ratings-repartition}: valid ratings
   * re-keyed by movieId, on their way to {@link #MOVIE_RATING_COUNTS}.
   */
  public static final String MOVIE_RATINGS_REPARTITION = "movie-ratings";

  private StoreNames() {}

  /** The changelog topic Kafka Streams uses for a logged store. */
  public static String changelogTopic(String applicationId, String store) {
    return applicationId + "-" + store + "-changelog";
  }

  /** The internal topic Kafka Streams uses for a named repartition. */
  public static String repartitionTopic(String applicationId, String name) {
    return applicationId + "-" + name + "-repartition";
  }
}
