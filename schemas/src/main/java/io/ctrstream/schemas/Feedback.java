package io.ctrstream.schemas;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Value of the {@code feedback} topic, key userId (schema {@code schemas/feedback.schema.json}):
 * one training example, written for every rating, and, when click attribution is on, for every
 * scored impression (clicked: {@link Source#CLICK}, label 1; not clicked within the attribution
 * window: {@link Source#NON_CLICK}, label 0; neither has a rating). The features are those served
 * with the impression ({@link Source#IMPRESSION}, {@link Source#CLICK}, {@link Source#NON_CLICK})
 * or those that stood just before the rating ({@link
 * Source#ORGANIC}); the trainer learns from exactly what the scorer saw.
 *
 * @param label for a rating 1 when it is at or above the scorer's {@code rating.positive.threshold}
 *     (4 by default), else 0; 1 for a click, 0 for a non-click
 * @param rating the rating; null for click and non-click examples
 * @param timestamp the rating's or the click's timestamp; the impression's for a non-click, epoch ms
 * @param profile the user's attributes as served
 * @param genres the candidate movie's genres as served
 * @param history the user's highly rated movies, oldest first, as served
 * @param negatives one sampled negative per history entry, aligned; "" when none could be drawn
 * @param userRatings the user's ratings before this one, as served; null when unknown
 * @param userPositives how many of those were high, as served; null when unknown
 * @param movieRatings the candidate movie's ratings (from all users) as served, from the scorer's
 *     {@code movie-stats}; 0 for a movie with none counted yet, null when unknown (older records)
 * @param moviePositives how many of those were high, as served; null when unknown
 * @param userGenre how the user had rated the candidate's genres, as served; null when unknown
 * @param servedScore the served score of the joined impression; null for organic
 * @param modelVersion the model that served it; null for organic
 * @param impressionId the joined impression; null for organic
 */
public record Feedback(
    String userId,
    String movieId,
    Integer label,
    Double rating,
    Long timestamp,
    Profile profile,
    List<String> genres,
    List<String> history,
    List<String> negatives,
    Integer userRatings,
    Integer userPositives,
    Integer movieRatings,
    Integer moviePositives,
    UserGenre userGenre,
    Double servedScore,
    String modelVersion,
    String impressionId,
    Source source)
    implements WireValue {

  public Feedback {
    genres = copy(genres);
    history = copy(history);
    negatives = copy(negatives);
  }

  /** An example without the user's rating counts (written before they were served). */
  public Feedback(String userId, String movieId, Integer label, Double rating, Long timestamp,
      Profile profile, List<String> genres, List<String> history, List<String> negatives,
      Double servedScore, String modelVersion, String impressionId, Source source) {
    this(userId, movieId, label, rating, timestamp, profile, genres, history, negatives, null, null,
        servedScore, modelVersion, impressionId, source);
  }

  /** An example with the user's rating counts but without the movie and genre statistics. */
  public Feedback(String userId, String movieId, Integer label, Double rating, Long timestamp,
      Profile profile, List<String> genres, List<String> history, List<String> negatives,
      Integer userRatings, Integer userPositives, Double servedScore, String modelVersion,
      String impressionId, Source source) {
    this(userId, movieId, label, rating, timestamp, profile, genres, history, negatives,
        userRatings, userPositives, null, null, null, servedScore, modelVersion, impressionId, source);
  }

  /** Where the features of an example come from. */
  public enum Source {
    /** The rating followed a pending impression of the same movie: features and score as served. */
    IMPRESSION("impression"),
    /** No impression was pending: features as they stood just before the rating. */
    ORGANIC("organic"),
    /** The impression was clicked within the attribution window (label 1, no rating). */
    CLICK("click"),
    /** The impression's attribution window ended without a click (label 0, no rating). */
    NON_CLICK("non_click");

    private final String wireName;

    Source(String wireName) {
      this.wireName = wireName;
    }

    @JsonValue
    public String wireName() {
      return wireName;
    }

    /** Whether the example comes from a rating (it has one), not from a click or its absence. */
    public boolean rated() {
      return this == IMPRESSION || this == ORGANIC;
    }

    @JsonCreator
    public static Source fromWire(String name) {
      for (Source s : values()) {
        if (s.wireName.equals(name)) {
          return s;
        }
      }
      throw new IllegalArgumentException("source must be impression, organic, click or non_click, got " + name);
    }
  }

  @Override
  public List<String> validate() {
    Checks c =
        new Checks()
            .id("userId", userId)
            .id("movieId", movieId)
            .present("label", label)
            .rule(label == null || label == 0 || label == 1, "label must be 0 or 1, got " + label)
            .optionalRange("rating", rating, 0.5, 5)
            .epochMillis("timestamp", timestamp)
            .present("profile", profile)
            .list("genres", genres, 64, Checks.ItemRule.text(1, 64))
            .list("history", history, 1000, Checks.ItemRule.text(1, Checks.MAX_ID_LENGTH))
            .list("negatives", negatives, 1000, Checks.ItemRule.text(0, Checks.MAX_ID_LENGTH))
            .optionalRange("userRatings", userRatings, 0, Integer.MAX_VALUE)
            .optionalRange("userPositives", userPositives, 0, Integer.MAX_VALUE)
            .optionalRange("movieRatings", movieRatings, 0, Integer.MAX_VALUE)
            .optionalRange("moviePositives", moviePositives, 0, Integer.MAX_VALUE)
            .optionalRange("servedScore", servedScore, 0, 1)
            .optionalId("modelVersion", modelVersion)
            .optionalId("impressionId", impressionId)
            .present("source", source);
    if (profile != null) {
      c.nested("profile", profile.validate());
    }
    if (userGenre != null) {
      c.nested("userGenre", userGenre.validate());
    }
    if (history != null && negatives != null && history.size() != negatives.size()) {
      c.rule(false, "negatives must align with history (one per entry): "
          + history.size() + " history entries, " + negatives.size() + " negatives");
    }
    // The label of a rating is the scorer's (rating.positive.threshold, 4 by default): not checked here.
    if (source != null && source.rated() && rating == null) {
      c.rule(false, "rating is missing (required when source is " + source.wireName() + ")");
    }
    if (source != null && !source.rated()) {
      if (rating != null) {
        c.rule(false, "a " + source.wireName() + " example has no rating, got " + rating);
      }
      if (impressionId == null) {
        c.rule(false, "impressionId is required when source is " + source.wireName());
      }
      if (label != null && label != (source == Source.CLICK ? 1 : 0)) {
        c.rule(false, "label must be " + (source == Source.CLICK ? 1 : 0) + " when source is "
            + source.wireName() + ", got " + label);
      }
    }
    if (userRatings != null && userPositives != null && userPositives > userRatings) {
      c.rule(false, "userPositives must not exceed userRatings, got " + userPositives + " of " + userRatings);
    }
    if (movieRatings != null && moviePositives != null && moviePositives > movieRatings) {
      c.rule(false, "moviePositives must not exceed movieRatings, got " + moviePositives + " of " + movieRatings);
    }
    if (source == Source.IMPRESSION && impressionId == null) {
      c.rule(false, "impressionId is required when source is impression");
    }
    if (source == Source.ORGANIC && (impressionId != null || servedScore != null)) {
      c.rule(false, "an organic example has no impressionId or servedScore");
    }
    return c.done();
  }

  private static List<String> copy(List<String> list) {
    // Not List.copyOf: a null item must survive so that validate() can report it.
    return list == null ? null : Collections.unmodifiableList(new ArrayList<>(list));
  }
}
