package io.ctrstream.cli.chaos;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstream.cli.bench.BenchCluster;
import io.ctrstream.cli.bench.ScoringBenchmark.Progress;
import io.ctrstream.cli.chaos.ModelChaos.ScoreReader;
import io.ctrstream.cli.chaos.ModelChaos.Seen;
import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.ModelRelease;
import io.ctrstream.schemas.Rating;
import io.ctrstream.schemas.Topics;
import io.ctrstream.streams.ScorerApp;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.streams.http.StreamsUserStateQuery;
import io.ctrstream.streams.http.UserStateQuery;
import io.ctrstream.streams.metrics.ScorerMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ./ctr chaos state}: proves that losing a scorer's local state changes no score. On a
 * broker started in this process, or a running cluster, it starts a scorer ({@link ScorerApp}
 * with its release follower, a small real DIEN model released on {@code model-releases}), sends
 * each user's ratings (their history), waits until the user state shows every one, scores a set
 * of (user, movie) impressions, and reads each user's state ({@code /users/{id}}). It then stops
 * the scorer, deletes its state directory, and starts a new one on the same application id and
 * directory: the state is restored from the changelog topics. It checks that each user's state
 * reads the same as before, and that the same (user, movie) impressions, sent again with new ids,
 * get the same scores (same model, same features); and that no stream thread died and Kafka
 * Streams is RUNNING.
 */
public final class StateChaos {
  private static final Logger LOG = LoggerFactory.getLogger(StateChaos.class);
  static final String VERSION = "chaos-state-1";
  private static final double TOLERANCE = 1e-6;
  private static final int MAX_PROBLEMS_LISTED = 50;

  /**
   * What to run.
   *
   * @param users users published first ({@code u0..}), each with its ratings
   * @param movies movies published first ({@code 1..})
   * @param ratingsPerUser ratings of distinct movies per user (1 to 5 stars; 4 and 5 make the
   *     history)
   * @param impressions distinct (user, movie) impressions scored before and after the wipe
   * @param timeout longest wait for each phase
   */
  public record Options(int users, int movies, int ratingsPerUser, int impressions,
      Duration timeout, long seed, String bootstrapServers, Path kafkaProperties,
      Optional<Short> replicationFactor, Progress progress) {

    /** Problems with these options; empty when they can run. */
    public List<String> problems() {
      List<String> p = new ArrayList<>();
      if (users < 1) {
        p.add("users must be > 0, got " + users);
      }
      if (movies < 1) {
        p.add("movies must be > 0, got " + movies);
      }
      if (ratingsPerUser < 0 || ratingsPerUser > movies) {
        p.add("ratings per user must be in [0, movies], got " + ratingsPerUser);
      }
      if (impressions < 1 || (long) impressions > (long) users * movies) {
        p.add("impressions must be in [1, users x movies], got " + impressions);
      }
      if (timeout.isNegative() || timeout.isZero()) {
        p.add("timeout must be > 0, got " + timeout);
      }
      ChaosCluster.problems(p, bootstrapServers, kafkaProperties, replicationFactor);
      return p;
    }
  }

  /**
   * What a run found; it passed when {@link #problems()} is empty.
   *
   * @param ratingsSent ratings sent before the first scoring
   * @param usersCompared users whose state was read before the wipe and after the restore
   * @param stateMismatches of those, whose state reads differently (or cannot be read)
   * @param impressionsCompared (user, movie) impressions scored before and after
   * @param scoreMismatches of those, scored differently (beyond 1e-6), or not scored
   * @param maxScoreDifference the largest difference seen
   * @param restoreSeconds from starting the new scorer to its being RUNNING
   * @param assignmentSeconds of those, until its first task began restoring (the scorers share an
   *     {@code instance.id}, so the new one takes the stopped one's place in the group at once;
   *     with dynamic membership it would wait for the stopped member's session to time out,
   *     {@code session.timeout.ms}, as Kafka Streams does not leave the group on close)
   * @param restoredRecords changelog records restored into the new scorer's stores
   */
  public record Figures(String broker, int ratingsSent, int usersCompared, int stateMismatches,
      int impressionsCompared, int scoreMismatches, double maxScoreDifference,
      double restoreSeconds, double assignmentSeconds, long restoredRecords, String versionBefore, String versionAfter,
      int threadsDied, String state, boolean ready, double seconds, List<String> problems) {

    public boolean passed() {
      return problems.isEmpty();
    }
  }

  private final Options o;
  private final ObjectMapper json = new ObjectMapper();

