package io.ctrstream.streams.topology;

import io.ctrstream.schemas.Click;
import io.ctrstream.schemas.FailureKind;
import io.ctrstream.schemas.Feedback;
import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.MovieStats;
import io.ctrstream.schemas.Profile;
import io.ctrstream.schemas.Rating;
import io.ctrstream.schemas.Score;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.streams.errors.LogSafe;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.state.AttributedImpression;
import io.ctrstream.streams.state.BufferedImpression;
import io.ctrstream.streams.state.CompositeKey;
import io.ctrstream.streams.state.PendingImpression;
import io.ctrstream.streams.state.ServedFeatures;
import io.ctrstream.streams.state.StoreNames;
import io.ctrstream.streams.state.UserState;
import java.time.Duration;
import java.util.List;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The per-user heart of the scorer: history processor, feature assembly, micro-batch buffer and
 * scoring, in one node because they share one user's state within one task.
 *
 * <p>Input: {@link UserEvent}s, key userId, from the users, ratings, impressions (and clicks)
 * decoders (the topics are co-partitioned by userId). Stores read and written: {@code user-state}, {@code
 * rated-movies}, {@code pending-impressions}, {@code pending-expiry}, {@code score-buffer};
 * {@code catalog} and {@code movie-stats} (global) are read. Output: {@link Score} to {@code scores}, {@link Feedback} to
 * {@code feedback}.
 *
 * <ul>
 *   <li>Profile: replaces the profile in {@code user-state}.
 *   <li>Impression: assembles features with three reads ({@code user-state}, {@code catalog},
 *       {@code movie-stats}: the candidate's counts as they stand, 0 when it has none, lagging the
 *       ratings by the commit that publishes them) and appends them to the task's buffer. The unscored impressions of all tasks of the stream
 *       thread are scored together ({@link ThreadBatch}) when they reach {@code batch.size}, or
 *       when the oldest has waited {@code batch.max.wait.ms} (checked on append, and by a
 *       wall-clock punctuator for a quiet stream); each task emits its own scores at its next
 *       record or punctuation, and each emitted impression becomes the pending one of its
 *       (user, movie).
 *   <li>Rating: first one feedback example: joined with the pending impression of that movie (the
 *       features and score as served) when one is within its window, else organic (features as of
 *       just before the rating). If an impression of that movie to that user is still in the
 *       buffer, the buffer is scored first, so the example carries its served score; that is why
 *       scoring and history share this node. Then the history: the movie joins the rated set; a rating at or
 *       above {@code rating.positive.threshold} (4) enters
 *       the last-N history with one negative drawn from the catalog among movies never rated, and
 *       the user's genre counters decay and count the movie's genres (from the catalog now).
 *   <li>A stream-time punctuator drops pending impressions whose window has passed.
 *   <li>Click (only with {@code feedback.clicks}; stores {@code click-attribution}, {@code
 *       click-expiry}): each scored impression is also opened for clicks by (user, impression id)
 *       until {@code attribution.window.ms} after its timestamp. A click on an open, unclicked
 *       impression emits a {@code click} example (features and score as served) and puts the movie
 *       in the history like a high rating (without counting a rating); a stream-time punctuator
 *       emits a {@code non_click} example for each impression whose window passed unclicked.
 *       Second clicks are dead-lettered as duplicates, clicks on unknown or expired impressions as
 *       {@code unknown-impression}.
 * </ul>
 *
 * <p>Dead letters (to {@code dead-letters}): an impression whose id is already pending or
 * buffered for the same (user, movie) is a duplicate, scored once; an impression the model gave
 * no finite probability in [0, 1] for (NaN, infinite, or the model failed on it) is never
 * published, and the model is marked unhealthy ({@code ctr.model.unhealthy}, readiness).
 *
 * <p>The scorer belongs to the stream thread ({@link ThreadBatch}): made at its first batch,
 * swapped between batches by {@link io.ctrstream.streams.model.ScorerSlot}, closed when the
 * thread's last task closes.
 */
final class UserEventProcessor implements Processor<String, UserEvent, String, Object> {
  private static final Logger LOG = LoggerFactory.getLogger(UserEventProcessor.class);
  /** Draws tried before giving up on a negative (a user who rated nearly everything). */
  static final int NEGATIVE_ATTEMPTS = 32;
  /** Placeholder negative when the catalog has no movie to offer; keeps negatives aligned. */
  static final String NO_NEGATIVE = "";

