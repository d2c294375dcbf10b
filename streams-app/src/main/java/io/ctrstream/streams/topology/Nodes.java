package io.ctrstream.streams.topology;

/** Names of the topology's nodes, declared once; processors forward to sinks by these names. */
final class Nodes {
  static final String MOVIES_SOURCE = "movies-source";
  static final String CATALOG_UPDATER = "catalog-updater";
  static final String USERS_SOURCE = "users-source";
  static final String USERS_DECODER = "users-decoder";
  static final String RATINGS_SOURCE = "ratings-source";
  static final String RATINGS_DECODER = "ratings-decoder";
  static final String IMPRESSIONS_SOURCE = "impressions-source";
  static final String IMPRESSIONS_DECODER = "impressions-decoder";
  static final String CLICKS_SOURCE = "clicks-source";
  static final String CLICKS_DECODER = "clicks-decoder";
  static final String USER_EVENTS = "user-events";
  static final String MOVIE_RATINGS_BY_MOVIE = "movie-ratings-by-movie";
  static final String MOVIE_STATS_AGGREGATOR = "movie-stats-aggregator";
  static final String MOVIE_STATS_SINK = "movie-stats-sink";
  static final String MOVIE_STATS_SOURCE = "movie-stats-source";
  static final String MOVIE_STATS_UPDATER = "movie-stats-updater";
  static final String SCORES_SINK = "scores-sink";
  static final String FEEDBACK_SINK = "feedback-sink";
  static final String DEAD_LETTERS_SINK = "dead-letters-sink";

  private Nodes() {}
}