  public StateChaos(Options options) {
    this.o = Objects.requireNonNull(options);
    List<String> problems = options.problems();
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
  }

  public Figures run() throws IOException, InterruptedException {
    long began = System.nanoTime();
    Path work = Files.createTempDirectory("ctr-chaos-state-");
    o.progress().begin(o.bootstrapServers() == null ? "starting the in-process broker"
        : "connecting to " + o.bootstrapServers(), 1);
    try (BenchCluster kafka = ChaosCluster.open(o.bootstrapServers(), o.kafkaProperties(),
        o.replicationFactor())) {
      o.progress().end();
      LOG.info("chaos state against the {}", kafka.describe());
      Topics topics = Topics.builder().optPrefix(kafka.namePrefix()).build();
      kafka.createTopics(topics);
      return runOn(kafka, topics, work, began);
    } finally {
      ChaosCluster.deleteTree(work);
    }
  }

  private Figures runOn(BenchCluster kafka, Topics topics, Path work, long began)
      throws IOException, InterruptedException {
    Path stateDir = work.resolve("state");
    Map<String, String> settings = ChaosCluster.scorerSettings(kafka, topics, stateDir, o.kafkaProperties());
    // Static membership: the restarted scorer takes its partitions back at once, instead of
    // waiting for the stopped one's session to time out (45 s by default).
    settings.put("instance.id", "chaos-state-scorer");
    ScorerConfig config = ScorerConfig.fromMap(settings);
    Random random = new Random(o.seed());
    List<String> problems = new ArrayList<>();

    // The workload: each user's ratings of distinct movies, then distinct (user, movie) pairs.
    long now = System.currentTimeMillis();
    List<Rating> ratings = new ArrayList<>();
    List<Integer> movieIds = new ArrayList<>();
    for (int m = 1; m <= o.movies(); m++) {
      movieIds.add(m);
    }
    Map<String, Integer> ratingsOf = new LinkedHashMap<>();
    for (int u = 0; u < o.users(); u++) {
      Collections.shuffle(movieIds, random);
      for (int k = 0; k < o.ratingsPerUser(); k++) {
        ratings.add(new Rating("u" + u, Integer.toString(movieIds.get(k)), (double) (1 + random.nextInt(5)),
            now - 60_000L + ratings.size()));
      }
      ratingsOf.put("u" + u, o.ratingsPerUser());
    }
    Set<String> pairs = new LinkedHashSet<>();
    while (pairs.size() < o.impressions()) {
      pairs.add("u" + random.nextInt(o.users()) + " " + (1 + random.nextInt(o.movies())));
    }

    o.progress().begin("publishing the catalog and the model", 1);
    ModelBundle bundle = ChaosModels.bundle(ChaosModels.encoder(o.users(), o.movies()), VERSION, 1, now);
    try (KafkaProducer<byte[], byte[]> producer = ChaosCluster.producer(kafka);
        ScoreReader reader = new ScoreReader(kafka.clientConfig(), topics.scores())) {
      topics.all().forEach(t -> producer.partitionsFor(t.name()));
      ChaosCluster.publishCatalog(producer, topics, o.users(), o.movies());
      ChaosCluster.send(producer, topics.modelReleases(), ChaosModels.MODEL, new ModelRelease(
          ChaosModels.MODEL, VERSION, null, now, bundle.sha256(), bundle.manifest().featureSpecHash(),
          Map.of(), Base64.getEncoder().encodeToString(bundle.toBytes()), null));
      producer.flush();
      o.progress().end();

      // Before: ratings, the state they make, the scores.
      Map<String, String> statesBefore;
      Map<String, Double> scoresBefore;
      String versionBefore;
      try (ScorerApp app = scorer(config, ScorerMetrics.inMemory())) {
        o.progress().begin("starting the scorer", 1);
        app.start();
        ChaosCluster.awaitRunning(app.streams(), o.timeout());
        o.progress().end();
        o.progress().begin("sending " + ratings.size() + " ratings", ratings.size());
        for (Rating r : ratings) {
          ChaosCluster.send(producer, topics.ratings(), r.userId(), r);
        }
        producer.flush();
        o.progress().end();
        statesBefore = awaitStates(app, ratingsOf, problems);
        scoresBefore = score(producer, topics, reader, pairs, "a", problems);
        versionBefore = app.modelVersion();
        checkScorer(app, "before the wipe", problems);
      }

      // The wipe, and a new scorer on the changelogs.
      o.progress().begin("wiping the state directory", 1);
      ChaosCluster.deleteTree(stateDir);
      if (Files.exists(stateDir)) {
        problems.add("the state directory " + stateDir + " could not be deleted");
      }
      o.progress().end();
      AtomicLong restored = new AtomicLong();
      AtomicLong firstTaskRestore = new AtomicLong();
      ScorerMetrics metrics = ScorerMetrics.inMemory();
      try (ScorerApp app = scorer(config, metrics)) {
        app.streams().setGlobalStateRestoreListener(new StateRestoreListener() {
          @Override
          public void onRestoreStart(TopicPartition tp, String store, long start, long end) {
            if (tp.topic().endsWith("-changelog")) {
              firstTaskRestore.compareAndSet(0, System.nanoTime());
            }
            LOG.info("restoring {} from {} ({} to {})", store, tp, start, end);
          }

          @Override
          public void onBatchRestored(TopicPartition tp, String store, long batchEnd, long n) {
            restored.addAndGet(n);
          }

          @Override
          public void onRestoreEnd(TopicPartition tp, String store, long total) {
            LOG.info("restored {} from {}: {} records", store, tp, total);
          }
        });
        o.progress().begin("restoring the scorer's state from the changelogs", 1);
        long restoreFrom = System.nanoTime();
        app.start();
        ChaosCluster.awaitRunning(app.streams(), o.timeout());
        double restoreSeconds = Math.round((System.nanoTime() - restoreFrom) / 1e7) / 100.0;
        double assignmentSeconds = firstTaskRestore.get() == 0 ? restoreSeconds
            : Math.round((firstTaskRestore.get() - restoreFrom) / 1e7) / 100.0;
        o.progress().end();
        LOG.info("state restored in {} s ({} records)", restoreSeconds, restored.get());

        // After: the same state, the same scores.
        int stateMismatches = 0;
        StreamsUserStateQuery users = new StreamsUserStateQuery(app.streams(), app.config().advertisedEndpoint());
        o.progress().begin("reading " + statesBefore.size() + " users' state", statesBefore.size());
        int read = 0;
        for (Map.Entry<String, String> e : statesBefore.entrySet()) {
          String after = stateOf(users, e.getKey(), o.timeout());
          if (!e.getValue().equals(after)) {
            stateMismatches++;
            if (stateMismatches <= 10) {
              problems.add("user " + e.getKey() + ": state " + after + " after the restore, " + e.getValue() + " before");
            }
          }
          o.progress().update(++read);
        }
        o.progress().end();
        Map<String, Double> scoresAfter = score(producer, topics, reader, pairs, "b", problems);
        int scoreMismatches = 0;
        double maxDiff = 0;
        for (String pair : pairs) {
          Double a = scoresBefore.get(pair);
          Double b = scoresAfter.get(pair);
          double diff = a == null || b == null ? Double.NaN : Math.abs(a - b);
          if (!(diff <= TOLERANCE)) {
            scoreMismatches++;
            if (scoreMismatches <= 10) {
              problems.add("(user, movie) " + pair.replace(' ', ',') + ": scored " + a + " before the wipe, "
                  + b + " after");
            }
          }
          if (!Double.isNaN(diff)) {
            maxDiff = Math.max(maxDiff, diff);
          }
        }
        if (stateMismatches > 10 || scoreMismatches > 10) {
          problems.add("(only the first 10 mismatches of each kind are listed)");
        }
        String versionAfter = app.modelVersion();
        if (!VERSION.equals(versionBefore) || !VERSION.equals(versionAfter)) {
          problems.add("the scorer served " + versionBefore + " before and " + versionAfter + " after, not " + VERSION);
        }
        checkScorer(app, "after the restore", problems);
        int threadsDied = (int) Math.round(metrics.streamThreadFailures());
        double seconds = Math.round((System.nanoTime() - began) / 1e8) / 10.0;
        return new Figures(kafka.inProcess() ? "in-process" : "external", ratings.size(),
            statesBefore.size(), stateMismatches, pairs.size(), scoreMismatches, maxDiff,
            restoreSeconds, assignmentSeconds, restored.get(), versionBefore, versionAfter, threadsDied,
            app.streams().state().name(), app.health().ready().ok(), seconds,
            List.copyOf(problems.size() <= MAX_PROBLEMS_LISTED ? problems
                : problems.subList(0, MAX_PROBLEMS_LISTED)));
      }
    }
  }