  private final ScorerConfig config;
  private final ThreadBatch.Registry batches;
  private final ScorerMetrics metrics;

  private ProcessorContext<String, Object> context;
  private KeyValueStore<String, UserState> users;
  private KeyValueStore<String, Long> rated;
  private Catalog catalog;
  private FeatureAssembler features;
  private PendingImpressions pending;
  private ClickAttribution clicks; // null unless feedback.clicks is on
  private UserRetention retention;
  private MicroBatchBuffer buffer;
  private ThreadBatch batch; // joined on the stream thread, at the first record or punctuation
  private DeadLetters deadLetters;
  private final JsonSerde<Impression> impressionSerde = JsonSerde.of(Impression.class);
  private final JsonSerde<Click> clickSerde = JsonSerde.of(Click.class);

  UserEventProcessor(ScorerConfig config, ThreadBatch.Registry batches, ScorerMetrics metrics) {
    this.config = config;
    this.batches = batches;
    this.metrics = metrics;
  }

  @Override
  public void init(ProcessorContext<String, Object> context) {
    this.context = context;
    this.deadLetters = new DeadLetters(context, metrics,
        Math.min(config.maxValueBytes(), config.deadLetterMaxPayloadBytes()));
    this.users = context.getStateStore(StoreNames.USER_STATE);
    this.rated = context.getStateStore(StoreNames.RATED);
    this.catalog = new Catalog(context.getStateStore(StoreNames.CATALOG));
    this.features = new FeatureAssembler(context.getStateStore(StoreNames.CATALOG),
        context.<KeyValueStore<String, MovieStats>>getStateStore(StoreNames.MOVIE_STATS));
    this.pending = new PendingImpressions(
        context.getStateStore(StoreNames.PENDING), context.getStateStore(StoreNames.PENDING_EXPIRY));
    this.retention = new UserRetention(users, rated, context.getStateStore(StoreNames.USER_EXPIRY),
        config.userRetentionMs());
    if (batch != null) {
      // Initialised again without a close in between: the old buffer must not stay a member.
      batches.leave(batch, buffer);
      batch = null;
    }
    this.buffer = new MicroBatchBuffer(context.getStateStore(StoreNames.SCORE_BUFFER),
        context.currentSystemTimeMs());
    if (!buffer.isEmpty()) {
      LOG.info("task {}: {} impressions restored in the buffer; the next flush scores them",
          context.taskId(), buffer.size());
    }
    // The punctuator emits what another task's call scored for this one, and flushes a quiet
    // stream's partial batch. It runs between polls, at most once a loop, so a busy stream is
    // flushed by size and age on append instead.
    context.schedule(Duration.ofMillis(Math.max(1, Math.min(5, config.maxBatchWaitMs() / 2))),
        PunctuationType.WALL_CLOCK_TIME, now -> {
          emitScored();
          if (now - batch().oldestUnscoredAt() >= config.maxBatchWaitMs()) {
            flush();
          }
        });
    long expiryEvery = Math.max(1_000L, Math.min(config.pendingWindowMs(), 60_000L));
    context.schedule(Duration.ofMillis(expiryEvery), PunctuationType.STREAM_TIME, pending::expire);
    if (config.clicksFeedback()) {
      this.clicks = new ClickAttribution(context.getStateStore(StoreNames.CLICK_ATTRIBUTION),
          context.getStateStore(StoreNames.CLICK_EXPIRY), config.attributionWindowMs());
      long clickExpiryEvery = Math.max(1_000L, Math.min(config.attributionWindowMs(), 60_000L));
      context.schedule(Duration.ofMillis(clickExpiryEvery), PunctuationType.STREAM_TIME, this::expireClicks);
    }
    if (retention.enabled()) {
      context.schedule(Duration.ofMillis(retention.expireEveryMs()), PunctuationType.STREAM_TIME,
          streamTime -> metrics.usersForgotten(retention.expire(streamTime)));
    }
  }

