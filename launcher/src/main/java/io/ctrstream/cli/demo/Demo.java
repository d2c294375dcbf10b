package io.ctrstream.cli.demo;

import io.ctrstream.dien.train.TrainingListener;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Score;
import io.ctrstream.schemas.Topics;
import io.ctrstream.streams.ScorerApp;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.trainer.movielens.MovieLensData;
import io.ctrstream.trainer.movielens.MovieLensReader;
import io.ctrstream.trainer.movielens.Rating;
import io.ctrstream.trainer.replay.Checkpoints;
import io.ctrstream.trainer.replay.ReplayCounts;
import io.ctrstream.trainer.replay.ReplayException;
import io.ctrstream.trainer.replay.ReplayListener;
import io.ctrstream.trainer.replay.ReplayPhase;
import io.ctrstream.trainer.replay.ReplaySummary;
import io.ctrstream.trainer.replay.Replayer;
import io.ctrstream.trainer.service.RetrainConfig;
import io.ctrstream.trainer.service.RetrainService;
import io.ctrstream.trainer.service.RunResult;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole loop in one process, top to bottom:
 *
 * <ol>
 *   <li>an embedded KRaft broker on localhost; every topic of {@link Topics} created;
 *   <li>a read_committed {@link StreamWatcher} on scores, feedback, dead-letters, model-releases;
 *   <li>the scorer ({@link ScorerApp}, exactly_once_v2, following model-releases, no HTTP);
 *   <li>the {@link Replayer}: users, movies, then an impression before each rating in time order;
 *       at each checkpoint (first at {@code firstTrainAt} of the ratings, then every {@code
 *       retrainEvery}) a training run ({@link RetrainService#runOnce()}) is handed to the
 *       trainer's own thread so the replay and the scoring keep flowing; at most one run waits
 *       while another trains (later checkpoints fold into it). With {@code waitForTraining} the
 *       replay instead pauses at each checkpoint until the run is over and its release (if any)
 *       is the scorer's live model, so that what the demo measures is the model, not how far the
 *       replay ran ahead of the trainer;
 *   <li>a status line every second: events/s, scored, feedback, releases, model, online AUCs;
 *   <li>wait (bounded) until every impression is scored and every rating has its feedback;
 *       the training run in progress finishes; the scorer stops (its last transaction commits);
 *       the watcher reads every topic to its end;
 *   <li>checks: each impression scored exactly once, one feedback record per rating;
 *       AUCs ({@link OnlineEvaluation}); report ({@link DemoReport}).
 * </ol>
 *
 * <p>No checkpoint at 100 %: a model released after the last event would score nothing here.
 */
public final class Demo {
  private static final Logger LOG = LoggerFactory.getLogger(Demo.class);
  private static final Duration SCORER_START = Duration.ofSeconds(120);
  private static final Duration DRAIN = Duration.ofSeconds(60);

  private final DemoOptions options;
  private final PrintStream status;
  private final List<RunResult> runs = new CopyOnWriteArrayList<>();
  private final List<String> trainingFailures = new CopyOnWriteArrayList<>();
  private final List<DemoReport.Sample> samples = new CopyOnWriteArrayList<>();
  private final AtomicLong eventsSent = new AtomicLong();
  /** Training batches done: a training run that still advances is waited for. */
  private final AtomicLong trainerProgress = new AtomicLong();
  /** Ratings published at the latest checkpoint: a training run waits for their feedback. */
  private final AtomicLong trainUpTo = new AtomicLong();
  private volatile Replayer replayer;
  private volatile StreamWatcher watcher;
  private volatile boolean cancelled;

  /**
   * @param status where the status line and the per-run lines go (stderr for the CLI)
   */
  public Demo(DemoOptions options, PrintStream status) {
    this.options = options;
    this.status = status;
  }

  /** Stops the replay after the current event (e.g. from a shutdown hook); the run then ends. */
  public void cancel() {
    cancelled = true;
    Replayer r = replayer;
    if (r != null) {
      r.stop();
    }
  }

  /**
   * Runs the loop and returns its summary; {@link DemoResult#errors()} lists counts that did not
   * add up and waits that timed out.
   *
   * @throws IOException when the data set cannot be read or the report cannot be written
   */
  public DemoResult run() throws IOException {
    long begin = System.nanoTime();
    MovieLensData data = MovieLensReader.read(options.data());
    Files.createDirectories(options.out());
    List<String> errors = new ArrayList<>();
    Topics topics = Topics.defaults();
    status.printf(Locale.ROOT, "ctr demo: %d users, %d movies, %d ratings from %s (%s)%n",
        data.users().size(), data.movies().size(), data.ratings().size(), options.data(),
        data.format());

    // The state of an earlier run into the same folder belongs to that run's broker, which is
    // gone: restoring it against a new broker fails (offsets out of range), so it goes first.
    deleteRecursively(options.out().resolve("scorer-state"));
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().start()) {
      kafka.createTopics(topics.newTopics((short) 1));
      status.printf("ctr demo: broker at %s (started in %d ms)%n", kafka.bootstrapServers(),
          kafka.startupTime().toMillis());
      try (StreamWatcher watcher = new StreamWatcher(kafka.bootstrapServers(), topics)) {
        watcher.start();
        this.watcher = watcher;
        ScorerConfig scorerConfig = ScorerConfig.defaults().with(Map.of(
            "bootstrap.servers", kafka.bootstrapServers(),
            "application.id", "ctr-demo",
            "state.dir", options.out().resolve("scorer-state").toAbsolutePath().toString(),
            "processing.guarantee", "exactly_once_v2",
            // The replay waits for each impression's committed score before its rating, so one
            // user's events advance once per batch wait plus commit: shorter than the service's
            // defaults (50 ms, 100 ms), which favour throughput.
            "batch.max.wait.ms", "20",
            "commit.interval.ms", "50"));
        ScorerApp scorer = ScorerApp.builder().setConfig(scorerConfig).optHttp(false).build();
        ThreadPoolExecutor trainerThread = trainerExecutor();
        ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
          Thread t = new Thread(r, "ctr-demo-status");
          t.setDaemon(true);
          return t;
        });
        try (RetrainService trainer = RetrainService.builder()
            .setConfig(retrainConfig(kafka.bootstrapServers(), topics))
            .optOnResult(this::onTrainingResult)
            .optListener(new TrainingListener() {
              @Override
              public void onBatch(int epoch, int batch, int batches, double loss) {
                trainerProgress.incrementAndGet();
              }
            })
            .build()) {
          scorer.start();
          if (!waitFor(() -> scorer.streams().state() == KafkaStreams.State.RUNNING, SCORER_START)) {
            throw new IllegalStateException("the scorer did not reach RUNNING within "
                + SCORER_START.toSeconds() + " s (state " + scorer.streams().state() + ")");
          }
          Replayer r =
              replayer(kafka.bootstrapServers(), topics, data, trainer, trainerThread, watcher,
                  scorer::modelVersion);
          this.replayer = r;
          List<Rating> events = r.events();
          long started = System.nanoTime();
          ticker.scheduleAtFixedRate(new StatusLine(watcher, scorer::modelVersion, started,
                  events.size()), options.statusEvery().toMillis(),
              options.statusEvery().toMillis(), TimeUnit.MILLISECONDS);

          ReplayCounts published = replay(r, errors);
          status.printf("ctr demo: replay done: %d impressions, %d ratings published (%d skipped)"
              + "; waiting for the scorer%n", published.impressions(), published.ratings(),
              published.skipped());
          if (!cancelled && !waitWhileProgressing(() -> {
            StreamWatcher.Snapshot s = watcher.snapshot();
            return s.distinctScored() >= published.impressions() && s.feedback() >= published.ratings();
          }, () -> {
            StreamWatcher.Snapshot s = watcher.snapshot();
            return s.scores() + s.feedback();
          }, options.timeout())) {
            StreamWatcher.Snapshot s = watcher.snapshot();
            errors.add(String.format(Locale.ROOT, "the scorer made no progress for %d s:"
                    + " %d of %d impressions scored, %d of %d ratings with feedback",
                options.timeout().toSeconds(), s.distinctScored(), published.impressions(),
                s.feedback(), published.ratings()));
          }
          trainerThread.shutdown();
          if (trainerThread.getActiveCount() > 0) {
            status.println("ctr demo: waiting for the training run in progress to finish");
          }
          if (!waitWhileProgressing(trainerThread::isTerminated, trainerProgress::get,
              options.timeout())) {
            errors.add("the training run made no progress for " + options.timeout().toSeconds()
                + " s");
            trainerThread.shutdownNow();
          }
          scorer.close();
          if (!watcher.awaitDrained(DRAIN)) {
            errors.add("the watcher did not read the output topics to their end within "
                + DRAIN.toSeconds() + " s");
          }
          ticker.shutdownNow();
          samples.add(sample(watcher, started));
          return summarize(data, events, published, watcher, errors, begin);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted while running the demo", e);
        } finally {
          ticker.shutdownNow();
          trainerThread.shutdownNow();
          scorer.close();
        }
      }
    }
  }

  private ReplayCounts replay(Replayer r, List<String> errors) {
    try {
      ReplaySummary s = r.run();
      if (!s.completed()) {
        errors.add("the replay was stopped before the last rating");
      }
      return s.counts();
    } catch (ReplayException e) {
      errors.add("the replay failed: " + e.getMessage());
      return e.partial().counts();
    }
  }

  private RetrainConfig retrainConfig(String bootstrapServers, Topics topics) {
    return RetrainConfig.builder()
        .setBootstrapServers(bootstrapServers)
        .optTopics(topics)
        .optReportsDir(options.out().resolve("trainer-reports"))
        .optMaxEpochs(options.maxEpochs())
        .optMinExamples(options.minExamples())
        .optHistoryAffinity(options.historyAffinity())
        .optWide(options.wide())
        .optCalibrate(options.calibrate())
        .optFullRetrainEvery(options.fullRetrainEvery())
        .build();
  }

  /** One thread; one run at a time, at most one waiting; further requests fold into that one. */
  private static ThreadPoolExecutor trainerExecutor() {
    return new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(1),
        r -> {
          Thread t = new Thread(r, "ctr-demo-trainer");
          t.setDaemon(true);
          return t;
        },
        new ThreadPoolExecutor.DiscardPolicy());
  }

  /**
   * One training run on the trainer's thread. It first waits (bounded) until the scorer has
   * written the feedback of every rating published at the latest checkpoint: the trainer reads
   * feedback, and a scorer lagging behind the replay would otherwise leave it nothing to learn.
   */
  private RunResult train(RetrainService trainer, StreamWatcher watcher) {
    long target = trainUpTo.get();
    try {
      if (!waitWhileProgressing(() -> watcher.snapshot().feedback() >= target,
          () -> watcher.snapshot().feedback(), options.timeout())) {
        status.printf("ctr demo: the scorer has not caught up with %d ratings; training on what"
            + " there is%n", target);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
    if (cancelled) {
      return null;
    }
    try {
      return trainer.runOnce();
    } catch (RuntimeException | LinkageError e) {
      // runOnce reports a failed run itself; this is what escaped it (e.g. a class missing from
      // a jar rebuilt under the running JVM): the demo reports it instead of losing the thread
      LOG.error("training run failed", e);
      trainingFailures.add(e.toString());
      return null;
    }
  }

  private Replayer replayer(String bootstrapServers, Topics topics, MovieLensData data,
      RetrainService trainer, ThreadPoolExecutor trainerThread, StreamWatcher watcher,
      Supplier<String> liveVersion) {
    Checkpoints all = Checkpoints.startingAt(options.firstTrainAt(), options.retrainEvery());
    Checkpoints checkpoints =
        new Checkpoints(all.fractions().stream().filter(f -> f < 1.0).toList());
    Replayer.Builder b = Replayer.builder()
        .setBootstrapServers(bootstrapServers)
        .setTopics(topics)
        .setDataset(data)
        .optProgress(new ReplayListener() {
          @Override
          public void onProgress(ReplayPhase phase, long done, long records) {
            if (phase == ReplayPhase.EVENTS) {
              eventsSent.set(done);
            }
          }
        })
        .optCheckpoints(checkpoints, (fraction, counts) -> {
          trainUpTo.accumulateAndGet(counts.ratings(), Math::max);
          if (options.waitForTraining()) {
            status.printf(Locale.ROOT, "ctr demo: %.0f%% of the ratings published: training; the"
                + " replay waits%n", fraction * 100);
            trainAndWait(trainer, trainerThread, watcher, liveVersion);
            return;
          }
          boolean queued = trainerThread.getQueue().isEmpty();
          try {
            trainerThread.execute(() -> train(trainer, watcher));
          } catch (RejectedExecutionException e) {
            queued = false;
          }
          status.printf(Locale.ROOT, "ctr demo: %.0f%% of the ratings published: %s%n",
              fraction * 100, queued ? "training run requested"
                  : "a training run is already waiting; this checkpoint folds into it");
        });
    if (options.speed() > 0) {
      b.optSpeed(options.speed());
    }
    if (options.limit() > 0) {
      b.optLimit(options.limit());
    }
    if (!options.scoreWait().isZero()) {
      b.optAwaitScores(options.scoreWait(), Replayer.DEFAULT_WINDOW);
    }
    return b.build();
  }

  /**
   * One training run on the trainer's thread, waited for (bounded by the timeout while it makes no
   * progress), then, when it released a model, until the scorer serves that model.
   */
  private void trainAndWait(RetrainService trainer, ThreadPoolExecutor trainerThread,
      StreamWatcher watcher, Supplier<String> liveVersion) {
    Future<RunResult> run = trainerThread.submit(() -> train(trainer, watcher));
    try {
      if (!waitWhileProgressing(run::isDone, trainerProgress::get, options.timeout())) {
        status.printf("ctr demo: the training run made no progress for %d s; the replay goes on%n",
            options.timeout().toSeconds());
        return;
      }
      RunResult result = run.get(); // done: does not block
      if (result == null || result.decision() != RunResult.Decision.RELEASED) {
        return;
      }
      if (!waitFor(() -> result.version().equals(liveVersion.get()), options.timeout())) {
        status.printf("ctr demo: the scorer did not load %s within %d s; the replay goes on%n",
            result.version(), options.timeout().toSeconds());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      // train() catches what a run throws; anything else is the demo's own fault
      throw new IllegalStateException("the training task failed", e.getCause());
    }
  }

  private void onTrainingResult(RunResult r) {
    runs.add(r);
    status.printf(Locale.ROOT, "ctr demo: training run %s: %s%s (%s; candidate AUC %s, live AUC %s,"
            + " %.1f s)%n", r.runId(), r.decision().wireName(),
        r.version() == null ? "" : " " + r.version(), r.reason(),
        DemoResult.format(r.candidateAuc()), DemoResult.format(r.liveAuc()), r.seconds());
  }

  private DemoResult summarize(MovieLensData data, List<Rating> events, ReplayCounts published,
      StreamWatcher watcher, List<String> errors, long begin) throws IOException {
    trainingFailures.forEach(f -> errors.add("a training run failed: " + f));
    watcher.failure().ifPresent(e -> errors.add("the watcher of the output topics failed, so the"
        + " counts are incomplete: " + e));
    StreamWatcher.Snapshot s = watcher.snapshot();
    List<StreamWatcher.Served> feedback = watcher.feedback();
    if (s.scores() != published.impressions() || s.distinctScored() != published.impressions()) {
      errors.add(String.format(Locale.ROOT, "%d impressions published but %d scores for %d distinct"
          + " impressions", published.impressions(), s.scores(), s.distinctScored()));
    }
    Map<String, Integer> duplicates = watcher.duplicates();
    if (!duplicates.isEmpty()) {
      errors.add(duplicates.size() + " impressions scored more than once, e.g. "
          + duplicates.entrySet().stream().limit(5).toList());
    }
    if (feedback.size() != published.ratings()) {
      errors.add(String.format(Locale.ROOT, "%d ratings published but %d feedback records",
          published.ratings(), feedback.size()));
    }
    Set<String> ratingKeys = new HashSet<>();
    long duplicateFeedback = 0;
    long organic = 0;
    long unscoredFeedback = 0;
    for (StreamWatcher.Served f : feedback) {
      if (!ratingKeys.add(f.userId() + "|" + f.movieId() + "|" + f.timestamp())) {
        duplicateFeedback++;
      }
      if (f.impressionId() == null) {
        organic++;
      } else if (!watcher.scored(f.impressionId())) {
        unscoredFeedback++;
      }
    }
    if (organic > 0) {
      // one record per rating still holds; the rating was processed before its impression, so
      // no served score joined it and the online AUCs leave it out
      LOG.warn("{} ratings got organic feedback (no served score) although their impression was"
          + " published just before them", organic);
    }
    if (duplicateFeedback > 0) {
      errors.add(duplicateFeedback + " ratings have more than one feedback record");
    }
    if (unscoredFeedback > 0) {
      errors.add(unscoredFeedback + " feedback records name an impression that has no score");
    }
    if (s.undecodable() > 0) {
      errors.add(s.undecodable() + " output records could not be decoded");
    }

    List<Rating> sent = events.subList(0, (int) Math.min(events.size(), published.ratings()));
    DemoResult partial = new DemoResult(published.ratings(), published.impressions(), s.scores(),
        s.distinctScored(), feedback.size(), s.deadLetters(), watcher.releases().size(),
        organic, s.scoresByVersion(), OnlineEvaluation.countByVersion(feedback),
        OnlineEvaluation.aucByVersion(feedback), OnlineEvaluation.aucAfterFirstRelease(feedback),
        OnlineEvaluation.popularityAuc(sent, OnlineEvaluation.POPULARITY_PSEUDO_COUNT),
        OnlineEvaluation.popularityAucAfterFirstRelease(sent, feedback,
            OnlineEvaluation.POPULARITY_PSEUDO_COUNT),
        OnlineEvaluation.oracleAuc(options.data(), sent).orElse(Double.NaN),
        new DemoResult.Quality(
            OnlineEvaluation.baselinesAfterFirstRelease(sent, feedback,
                OnlineEvaluation.POPULARITY_PSEUDO_COUNT),
            OnlineEvaluation.eceAfterFirstRelease(feedback),
            OnlineEvaluation.loglossAfterFirstRelease(feedback),
            OnlineEvaluation.eceByVersion(feedback),
            OnlineEvaluation.loglossByVersion(feedback),
            OnlineEvaluation.reliabilityAfterFirstRelease(feedback)),
        runs.stream().map(r -> r.decision().wireName() + (r.version() == null ? "" : " " + r.version())
            + ": " + r.reason()).toList(),
        (System.nanoTime() - begin) / 1e9, null, List.copyOf(errors));
    if (s.deadLetters() > 0) {
      LOG.warn("{} dead letters, e.g. {}", s.deadLetters(), watcher.deadLetterReasons());
    }
    Path page = DemoReport.write(options.out(), partial,
        OnlineEvaluation.overTimeWith(feedback, 20, OnlineEvaluation.baselinesByImpression(sent,
            OnlineEvaluation.POPULARITY_PSEUDO_COUNT)), List.copyOf(samples), List.copyOf(runs));
    return new DemoResult(partial.ratings(), partial.impressions(), partial.scores(),
        partial.distinctScored(), partial.feedback(), partial.deadLetters(), partial.releases(),
        partial.feedbackOrganic(), partial.scoresByVersion(), partial.feedbackByVersion(), partial.onlineAucByVersion(),
        partial.onlineAucAfterFirstRelease(), partial.popularityAuc(),
        partial.popularityAucAfterFirstRelease(), partial.oracleAuc(), partial.quality(),
        partial.trainingRuns(), (System.nanoTime() - begin) / 1e9, page, partial.errors());
  }

  private DemoReport.Sample sample(StreamWatcher watcher, long started) {
    StreamWatcher.Snapshot s = watcher.snapshot();
    long sentEvents = eventsSent.get();
    return new DemoReport.Sample((System.nanoTime() - started) / 1e9, (sentEvents + 1) / 2,
        sentEvents / 2, s.scores(), s.feedback(), s.releases());
  }

  private boolean watcherFailed() {
    StreamWatcher w = watcher;
    return w != null && w.failure().isPresent();
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  /** Polls {@code condition} every 100 ms until it holds (true) or {@code timeout} passes (false). */
  private boolean waitFor(BooleanSupplier condition, Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (cancelled || watcherFailed() || System.nanoTime() > deadline) {
        return condition.getAsBoolean();
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    return true;
  }

  /**
   * Polls {@code condition} every 100 ms until it holds (true), or until {@code progress} has not
   * changed for {@code stall} (false): a slow scorer may take long, a stuck one fails clearly.
   */
  private boolean waitWhileProgressing(BooleanSupplier condition, LongSupplier progress,
      Duration stall) throws InterruptedException {
    long last = progress.getAsLong();
    long lastChange = System.nanoTime();
    while (!condition.getAsBoolean()) {
      long now = progress.getAsLong();
      if (now != last) {
        last = now;
        lastChange = System.nanoTime();
      }
      if (cancelled || watcherFailed() || System.nanoTime() - lastChange > stall.toNanos()) {
        return condition.getAsBoolean();
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
    return true;
  }

  /** Prints one status line and records one sample per tick. */
  private final class StatusLine implements Runnable {
    private final StreamWatcher watcher;
    private final Supplier<String> modelVersion;
    private final long started;
    private final long ratings;
    private long lastSent;
    private long lastNanos;

    StatusLine(StreamWatcher watcher, Supplier<String> modelVersion, long started, long ratings) {
      this.watcher = watcher;
      this.modelVersion = modelVersion;
      this.started = started;
      this.ratings = ratings;
      this.lastNanos = started;
    }

    @Override
    public void run() {
      try {
        long now = System.nanoTime();
        long sent = eventsSent.get();
        double rate = (sent - lastSent) / Math.max(1e-9, (now - lastNanos) / 1e9);
        lastSent = sent;
        lastNanos = now;
        DemoReport.Sample sample = sample(watcher, started);
        samples.add(sample);
        StreamWatcher.Snapshot s = watcher.snapshot();
        StringBuilder aucs = new StringBuilder();
        OnlineEvaluation.aucByVersion(watcher.feedback()).forEach((v, auc) ->
            aucs.append(' ').append(shortVersion(v)).append('=').append(DemoResult.format(auc)));
        status.printf(Locale.ROOT, "[%5.0fs] sent %d/%d events (%.0f/s) | scored %d | feedback %d"
                + " | dead %d | releases %d | model %s | online AUC%s%n",
            sample.seconds(), sent, 2 * ratings, rate, s.distinctScored(), s.feedback(),
            s.deadLetters(), s.releases(), shortVersion(modelVersion.get()),
            aucs.length() == 0 ? " n/a" : aucs);
      } catch (RuntimeException e) {
        LOG.warn("status line failed: {}", e.toString());
      }
    }
  }

  /** "v3-20261129T110102Z" reads as "v3"; the prior stays "prior". */
  static String shortVersion(String version) {
    if (version == null || Score.PRIOR_VERSION.equals(version)) {
      return Score.PRIOR_VERSION;
    }
    int dash = version.indexOf('-');
    return dash > 0 ? version.substring(0, dash) : version;
  }
}