  private static ScorerApp scorer(ScorerConfig config, ScorerMetrics metrics) {
    return ScorerApp.builder().setConfig(config).optMetrics(metrics).optFollowReleases(true)
        .optHttp(false).build();
  }

  private static void checkScorer(ScorerApp app, String when, List<String> problems) {
    if (app.metrics().streamThreadFailures() > 0) {
      problems.add(Math.round(app.metrics().streamThreadFailures()) + " stream threads died " + when);
    }
    if (app.streams().state() != KafkaStreams.State.RUNNING || !app.health().ready().ok()) {
      problems.add("Kafka Streams is " + app.streams().state() + " " + when + ", ready: "
          + app.health().ready().checks());
    }
  }

  /** Waits until every user's state counts its ratings; returns each user's state as JSON. */
  private Map<String, String> awaitStates(ScorerApp app, Map<String, Integer> ratingsOf,
      List<String> problems) throws InterruptedException {
    StreamsUserStateQuery users = new StreamsUserStateQuery(app.streams(), app.config().advertisedEndpoint());
    Map<String, String> states = new LinkedHashMap<>();
    o.progress().begin("waiting for " + ratingsOf.size() + " users' state", ratingsOf.size());
    long deadline = System.nanoTime() + o.timeout().toNanos();
    for (Map.Entry<String, Integer> e : ratingsOf.entrySet()) {
      String state = null;
      while (System.nanoTime() < deadline) {
        UserStateQuery.Result r = users.lookup(e.getKey());
        if (r instanceof UserStateQuery.Found f && f.state().ratings() >= e.getValue()) {
          state = toJson(f.state());
          break;
        }
        if (r instanceof UserStateQuery.Missing && e.getValue() == 0) {
          state = "missing";
          break;
        }
        Thread.sleep(20);
      }
      if (state == null) {
        problems.add("user " + e.getKey() + ": the state never showed the " + e.getValue() + " ratings sent");
      } else {
        states.put(e.getKey(), state);
      }
      o.progress().update(states.size());
    }
    o.progress().end();
    return states;
  }