  @Override
  public void process(Record<String, UserEvent> record) {
    emitScored(); // what another task's call scored for this one, before anything newer
    UserEvent event = record.value();
    if (event instanceof UserEvent.ProfileChanged p) {
      onProfile(p, record.timestamp());
    } else if (event instanceof UserEvent.Shown s) {
      onImpression(s.impression(), record.timestamp());
    } else if (event instanceof UserEvent.Rated r) {
      onRating(r.rating(), record.timestamp());
    } else if (event instanceof UserEvent.Clicked c && clicks != null) {
      onClick(c.click(), record.timestamp());
    } else {
      throw new IllegalStateException("unexpected event " + event);
    }
  }

  private void onProfile(UserEvent.ProfileChanged event, long recordTimestamp) {
    UserState state = stateOf(event.userId());
    UserState next = state.withProfile(event.profile() == null ? Profile.UNKNOWN : event.profile().profile());
    if (next.holdsNothing()) {
      users.delete(event.userId());
    } else {
      users.put(event.userId(), retention.changed(event.userId(), state, next, recordTimestamp));
    }
  }

  private void onImpression(Impression impression, long recordTimestamp) {
    String userId = impression.userId();
    String movieId = impression.movieId();
    PendingImpression already = pending.get(userId, movieId);
    if (buffer.holdsImpression(userId, movieId, impression.impressionId())
        || already != null && already.impressionId().equals(impression.impressionId())
        || clicks != null && (clicks.get(userId, impression.impressionId()) != null
            || buffer.holdsImpressionId(userId, impression.impressionId()))) {
      deadLetters.send(new Record<>(userId, impressionSerde.serialize(impression), recordTimestamp),
          FailureKind.DUPLICATE, "impression " + LogSafe.quote(impression.impressionId())
              + " of this user and movie is already scored or being scored; it is scored once");
      return;
    }
    UserState state = stateOf(userId);
    retention.touched(userId, state, recordTimestamp);
    ServedFeatures features = assemble(userId, movieId, state);
    long now = context.currentSystemTimeMs();
    metrics.impressionLag(now - recordTimestamp);
    Long offset = context.recordMetadata().map(RecordMetadata::offset).orElse(null);
    buffer.append(new BufferedImpression(impression, features, recordTimestamp, offset), now);
    // The thread's batch is full, or its oldest has waited long enough (the punctuator covers a
    // quiet stream).
    ThreadBatch b = batch();
    if (b.unscoredCount() >= config.batchSize() || now - b.oldestUnscoredAt() >= config.maxBatchWaitMs()) {
      flush();
    }
  }

  private void onRating(Rating rating, long recordTimestamp) {
    String userId = rating.userId();
    String movieId = rating.movieId();
    context.forward(new Record<>(userId, (Object) feedbackFor(rating), recordTimestamp), Nodes.FEEDBACK_SINK);

    rated.put(CompositeKey.of(userId, movieId), rating.timestamp());
    String negative = null;
    boolean positive = rating.positive(config.ratingPositiveThreshold());
    if (positive) {
      // The rated set already holds this movie, so it cannot be its own negative.
      negative = catalog.sample(userId, movieId, NEGATIVE_ATTEMPTS,
          candidate -> rated.get(CompositeKey.of(userId, candidate)) == null);
      if (negative == null) {
        negative = NO_NEGATIVE;
      }
    }
    Movie movie = catalog.get(movieId);
    UserState before = stateOf(userId);
    UserState after = before.afterRating(movieId, rating.timestamp(), positive,
        negative, config.historyLength(), movie == null ? List.of() : movie.genres());
    users.put(userId, retention.changed(userId, before, after, recordTimestamp));
  }

