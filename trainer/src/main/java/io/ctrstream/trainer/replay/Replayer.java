package io.ctrstream.trainer.replay;

import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.TopicSpec;
import io.ctrstream.schemas.Topics;
import io.ctrstream.schemas.UserProfile;
import io.ctrstream.schemas.WireValue;
import io.ctrstream.trainer.movielens.MovieLensData;
import io.ctrstream.trainer.movielens.MovieLensUser;
import io.ctrstream.trainer.movielens.Rating;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes a MovieLens data set to the scorer's input topics the way a live system would have
 * produced it.
 *
 * <p>Contract:
 *
 * <ol>
 *   <li>The input topics must exist ({@link TopicSetup#requireInputs}); the replayer never lets
 *       a producer auto-create one with the wrong configs.
 *   <li>Catalog phase: every user to {@code users} (key userId, ascending id) and every movie to
 *       {@code movies} (key movieId, catalog order), then a flush. Their record timestamp is
 *       just before the first event (the send time with {@link EventTime#LIVE}), so a Kafka
 *       Streams task that picks the lowest timestamp first reads the catalog before any event.
 *   <li>Event phase: ratings in time order (ties by user, then movie), at most {@link
 *       Builder#optLimit(long)} of them, the earliest. For each rating, first an impression of
 *       that movie to that user ({@code impressionId = imp-<user>-<movie>-<rating ms>}, shown 1
 *       ms before the rating), then the rating; both keyed by userId, so one user's events land
 *       on one partition in order. Value timestamps are MovieLens seconds times 1000 (or the
 *       send time, see {@link EventTime}) and the record timestamp equals the value's (event
 *       time is what the scorer's windows use).
 *   <li>With {@link Builder#optAwaitScores}, a rating is sent only once its impression's score
 *       is committed on {@code scores} (or its wait ran out): the replay then runs at the scorer's
 *       pace and a lagging scorer cannot see a rating before its impression. Without it, the
 *       rating follows its impression at once.
 *   <li>The producer is idempotent with {@code acks=all} and one request in flight: retries
 *       neither lose, duplicate nor reorder records within a partition. Counts are acknowledged
 *       records. Idempotence spans one run: a second run appends the events again, so start
 *       over with a fresh prefix (users and movies are compacted and simply overwritten).
 *   <li>Pacing ({@link Builder#optSpeed(double)}) applies to the event phase; the catalog goes
 *       at full speed.
 *   <li>A row that does not make a valid wire value is skipped and counted, never sent (a rating
 *       and its impression go together or not at all).
 *   <li>{@link #stop()} or an interrupt ends the run after the current event; what was sent is
 *       flushed and the summary says {@code completed=false}. An interrupt leaves the flag set.
 *       After {@link #stop()}, a later {@link #run()} publishes nothing.
 *   <li>Failures from Kafka end the run with a {@link ReplayException} carrying the partial
 *       counts.
 * </ol>
 *
 * <pre>{@code
 * ReplaySummary s = Replayer.builder()
 *     .setBootstrapServers("localhost:9092")
 *     .setTopics(Topics.defaults())
 *     .setDataset(MovieLensReader.read(Path.of("data/sample")))
 *     .optSpeed(500)
 *     .optCheckpoints(Checkpoints.startingAt(0.2, 0.1), (f, counts) -> trainer.trigger())
 *     .build()
 *     .run();
 * }</pre>
 */
public final class Replayer {

  private static final Logger LOG = LoggerFactory.getLogger(Replayer.class);

  /** Longest wait for an admin answer, a flush-independent close, or a topic check. */
  private static final Duration KAFKA_TIMEOUT = Duration.ofSeconds(30);

  /** Events in flight past the oldest unfinished one when ratings await their scores. */
  public static final int DEFAULT_WINDOW = 2_000;

  /** Invalid rows are logged one by one up to this many, then only counted. */
  private static final int LOGGED_SKIPS = 10;

  private final String bootstrapServers;
  private final Topics topics;
  private final MovieLensData dataset;
  private final double speed;
  private final long limit;
  private final ReplayListener listener;
  private final Map<String, Object> clientProperties;
  private final Duration phasePause;
  private final Checkpoints checkpoints;
  private final CheckpointHook hook;
  private final boolean verifyTopics;
  private final EventTime eventTime;
  private final Duration scoreWait;
  private final int window;
  private volatile boolean stopRequested;

  private Replayer(Builder b) {
    this.bootstrapServers = b.bootstrapServers;
    this.topics = b.topics;
    this.dataset = b.dataset;
    this.speed = b.speed;
    this.limit = b.limit;
    this.listener = b.listener;
    this.clientProperties = Map.copyOf(b.clientProperties);
    this.phasePause = b.phasePause;
    this.checkpoints = b.checkpoints;
    this.hook = b.hook;
    this.verifyTopics = b.verifyTopics;
    this.eventTime = b.eventTime;
    this.scoreWait = b.scoreWait;
    this.window = b.window;
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * Asks a running (or not yet started) {@link #run()} to end after the current event; it then
   * flushes and returns. Safe from any thread, e.g. a shutdown hook.
   */
  public void stop() {
    stopRequested = true;
  }

  /**
   * The id the replay gives the impression before {@code rating}: {@code
   * imp-<user>-<movie>-<rating ms>}, whatever time the events carry.
   */
  public static String impressionId(Rating rating) {
    return WireRecords.impressionId(rating.userId(), rating.movieId(), WireRecords.ratingMillis(rating));
  }

  /** The ratings this replay will send, in send order (the limit applied). */
  public List<Rating> events() {
    return Arrays.asList(orderedEvents());
  }

  /**
   * Runs the replay; see the class comment for what is published and in which order.
   *
   * @throws ReplayException when topics are missing, Kafka is unreachable or refuses records
   * @throws RuntimeException whatever a {@link CheckpointHook} threw (records sent are flushed)
   */
  public ReplaySummary run() {
    long begin = System.nanoTime();
    if (verifyTopics) {
      Admin admin = null;
      try {
        admin = Admin.create(adminConfig());
        TopicSetup.requireInputs(admin, topics, KAFKA_TIMEOUT);
      } catch (IllegalStateException | KafkaException e) {
        throw new ReplayException(e.getMessage(), e,
            new ReplaySummary(ReplayCounts.ZERO, seconds(begin), 0, false));
      } finally {
        if (admin != null) {
          // Not close(): it would wait out the calls still pending on an unreachable cluster.
          admin.close(Duration.ofSeconds(1));
        }
      }
    }
    Rating[] events = orderedEvents();
    LOG.info("replaying {} users, {} movies, then {} ratings with their impressions to {}"
            + " (topic prefix '{}', speed {}, {} time)",
        dataset.users().size(), dataset.movies().size(), events.length, bootstrapServers,
        topics.prefix(), speed > 0 ? speed + " events/s" : "max", eventTime);

    Session session;
    try {
      session = new Session(new KafkaProducer<>(
          producerConfig(), new StringSerializer(), new ByteArraySerializer()));
    } catch (KafkaException e) {
      throw new ReplayException("cannot create a Kafka producer: " + e.getMessage(), e,
          new ReplaySummary(ReplayCounts.ZERO, seconds(begin), 0, false));
    }
    ScoreFollower follower = null;
    if (scoreWait != null) {
      try {
        follower = new ScoreFollower(bootstrapServers, clientProperties, topics.scores(), KAFKA_TIMEOUT);
      } catch (IllegalStateException | KafkaException e) {
        session.close();
        throw new ReplayException("cannot follow the scores topic: " + e.getMessage(), e,
            new ReplaySummary(ReplayCounts.ZERO, seconds(begin), 0, false));
      }
    }
    boolean completed = false;
    long eventsBegin = 0;
    try {
      completed = session.catalog(
          eventTime == EventTime.LIVE ? System.currentTimeMillis() : catalogTimestamp(events));
      if (completed) {
        eventsBegin = System.nanoTime();
        completed = follower == null ? session.events(events) : session.causalEvents(events, follower);
      }
    } catch (KafkaException e) {
      session.recordFailure(e, "send");
    } finally {
      session.close();
      if (follower != null) {
        follower.close();
      }
    }
    double eventSeconds = eventsBegin == 0 ? 0 : seconds(eventsBegin);
    ReplaySummary summary = new ReplaySummary(
        session.counts(), seconds(begin), eventSeconds, completed, session.unscoredRatings);
    if (session.failure.get() != null) {
      Exception cause = session.failure.get();
      throw new ReplayException("replay failed: " + cause.getMessage()
          + "; acknowledged before the failure: " + summary.counts(), cause, summary);
    }
    LOG.info("replay {}: {} in {} s ({} events/s){}", completed ? "done" : "stopped",
        summary.counts(), String.format(Locale.ROOT, "%.1f", summary.seconds()),
        String.format(Locale.ROOT, "%.0f", summary.eventsPerSecond()),
        scoreWait == null ? "" : "; ratings sent before their impression was scored (wait ran out): "
            + session.unscoredRatings);
    return summary;
  }

  /** The producer's settings: the client properties, our defaults, then the settings we need. */
  Map<String, Object> producerConfig() {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put(ProducerConfig.CLIENT_ID_CONFIG, "ctr-replay");
    c.put(ProducerConfig.LINGER_MS_CONFIG, 10);
    c.put(ProducerConfig.BATCH_SIZE_CONFIG, 128 * 1024);
    c.put(ProducerConfig.COMPRESSION_TYPE_CONFIG, "lz4");
    c.putAll(clientProperties);
    // Exactly once per record and in order per partition, whatever the file said.
    enforce(c, ProducerConfig.ACKS_CONFIG, "all");
    enforce(c, ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, "true");
    // One request in flight per broker. With more, when the first batch to a partition fails
    // with a retriable error (NOT_LEADER_OR_FOLLOWER right after topic creation or a leader
    // move) and a later batch lands, the broker takes the later sequence as the producer's
    // first and rejects the retried one with OUT_OF_ORDER_SEQUENCE_NUMBER until the delivery
    // timeout expires it: a lost record. Seen with Kafka 4.1.1 on a freshly created topic;
    // KAFKA-14359 / KAFKA-15591, fixed on the broker only after 4.1.
    enforce(c, ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, "1");
    c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    c.remove(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG);
    c.remove(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG);
    return c;
  }

  /** The admin client's settings: the client properties (security) and the bootstrap servers. */
  Map<String, Object> adminConfig() {
    Map<String, Object> c = new LinkedHashMap<>(clientProperties);
    c.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
    c.putIfAbsent(CommonClientConfigs.CLIENT_ID_CONFIG, "ctr-replay-admin");
    return c;
  }

  private static void enforce(Map<String, Object> config, String key, String value) {
    Object given = config.get(key);
    if (given != null && !value.equalsIgnoreCase(given.toString().trim())) {
      LOG.warn("ignoring {}={} from the client properties: the replayer needs {}={}",
          key, given, key, value);
    }
    config.put(key, value);
  }

  private Rating[] orderedEvents() {
    Rating[] all = dataset.ratings().toArray(new Rating[0]);
    Arrays.sort(all, WireRecords.TIME_ORDER);
    return all.length > limit ? Arrays.copyOf(all, (int) limit) : all;
  }

  private static long catalogTimestamp(Rating[] events) {
    if (events.length == 0) {
      return System.currentTimeMillis();
    }
    return Math.max(0, WireRecords.impression(events[0]).timestamp() - 1);
  }

  private static double seconds(long beginNanos) {
    return (System.nanoTime() - beginNanos) / 1e9;
  }

  /** One run's producer, counters and first failure. Used by the replaying thread only. */
  private final class Session {
    final Producer<String, byte[]> producer;
    final AtomicLong users = new AtomicLong();
    final AtomicLong movies = new AtomicLong();
    final AtomicLong impressions = new AtomicLong();
    final AtomicLong ratings = new AtomicLong();
    final AtomicReference<Exception> failure = new AtomicReference<>();
    long skipped;
    /** Ratings sent because their wait for the impression's score ran out. */
    long unscoredRatings;
    /** The last LIVE timestamp handed out: live time never goes back, even if the clock does. */
    long lastLive;

    Session(Producer<String, byte[]> producer) {
      this.producer = producer;
    }

    ReplayCounts counts() {
      return new ReplayCounts(users.get(), movies.get(), impressions.get(), ratings.get(), skipped);
    }

    /** Sends users and movies; false when stopped. */
    boolean catalog(long timestamp) {
      List<MovieLensUser> userRows = dataset.users().values().stream()
          .sorted(Comparator.comparingInt(MovieLensUser::userId)).toList();
      long total = userRows.size() + (long) dataset.movies().size();
      listener.onPhaseStart(ReplayPhase.CATALOG, total);
      long done = 0;
      for (MovieLensUser u : userRows) {
        if (halted()) {
          return false;
        }
        UserProfile profile = WireRecords.user(u);
        if (valid(profile, "user " + u.userId())) {
          send(topics.users(), profile.userId(), profile, timestamp, users);
        }
        listener.onProgress(ReplayPhase.CATALOG, ++done, total);
      }
      for (io.ctrstream.trainer.movielens.Movie m : dataset.movies().values()) {
        if (halted()) {
          return false;
        }
        Movie movie = WireRecords.movie(m);
        if (valid(movie, "movie " + m.movieId())) {
          send(topics.movies(), movie.movieId(), movie, timestamp, movies);
        }
        listener.onProgress(ReplayPhase.CATALOG, ++done, total);
      }
      if (!flush()) {
        return false;
      }
      listener.onPhaseEnd(ReplayPhase.CATALOG, counts());
      return pause(phasePause);
    }

    /** Sends impression and rating per event, paced, with checkpoints; false when stopped. */
    boolean events(Rating[] events) {
      long total = 2L * events.length;
      listener.onPhaseStart(ReplayPhase.EVENTS, total);
      Pacer pacer = speed > 0 ? Pacer.system(speed) : Pacer.unlimited();
      CheckpointCursor checkpointCursor = new CheckpointCursor(events.length, pacer);
      for (int i = 0; i < events.length; i++) {
        if (halted()) {
          return false;
        }
        Rating r = events[i];
        if (sendable(r)) {
          try {
            rate(r, show(r, pacer, 0).timestamp(), pacer);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
          }
        }
        long processed = i + 1L;
        listener.onProgress(ReplayPhase.EVENTS, 2 * processed, total);
        if (!checkpointCursor.reach(processed)) {
          return false;
        }
      }
      if (!flush()) {
        return false;
      }
      listener.onPhaseEnd(ReplayPhase.EVENTS, counts());
      return true;
    }

    /**
     * Like {@link #events}, but each rating waits until the score of its impression is committed
     * on {@code scores} (or {@link Builder#optAwaitScores its wait} runs out), as a user rates
     * what was shown, and the shown item was scored first. A user's next impression waits behind
     * that user's held rating, so one user's events keep their order; other users' events go on,
     * at most {@code window} events ahead of the oldest one not finished.
     */
    boolean causalEvents(Rating[] events, ScoreFollower follower) {
      long total = 2L * events.length;
      listener.onPhaseStart(ReplayPhase.EVENTS, total);
      Pacer pacer = speed > 0 ? Pacer.system(speed) : Pacer.unlimited();
      CheckpointCursor checkpointCursor = new CheckpointCursor(events.length, pacer);
      Map<String, Held> heldByImpression = new HashMap<>();
      ArrayDeque<Held> heldInSendOrder = new ArrayDeque<>();
      Map<Integer, ArrayDeque<Integer>> queuedBehind = new HashMap<>(); // key present: user blocked
      Map<Integer, Long> lastRatedAt = new HashMap<>(); // live time of each user's last rating
      List<String> scoredIds = new ArrayList<>();
      int cursor = 0;
      int outstanding = 0;
      long finished = 0;
      boolean warned = false;
      try {
        while (finished < events.length) {
          if (halted()) {
            return false;
          }
          // 1. Admit events in time order while the window has room.
          while (cursor < events.length && outstanding < window) {
            int i = cursor++;
            Rating r = events[i];
            if (!sendable(r)) {
              finished++;
              continue;
            }
            outstanding++;
            ArrayDeque<Integer> queue = queuedBehind.get(r.userId());
            if (queue != null) {
              queue.add(i);
            } else {
              queuedBehind.put(r.userId(), new ArrayDeque<>());
              Held h = new Held(i, show(r, pacer, lastRatedAt.getOrDefault(r.userId(), -1L) + 1));
              heldByImpression.put(h.impressionId, h);
              heldInSendOrder.add(h);
            }
          }
          // 2. Ratings whose impression was scored, then those whose wait ran out.
          scoredIds.clear();
          follower.drain(scoredIds, heldByImpression.isEmpty() ? Duration.ZERO : Duration.ofMillis(20));
          // A held rating is marked released as soon as it joins this list: a score drained here
          // and a wait that ran out in the same pass (e.g. after a checkpoint hook that blocked
          // longer than the wait) must not send its rating twice.
          List<Held> release = new ArrayList<>();
          for (String id : scoredIds) {
            Held h = heldByImpression.remove(id);
            if (h != null) {
              h.released = true;
              release.add(h);
            }
          }
          long now = System.nanoTime();
          boolean following = follower.failure() == null;
          while (!heldInSendOrder.isEmpty()) {
            Held h = heldInSendOrder.peek();
            if (h.released) {
              heldInSendOrder.poll();
            } else if (!following || now - h.sentAtNanos >= scoreWait.toNanos()) {
              heldInSendOrder.poll();
              heldByImpression.remove(h.impressionId);
              unscoredRatings++;
              if (!warned && following) {
                warned = true;
                LOG.warn("no score for impression {} within {} s; sending its rating anyway (is the"
                    + " scorer running and keeping up?); further cases are only counted",
                    h.impressionId, scoreWait.toSeconds());
              }
              h.released = true;
              release.add(h);
            } else {
              break;
            }
          }
          for (Held h : release) {
            long ratedAt = rate(events[h.index], h.impressionTimestamp, pacer);
            lastRatedAt.put(events[h.index].userId(), ratedAt);
            outstanding--;
            finished++;
            listener.onProgress(ReplayPhase.EVENTS, 2 * finished, total);
            ArrayDeque<Integer> queue = queuedBehind.get(events[h.index].userId());
            if (queue.isEmpty()) {
              queuedBehind.remove(events[h.index].userId());
            } else {
              int nextIndex = queue.poll();
              // A user's next impression comes strictly after their last rating, so no reader can
              // take the two as simultaneous.
              Held next = new Held(nextIndex, show(events[nextIndex], pacer, ratedAt + 1));
              heldByImpression.put(next.impressionId, next);
              heldInSendOrder.add(next);
            }
            if (!checkpointCursor.reach(finished)) {
              return false;
            }
          }
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return false;
      }
      if (!flush()) {
        return false;
      }
      listener.onPhaseEnd(ReplayPhase.EVENTS, counts());
      return true;
    }

    /** The checkpoints of one event phase not yet passed. */
    private final class CheckpointCursor {
      private final List<Double> fractions = checkpoints.fractions();
      private final int events;
      private final Pacer pacer;
      private int next;

      CheckpointCursor(int events, Pacer pacer) {
        this.events = events;
        this.pacer = pacer;
      }

      /**
       * Passes every checkpoint that {@code done} finished events reach: flushes, calls the hook,
       * then resumes the pacer (the hook's time is not owed). False when a flush fails.
       */
      boolean reach(long done) {
        while (next < fractions.size()
            && done >= Checkpoints.threshold(fractions.get(next), events)) {
          if (!flush()) {
            return false;
          }
          hook.onCheckpoint(fractions.get(next++), counts());
          pacer.resume();
        }
        return true;
      }
    }

    /**
     * Sends the impression before a rating and returns it. With live time it is stamped now, but
     * no earlier than {@code notBefore}.
     */
    private Impression show(Rating r, Pacer pacer, long notBefore) throws InterruptedException {
      pacer.acquire();
      Impression impression;
      if (eventTime == EventTime.LIVE) {
        lastLive = Math.max(liveMillis(), notBefore);
        impression = WireRecords.impression(r, lastLive);
      } else {
        impression = WireRecords.impression(r);
      }
      send(topics.impressions(), impression.userId(), impression, impression.timestamp(), impressions);
      return impression;
    }

    /** Sends a rating after its impression (stamped at {@code impressionTimestamp}); returns its timestamp. */
    private long rate(Rating r, long impressionTimestamp, Pacer pacer) throws InterruptedException {
      pacer.acquire();
      io.ctrstream.schemas.Rating rating = WireRecords.rating(r);
      if (eventTime == EventTime.LIVE) {
        rating = WireRecords.rating(r, Math.max(liveMillis(), impressionTimestamp + 1));
        lastLive = rating.timestamp();
      }
      send(topics.ratings(), rating.userId(), rating, rating.timestamp(), ratings);
      return rating.timestamp();
    }

    long liveMillis() {
      lastLive = Math.max(lastLive, System.currentTimeMillis());
      return lastLive;
    }

    <V> void send(
        TopicSpec<String, V> topic, String key, V value, long timestamp, AtomicLong acked) {
      byte[] bytes = topic.valueSerde().serialize(value);
      producer.send(new ProducerRecord<>(topic.name(), null, timestamp, key, bytes),
          (metadata, e) -> {
            if (e == null) {
              acked.incrementAndGet();
            } else {
              recordFailure(e, topic.name());
            }
          });
    }

    void recordFailure(Exception e, String where) {
      if (failure.compareAndSet(null, e)) {
        LOG.error("publishing to {} failed; stopping the replay", where, e);
      }
    }

    /** Whether to stop sending: asked to, interrupted, or Kafka failed. */
    boolean halted() {
      return stopRequested || Thread.currentThread().isInterrupted() || failure.get() != null;
    }

    /** Waits for every sent record's acknowledgement; false when a record failed. */
    boolean flush() {
      // flush() throws when the thread is interrupted; finish the flush, then restore the flag.
      boolean interrupted = Thread.interrupted();
      try {
        producer.flush();
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
      return failure.get() == null;
    }

    /** Whether a row makes a valid impression and rating (a skipped one is logged and counted). */
    boolean sendable(Rating r) {
      String what = "rating " + r.userId() + "/" + r.movieId() + "@" + r.timestamp();
      return valid(WireRecords.impression(r), what) && valid(WireRecords.rating(r), what);
    }

    boolean valid(WireValue value, String what) {
      List<String> problems = value.validate();
      if (problems.isEmpty()) {
        return true;
      }
      skipped++;
      if (skipped <= LOGGED_SKIPS) {
        LOG.warn("skipping {}: {}{}", what, problems,
            skipped == LOGGED_SKIPS ? " (further skips are only counted)" : "");
      }
      return false;
    }

    /** Sleeps in short steps so stop() is honoured; false when stopped or interrupted. */
    boolean pause(Duration pause) {
      long end = System.nanoTime() + pause.toNanos();
      try {
        for (long left = pause.toNanos(); left > 0 && !halted(); left = end - System.nanoTime()) {
          TimeUnit.NANOSECONDS.sleep(Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return !halted();
    }

    void close() {
      boolean interrupted = Thread.interrupted();
      try {
        producer.flush();
        producer.close(KAFKA_TIMEOUT);
      } catch (KafkaException e) {
        recordFailure(e, "close");
      } finally {
        if (interrupted) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }

  /** A rating waiting for the score of its impression. */
  private static final class Held {
    final String impressionId;
    /** Index into the events. */
    final int index;
    final long impressionTimestamp;
    final long sentAtNanos;
    boolean released;

    /** The rating of event {@code index}, whose impression {@code shown} was just sent. */
    Held(int index, Impression shown) {
      this.impressionId = shown.impressionId();
      this.index = index;
      this.impressionTimestamp = shown.timestamp();
      this.sentAtNanos = System.nanoTime();
    }
  }

  /** Configures a {@link Replayer}; {@link #build()} validates. */
  public static final class Builder {
    private String bootstrapServers;
    private Topics topics;
    private MovieLensData dataset;
    private double speed;
    private long limit = Long.MAX_VALUE;
    private ReplayListener listener = ReplayListener.NONE;
    private final Map<String, Object> clientProperties = new LinkedHashMap<>();
    private Duration phasePause = Duration.ZERO;
    private Checkpoints checkpoints = Checkpoints.none();
    private CheckpointHook hook = (fraction, counts) -> {};
    private boolean verifyTopics = true;
    // Live by default: data-set time (1997 for MovieLens) is deleted by time-based retention.
    private EventTime eventTime = EventTime.LIVE;
    private Duration scoreWait;
    private int window = DEFAULT_WINDOW;

    private Builder() {}

    /**
     * Sends each rating only once the score of its impression is committed on {@code scores}
     * (read_committed), as a user rates what was shown, and what is shown was scored first; a
     * rating whose score does not come within {@code wait} is sent anyway and counted in {@link
     * ReplaySummary#unscoredRatings()}. One user's events stay in order (the next impression
     * waits behind the held rating); other users' go on, at most {@code window} events past the
     * oldest one not finished. This ties the replay's pace to the scorer's, so a scorer that
     * lags never sees a rating before its impression. Off by default: then ratings follow their
     * impressions at once, whatever the scorer does.
     */
    public Builder optAwaitScores(Duration wait, int window) {
      this.scoreWait = wait;
      this.window = window;
      return this;
    }

    /** {@code host:port[,host:port...]} of the cluster. Required. */
    public Builder setBootstrapServers(String bootstrapServers) {
      this.bootstrapServers = bootstrapServers;
      return this;
    }

    /** The topic registry (prefix, names, serdes). Required. */
    public Builder setTopics(Topics topics) {
      this.topics = topics;
      return this;
    }

    /** The data set to publish, as read by {@code MovieLensReader}. Required. */
    public Builder setDataset(MovieLensData dataset) {
      this.dataset = dataset;
      return this;
    }

    /** Impressions plus ratings per second, > 0. Default: as fast as the cluster takes them. */
    public Builder optSpeed(double eventsPerSecond) {
      this.speed = eventsPerSecond;
      return this;
    }

    /** At most this many ratings (the earliest), each with its impression; > 0. Default: all. */
    public Builder optLimit(long ratings) {
      this.limit = ratings;
      return this;
    }

    /** Follows the phases and each record sent. Default: none. */
    public Builder optProgress(ReplayListener listener) {
      this.listener = listener;
      return this;
    }

    /**
     * Client properties for every Kafka client of the replay, e.g. {@code
     * security.protocol=SASL_SSL} (see {@link ClientProperties#load}); they may also tune the
     * producer ({@code linger.ms}, {@code compression.type}). {@code acks} and {@code
     * enable.idempotence} are always {@code all} and {@code true}. Default: none.
     */
    public Builder optProducerProperties(Map<String, ?> properties) {
      Objects.requireNonNull(properties, "properties must not be null; pass Map.of() for none");
      this.clientProperties.putAll(properties);
      return this;
    }

    /** A pause after the catalog phase, before the first event (e.g. for a scorer to load it). */
    public Builder optPauseBetweenPhases(Duration pause) {
      this.phasePause = pause;
      return this;
    }

    /** Calls {@code hook} at each checkpoint fraction of the ratings published. Default: none. */
    public Builder optCheckpoints(Checkpoints checkpoints, CheckpointHook hook) {
      this.checkpoints = checkpoints;
      this.hook = hook;
      return this;
    }

    /** Whether to check that the input topics exist before producing. Default: true. */
    public Builder optVerifyTopics(boolean verify) {
      this.verifyTopics = verify;
      return this;
    }

    /**
     * The time events carry: the data set's ({@link EventTime#DATASET}, the default) or the
     * wall clock at sending ({@link EventTime#LIVE}, survives time-based retention).
     */
    public Builder optEventTime(EventTime eventTime) {
      this.eventTime = eventTime;
      return this;
    }

    public Replayer build() {
      if (bootstrapServers == null || bootstrapServers.isBlank()) {
        throw new IllegalArgumentException(
            "bootstrapServers is required (host:port of a broker), got " + bootstrapServers);
      }
      if (topics == null) {
        throw new IllegalArgumentException(
            "topics is required; use Topics.defaults() or Topics.withPrefix(prefix)");
      }
      if (dataset == null) {
        throw new IllegalArgumentException(
            "dataset is required; read one with MovieLensReader.read(folder)");
      }
      if (speed < 0 || Double.isNaN(speed) || Double.isInfinite(speed)) {
        throw new IllegalArgumentException(
            "speed must be > 0 events/s (or unset for max), got " + speed);
      }
      if (limit <= 0) {
        throw new IllegalArgumentException(
            "limit must be > 0 ratings (or unset for all), got " + limit);
      }
      if (listener == null) {
        throw new IllegalArgumentException(
            "progress listener must not be null; use ReplayListener.NONE");
      }
      if (phasePause == null || phasePause.isNegative()) {
        throw new IllegalArgumentException("pause between phases must be >= 0, got " + phasePause);
      }
      if (eventTime == null) {
        throw new IllegalArgumentException("eventTime must not be null; use EventTime.DATASET");
      }
      if (scoreWait != null && (scoreWait.isNegative() || scoreWait.isZero())) {
        throw new IllegalArgumentException("the wait for a score must be > 0, got " + scoreWait);
      }
      if (window < 1) {
        throw new IllegalArgumentException("the window of events in flight must be >= 1, got " + window);
      }
      if (checkpoints == null || hook == null) {
        throw new IllegalArgumentException(
            "checkpoints and hook must not be null; use Checkpoints.none() for none");
      }
      return new Replayer(this);
    }
  }
}