  private String stateOf(StreamsUserStateQuery users, String userId, Duration timeout)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    UserStateQuery.Result r = users.lookup(userId);
    while (r instanceof UserStateQuery.Unavailable && System.nanoTime() < deadline) {
      Thread.sleep(20);
      r = users.lookup(userId);
    }
    if (r instanceof UserStateQuery.Found f) {
      return toJson(f.state());
    }
    return r instanceof UserStateQuery.Missing ? "missing" : r.toString();
  }

  private String toJson(Object state) {
    try {
      return json.writeValueAsString(state);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write a user's state as JSON: " + e.getMessage(), e);
    }
  }

  /** Sends one impression per pair (ids {@code tag-<n>}) and waits for their scores, by pair. */
  private Map<String, Double> score(KafkaProducer<byte[], byte[]> producer, Topics topics,
      ScoreReader reader, Set<String> pairs, String tag, List<String> problems) {
    Map<String, String> pairOf = new LinkedHashMap<>();
    long ts = System.currentTimeMillis();
    for (String pair : pairs) {
      String[] p = pair.split(" ");
      String id = tag + "-" + pairOf.size();
      pairOf.put(id, pair);
      ChaosCluster.send(producer, topics.impressions(), p[0], new Impression(id, p[0], p[1], ts));
    }
    producer.flush();
    o.progress().begin("scoring " + pairs.size() + " impressions (" + tag + ")", pairs.size());
    long deadline = System.nanoTime() + o.timeout().toNanos();
    while (System.nanoTime() < deadline && !reader.scoredAll(pairOf.keySet())) {
      reader.poll();
      o.progress().update(pairOf.keySet().stream().filter(reader.seen::containsKey).count());
    }
    o.progress().end();
    Map<String, Double> scores = new LinkedHashMap<>();
    int missing = 0;
    for (Map.Entry<String, String> e : pairOf.entrySet()) {
      List<Seen> seen = reader.seen.get(e.getKey());
      if (seen == null) {
        missing++;
      } else {
        if (seen.size() > 1) {
          problems.add("impression " + e.getKey() + " was scored " + seen.size() + " times");
        }
        if (!VERSION.equals(seen.get(0).version())) {
          problems.add("impression " + e.getKey() + " was scored by " + seen.get(0).version());
        }
        scores.put(e.getValue(), seen.get(0).score());
      }
    }
    if (missing > 0) {
      problems.add(missing + " impressions (" + tag + ") were not scored within " + o.timeout().toSeconds() + " s");
    }
    return scores;
  }
}