  /**
   * A click: attributed to its impression when that is open and was not clicked yet; then one
   * positive example (source click) with the features and score as served, and the clicked movie
   * enters the user's history as a high rating does. Otherwise dead-lettered: a second click
   * (duplicate, it counts once), a click after the window (expired) or on an impression this
   * scorer never scored for this user (unknown).
   */
  private void onClick(Click click, long recordTimestamp) {
    String userId = click.userId();
    String id = click.impressionId();
    AttributedImpression a = clicks.get(userId, id);
    if (a == null && buffer.holdsImpressionId(userId, id)) {
      flush(); // its impression is not scored yet: score it now, so the example has the served score
      a = clicks.get(userId, id);
    }
    Record<String, byte[]> raw = new Record<>(userId, clickSerde.serialize(click), recordTimestamp);
    if (a == null) {
      deadLetters.send(raw, FailureKind.UNKNOWN_IMPRESSION, "unknown impression: no impression "
          + LogSafe.quote(id) + " of this user is attributed here (never scored for this user, or its "
          + "window ended more than attribution.window.ms " + clicks.windowMs() + " ago)");
      return;
    }
    if (a.clicked()) {
      deadLetters.send(raw, FailureKind.DUPLICATE, "impression " + LogSafe.quote(id)
          + " was already clicked; a click counts once");
      return;
    }
    if (!a.open() || click.timestamp() > a.expiresAt()) {
      deadLetters.send(raw, FailureKind.UNKNOWN_IMPRESSION, "expired impression: the attribution "
          + "window of " + LogSafe.quote(id) + " ended at " + a.expiresAt() + " (attribution.window.ms "
          + clicks.windowMs() + "), the click is at " + click.timestamp()
          + (a.open() ? "" : "; it was counted as a non-click"));
      return;
    }
    clicks.clicked(a);
    ServedFeatures f = a.features();
    metrics.feedback(Feedback.Source.CLICK.wireName());
    context.forward(new Record<>(userId, (Object) new Feedback(userId, a.movieId(), 1, null,
        click.timestamp(), f.profile(), f.genres(), f.history(), f.negatives(), f.userRatings(),
        f.userPositives(), f.movieRatings(), f.moviePositives(), f.userGenre(), a.score(),
        a.modelVersion(), id, Feedback.Source.CLICK), recordTimestamp), Nodes.FEEDBACK_SINK);

    String movieId = a.movieId();
    String negative = catalog.sample(userId, movieId, NEGATIVE_ATTEMPTS,
        candidate -> rated.get(CompositeKey.of(userId, candidate)) == null);
    UserState before = stateOf(userId);
    UserState after = before.afterClick(movieId, click.timestamp(),
        negative == null ? NO_NEGATIVE : negative, config.historyLength());
    users.put(userId, retention.changed(userId, before, after, recordTimestamp));
  }

  /** Closes the impressions whose attribution window has passed: a non-click example for each one not clicked. */
  private void expireClicks(long streamTime) {
    for (AttributedImpression a : clicks.expire(streamTime)) {
      if (a.clicked()) {
        continue;
      }
      ServedFeatures f = a.features();
      metrics.feedback(Feedback.Source.NON_CLICK.wireName());
      context.forward(new Record<>(a.userId(), (Object) new Feedback(a.userId(), a.movieId(), 0, null,
          a.impressionTimestamp(), f.profile(), f.genres(), f.history(), f.negatives(), f.userRatings(),
          f.userPositives(), f.movieRatings(), f.moviePositives(), f.userGenre(), a.score(),
          a.modelVersion(), a.impressionId(), Feedback.Source.NON_CLICK), a.expiresAt()),
          Nodes.FEEDBACK_SINK);
    }
  }

  /** The training example for a rating, from the state before the rating changes it. */
  private Feedback feedbackFor(Rating rating) {
    String userId = rating.userId();
    String movieId = rating.movieId();
    int label = rating.positive(config.ratingPositiveThreshold()) ? 1 : 0;
    if (buffer.holds(userId, movieId)) {
      flush(); // its impression's score has not gone out yet: score it now, so the example has the served score
    }
    PendingImpression joined = pending.get(userId, movieId);
    if (joined != null && joined.joins(rating.timestamp())) {
      pending.remove(userId, movieId);
      ServedFeatures f = joined.features();
      metrics.feedback(Feedback.Source.IMPRESSION.wireName());
      return new Feedback(userId, movieId, label, rating.rating(), rating.timestamp(), f.profile(),
          f.genres(), f.history(), f.negatives(), f.userRatings(), f.userPositives(),
          f.movieRatings(), f.moviePositives(), f.userGenre(), joined.score(), joined.modelVersion(),
          joined.impressionId(), Feedback.Source.IMPRESSION);
    }
    ServedFeatures f = assemble(userId, movieId);
    metrics.feedback(Feedback.Source.ORGANIC.wireName());
    return new Feedback(userId, movieId, label, rating.rating(), rating.timestamp(), f.profile(),
        f.genres(), f.history(), f.negatives(), f.userRatings(), f.userPositives(),
        f.movieRatings(), f.moviePositives(), f.userGenre(), null, null, null, Feedback.Source.ORGANIC);
  }

