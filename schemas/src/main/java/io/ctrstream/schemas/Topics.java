package io.ctrstream.schemas;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

/**
 * The one registry of topics: every topic name in the project comes from here, prefixed so that
 * several deployments can share a cluster. All keys are plain strings.
 *
 * <p>{@code users}, {@code impressions}, {@code ratings} and {@code clicks} are co-partitioned by userId (the
 * scorer joins them in one task), so they, and the user-keyed outputs, share {@link
 * Builder#optUserPartitions(int)}. {@code users}, {@code movies}, {@code movie-stats}, {@code
 * model-releases} and {@code model-release-history} are compacted: the latest value per key is the state. {@code movie-stats} is
 * written by the scorer itself (its counts of each movie's ratings) and has the user-keyed
 * partition count, as the internal topic its counts are aggregated from does.
 *
 * <pre>{@code
 * Topics topics = Topics.builder().optPrefix("staging.").build();
 * builder.stream(topics.impressions().name(), ...);
 * admin.createTopics(topics.newTopics((short) 3));
 * }</pre>
 */
public final class Topics {
  /** Topic names allow these characters; the prefix must too. */
  private static final Pattern LEGAL = Pattern.compile("[a-zA-Z0-9._-]*");

  private static final Map<String, String> COMPACT =
      Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT);

  private final String prefix;
  private final TopicSpec<String, UserProfile> users;
  private final TopicSpec<String, Movie> movies;
  private final TopicSpec<String, Impression> impressions;
  private final TopicSpec<String, Rating> ratings;
  private final TopicSpec<String, Click> clicks;
  private final TopicSpec<String, Score> scores;
  private final TopicSpec<String, Feedback> feedback;
  private final TopicSpec<String, MovieStats> movieStats;
  private final TopicSpec<String, ModelRelease> modelReleases;
  private final TopicSpec<String, ModelRelease> modelReleaseHistory;
  private final TopicSpec<String, DeadLetter> deadLetters;

  private Topics(Builder b) {
    this.prefix = b.prefix;
    Serde<String> key = Serdes.String();
    Map<String, String> delete = Map.of(TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE);
    users = spec("users", key, UserProfile.class, b.userPartitions, COMPACT);
    movies = spec("movies", key, Movie.class, b.catalogPartitions, COMPACT);
    impressions = spec("impressions", key, Impression.class, b.userPartitions, delete);
    ratings = spec("ratings", key, Rating.class, b.userPartitions, delete);
    clicks = spec("clicks", key, Click.class, b.userPartitions, delete);
    scores = spec("scores", key, Score.class, b.userPartitions, delete);
    feedback = spec("feedback", key, Feedback.class, b.userPartitions, Map.of(
        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_DELETE,
        TopicConfig.RETENTION_MS_CONFIG, Long.toString(b.feedbackRetention.toMillis())));
    movieStats = spec("movie-stats", key, MovieStats.class, b.userPartitions, COMPACT);
    modelReleases = spec("model-releases", key, ModelRelease.class, 1, Map.of(
        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
        TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(b.maxReleaseBytes)));
    modelReleaseHistory = spec("model-release-history", key, ModelRelease.class, 1, Map.of(
        TopicConfig.CLEANUP_POLICY_CONFIG, TopicConfig.CLEANUP_POLICY_COMPACT,
        TopicConfig.MAX_MESSAGE_BYTES_CONFIG, Integer.toString(b.maxReleaseBytes)));
    deadLetters = spec("dead-letters", key, DeadLetter.class, b.deadLetterPartitions, delete);
  }

  /** Topics with no prefix and default partition counts. */
  public static Topics defaults() {
    return builder().build();
  }

  /** Topics with {@code prefix} and default partition counts. */
  public static Topics withPrefix(String prefix) {
    return builder().optPrefix(prefix).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  private <V> TopicSpec<String, V> spec(
      String logical, Serde<String> key, Class<V> type, int partitions, Map<String, String> configs) {
    return new TopicSpec<>(logical, prefix + logical, key, JsonSerde.of(type), partitions, configs);
  }

  public String prefix() {
    return prefix;
  }

  /** User profiles, key userId, compacted. */
  public TopicSpec<String, UserProfile> users() {
    return users;
  }

  /** The movie catalog, key movieId, compacted. */
  public TopicSpec<String, Movie> movies() {
    return movies;
  }

  /** Movies shown to users, key userId. */
  public TopicSpec<String, Impression> impressions() {
    return impressions;
  }

  /** Ratings, key userId. */
  public TopicSpec<String, Rating> ratings() {
    return ratings;
  }

  /** Clicks on impressions, key userId. */
  public TopicSpec<String, Click> clicks() {
    return clicks;
  }

  /** One score per impression, key userId. */
  public TopicSpec<String, Score> scores() {
    return scores;
  }

  /** One training example per rating (and per attributed impression), key userId, long retention. */
  public TopicSpec<String, Feedback> feedback() {
    return feedback;
  }

  /** Each movie's counts of ratings and high ratings, key movieId, compacted; written by the scorer. */
  public TopicSpec<String, MovieStats> movieStats() {
    return movieStats;
  }

  /** Released models, key model name, compacted. */
  public TopicSpec<String, ModelRelease> modelReleases() {
    return modelReleases;
  }

  /**
   * Every release ever made, key {@link #historyKey(String, String) model/version}, compacted: one
   * record per version (the last time it was published), from which releases are listed, shown
   * and rolled back to. Written with each {@code model-releases} record, in the same transaction.
   */
  public TopicSpec<String, ModelRelease> modelReleaseHistory() {
    return modelReleaseHistory;
  }

  /** The key of a release on {@link #modelReleaseHistory()}: {@code model/version}. */
  public static String historyKey(String modelName, String version) {
    return modelName + "/" + version;
  }

  /** Input records that could not be used, key the original key. */
  public TopicSpec<String, DeadLetter> deadLetters() {
    return deadLetters;
  }

  /** Every topic, inputs first. */
  public List<TopicSpec<String, ?>> all() {
    return List.of(users, movies, impressions, ratings, clicks, scores, feedback, movieStats,
        modelReleases, modelReleaseHistory, deadLetters);
  }

  /** The spec with this full name, if it is one of ours. */
  public Optional<TopicSpec<String, ?>> byName(String name) {
    return all().stream().filter(t -> t.name().equals(name)).findFirst();
  }

  /** Admin requests creating every topic. */
  public List<NewTopic> newTopics(short replicationFactor) {
    return all().stream().map(t -> t.newTopic(replicationFactor)).toList();
  }

  /** Builder: every setting is optional. */
  public static final class Builder {
    private String prefix = "";
    private int userPartitions = 4;
    private int catalogPartitions = 1;
    private int deadLetterPartitions = 1;
    private Duration feedbackRetention = Duration.ofDays(365);
    private int maxReleaseBytes = 64 * 1024 * 1024;

    private Builder() {}

    /** Prefix of every topic name ("staging."); default none. */
    public Builder optPrefix(String prefix) {
      this.prefix = prefix;
      return this;
    }

    /**
     * Partitions of the user-keyed topics (users, impressions, ratings, clicks, scores, feedback) and of
     * movie-stats; default 4.
     */
    public Builder optUserPartitions(int partitions) {
      this.userPartitions = partitions;
      return this;
    }

    /** Partitions of movies (read whole by every instance); default 1. */
    public Builder optCatalogPartitions(int partitions) {
      this.catalogPartitions = partitions;
      return this;
    }

    /** Partitions of dead-letters; default 1. */
    public Builder optDeadLetterPartitions(int partitions) {
      this.deadLetterPartitions = partitions;
      return this;
    }

    /** Retention of the feedback topic (the training window must fit); default 365 days. */
    public Builder optFeedbackRetention(Duration retention) {
      this.feedbackRetention = retention;
      return this;
    }

    /** Largest model-release record (an inline bundle); default 64 MiB. */
    public Builder optMaxReleaseBytes(int bytes) {
      this.maxReleaseBytes = bytes;
      return this;
    }

    public Topics build() {
      if (prefix == null) {
        throw new IllegalArgumentException("prefix must not be null; use \"\" for none");
      }
      if (!LEGAL.matcher(prefix).matches() || prefix.length() > 200) {
        throw new IllegalArgumentException("prefix may hold only letters, digits, '.', '_' and '-' "
            + "(at most 200), got \"" + prefix + "\"");
      }
      for (int p : new int[] {userPartitions, catalogPartitions, deadLetterPartitions}) {
        if (p <= 0) {
          throw new IllegalArgumentException("partition counts must be > 0, got " + p);
        }
      }
      if (feedbackRetention == null || feedbackRetention.isNegative() || feedbackRetention.isZero()) {
        throw new IllegalArgumentException("feedbackRetention must be > 0, got " + feedbackRetention);
      }
      if (maxReleaseBytes < 1024 * 1024) {
        throw new IllegalArgumentException("maxReleaseBytes must be >= 1 MiB, got " + maxReleaseBytes);
      }
      return new Topics(this);
    }
  }
}