  /**
   * Features of (user, movie) now: the user's state, then {@link FeatureAssembler} (one read each
   * of the catalog and the movie stats).
   */
  private ServedFeatures assemble(String userId, String movieId) {
    return assemble(userId, movieId, stateOf(userId));
  }

  /** Features of (user, movie) from {@code state}: the same assembly as {@code POST /score}'s. */
  private ServedFeatures assemble(String userId, String movieId, UserState state) {
    return features.assemble(movieId, state);
  }

  private UserState stateOf(String userId) {
    UserState s = users.get(userId);
    return s == null ? UserState.EMPTY : s;
  }

  /** Scores the thread's batch (this task's impressions among them) and emits this task's scores. */
  private void flush() {
    if (buffer.unscoredCount() > 0) {
      batch().scoreAll(context.currentSystemTimeMs());
    }
    emitScored();
  }

  /**
   * The thread's batch, joined on first use, on the thread that runs this task; joined again if
   * this task's current buffer is not a member (a buffer outside the batch would never be scored).
   */
  private ThreadBatch batch() {
    if (batch == null || !batch.has(buffer)) {
      batch = batches.join(buffer);
    }
    return batch;
  }

  /** Emits this task's scored impressions (scored by its own call or another task's). */
  private void emitScored() {
    if (!buffer.hasScored()) {
      return;
    }
    long now = context.currentSystemTimeMs();
    for (MicroBatchBuffer.Ready r : buffer.takeScored()) {
      BufferedImpression b = r.impression();
      Impression imp = b.impression();
      String version = r.modelVersion();
      // The model computes in float; its shortest decimal is what it meant (0.4, not 0.4000000059604645).
      double p = Double.parseDouble(Float.toString(r.probability()));
      if (r.failure() != null || !(p >= 0 && p <= 1)) {
        unscorable(b, version, r.failure() != null ? r.failure()
            : "model " + version + " gave " + (Double.isFinite(p) ? "" : "non-finite ") + "score " + p
                + "; a served model must give probabilities in [0, 1]");
        continue;
      }
      Score score = new Score(imp.impressionId(), imp.userId(), imp.movieId(), p, version,
          Score.PRIOR_VERSION.equals(version), imp.timestamp(), now);
      context.forward(new Record<>(imp.userId(), (Object) score, b.recordTimestamp()), Nodes.SCORES_SINK);
      // Pending from now on: the latest impression of a pair replaces an older one.
      pending.put(imp.userId(), imp.movieId(), new PendingImpression(imp.impressionId(),
          imp.timestamp(), saturatedAdd(imp.timestamp(), config.pendingWindowMs()), b.features(), p, version));
      if (clicks != null) {
        clicks.open(new AttributedImpression(imp.userId(), imp.impressionId(), imp.movieId(),
            imp.timestamp(), saturatedAdd(imp.timestamp(), clicks.windowMs()), b.features(), p, version,
            false, true));
      }
    }
  }

  /** An impression the model gave no usable score: dead-lettered, and the model marked unhealthy. */
  private void unscorable(BufferedImpression b, String version, String reason) {
    Impression imp = b.impression();
    metrics.modelUnhealthy(version, reason);
    deadLetters.send(config.topics().impressions().name(), context.taskId().partition(),
        b.sourceOffset() == null ? 0 : b.sourceOffset(), imp.userId(), impressionSerde.serialize(imp),
        b.recordTimestamp(), FailureKind.MODEL_FAILURE, reason);
  }

  /** {@code a + b} for b >= 0, Long.MAX_VALUE instead of wrapping to a negative time. */
  static long saturatedAdd(long a, long b) {
    long sum = a + b;
    return b > 0 && sum < a ? Long.MAX_VALUE : sum;
  }

  @Override
  public void close() {
    // Scores not yet emitted are dropped: their impressions are still in the logged buffer, and
    // whoever runs this task next scores them again.
    if (batch != null) {
      batches.leave(batch, buffer);
      batch = null;
    }
  }
}
