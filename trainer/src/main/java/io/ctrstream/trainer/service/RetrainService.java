package io.ctrstream.trainer.service;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.ctrstream.dien.bundle.BundleException;
import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.release.BundleUriPolicy;
import io.ctrstream.dien.release.ReleaseClaims;
import io.ctrstream.dien.release.ReleaseRejectedException;
import io.ctrstream.dien.release.ReleaseSignature;
import io.ctrstream.dien.release.ReleaseVerifier;
import io.ctrstream.dien.release.ServableSpec;
import io.ctrstream.dien.features.LabeledRow;
import io.ctrstream.dien.serving.DienBatchScorer;
import io.ctrstream.dien.train.DienFitter;
import io.ctrstream.dien.train.EpochMetrics;
import io.ctrstream.dien.train.FitResult;
import io.ctrstream.dien.train.Metrics;
import io.ctrstream.dien.train.TrainingListener;
import io.ctrstream.schemas.KafkaAuthentication;
import io.ctrstream.schemas.ModelRelease;
import io.ctrstream.trainer.experiment.ProgressBarListener;
import io.ctrstream.trainer.experiment.TrainingCurves;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The periodic retraining service. One run ({@link #runOnce()}), top to bottom:
 *
 * <ol>
 *   <li>read a bounded window of {@code feedback} (read_committed; {@link FeedbackReader});
 *   <li>build the examples from the features as served ({@link FeedbackDataset}) and the online AUC
 *       of the served models ({@link OnlineAuc});
 *   <li>refuse when there are fewer than {@code minExamples}, or the training or validation slice
 *       of the time split holds one class only;
 *   <li>load the live model: the newest release of the model name that passes the scorers' checks
 *       ({@link ReleaseReader}, {@link ReleaseVerifier}: bundle place and size, sha256, signature
 *       when a public key is configured, bundle, feature layout, probe batch); a newer release that
 *       fails them is skipped (and reported), exactly as a scorer skips it;
 *   <li>train DIEN with the auxiliary loss on the older slice, early-stopping on the newer slice's
 *       AUC ({@link DienFitter});
 *   <li>score the candidate (through its bundle bytes, as a scorer would load it) and the live
 *       model on the same validation slice; gate ({@link ReleaseGate});
 *   <li>release: bundle with lineage, window, counts and both models' metrics in its manifest, one
 *       transactional record on {@code model-releases} ({@link ReleasePublisher}), signed with the
 *       configured private key ({@link ReleaseSignature});
 *   <li>report under {@code reportsDir/<run-id>/}: metrics.json, curves.png, online-auc.png.
 * </ol>
 *
 * <p>Nothing is released unless the last step commits: an error or a crash anywhere before leaves
 * model-releases as it was. Runs never overlap (DJL trains one model at a time per JVM). {@link
 * #start(Duration, long)} runs cycles on a background thread; a cycle is skipped while fewer than
 * {@code minNew} feedback records arrived since the last run (counted in offsets, so transaction
 * markers count too; the first cycle always runs).
 */
public final class RetrainService implements AutoCloseable {

  private static final Logger LOG = LoggerFactory.getLogger(RetrainService.class);
  private static final DateTimeFormatter RUN_ID =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS", Locale.ROOT).withZone(ZoneOffset.UTC);
  private static final ObjectMapper JSON =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final int SCORE_CHUNK = 1024;

  private final RetrainConfig config;
  private final TrainingListener listener;
  private final PrintStream progress;
  private final boolean progressBars;
  private final Consumer<RunResult> onResult;
  private final Clock clock;
  private final ReleaseGate gate;
  private final ReleaseVerifier verifier;
  private final PrivateKey signingKey;
  private final String signingKeyId;
  private final Object runLock = new Object();
  private long trainingRuns; // runs that trained; decides warm or full (guarded by runLock)

  private ScheduledExecutorService scheduler;
  private volatile Map<TopicPartition, Long> lastEndOffsets;
  private volatile RunResult lastResult;

  private RetrainService(Builder b) {
    this.config = b.config;
    this.listener = b.listener;
    this.progress = b.progress;
    this.progressBars = b.progressBars;
    this.onResult = b.onResult;
    this.clock = b.clock;
    this.gate = new ReleaseGate(config.tolerance());
    try {
      PublicKey publicKey =
          config.releasePublicKey() == null
              ? null
              : ReleaseSignature.readPublicKey(config.releasePublicKey());
      this.signingKey =
          config.signingKey() == null ? null : ReleaseSignature.readPrivateKey(config.signingKey());
      this.signingKeyId = publicKey == null ? null : ReleaseSignature.keyId(publicKey);
      if (signingKey != null && publicKey != null) {
        requirePair(signingKey, publicKey);
      }
      this.verifier =
          ReleaseVerifier.builder()
              .setServable(new ServableSpec(config.encoderOptions().historyLength()))
              .optPublicKey(publicKey)
              .optUriPolicy(BundleUriPolicy.parse(config.releaseUriAllowed()))
              .optMaxBundleBytes(config.releaseMaxBundleBytes())
              .build();
    } catch (IOException e) {
      throw new IllegalArgumentException(e.getMessage(), e);
    }
  }

  /** Fails unless {@code key} signs what {@code publicKey} verifies (a mismatched pair is a setup error). */
  private static void requirePair(PrivateKey key, PublicKey publicKey) {
    ReleaseClaims probe = ReleaseClaims.unsigned("pair-check", "v0", 0L, "0".repeat(64), "pair-check");
    try {
      ReleaseSignature.verify(
          probe.withSignature(ReleaseSignature.sign(probe, key), ReleaseSignature.ALGORITHM, null),
          publicKey);
    } catch (ReleaseRejectedException e) {
      throw new IllegalArgumentException(
          "the signing key does not belong to the release public key "
              + ReleaseSignature.keyId(publicKey)
              + "; scorers would refuse every release",
          e);
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  public RetrainConfig config() {
    return config;
  }

  /** The result of the last run or skipped cycle. */
  public Optional<RunResult> lastResult() {
    return Optional.ofNullable(lastResult);
  }

  // -------------------------------------------------------------------------------------------
  // One run

  /**
   * Runs one retraining cycle now and returns what it did. Never throws for a failed run: the error
   * is logged and reported with {@link RunResult.Decision#FAILED}.
   */
  public RunResult runOnce() {
    synchronized (runLock) {
      Run run = new Run(clock.millis());
      RunResult result;
      try {
        result = run.execute();
      } catch (BundleException | RuntimeException e) {
        Optional<String> login = KafkaAuthentication.describeFailure(config.bootstrapServers(), e);
        if (login.isPresent()) {
          // no stack trace: the message says it all, and it will not heal by itself
          LOG.error("retraining run {} failed; nothing was released: {}", run.runId, login.get());
        } else {
          LOG.error("retraining run {} failed; nothing was released", run.runId, e);
        }
        result = run.result(RunResult.Decision.FAILED, login.orElse("failed: " + e));
      }
      run.writeReport(result);
      LOG.info("run {}: {} ({})", run.runId, result.decision().wireName(), result.reason());
      publishResult(result);
      return result;
    }
  }

  /** The state of one run; its fields fill as the run goes and end up in its report. */
  private final class Run {
    final long startNanos = System.nanoTime();
    final long now;
    final String runId;
    final Path reportDir;
    final Map<String, Object> report = new LinkedHashMap<>();
    long samples;
    long trainRows;
    long validationRows;
    double positiveRate = Double.NaN;
    String version;
    String liveVersion;
    boolean livePinned;
    double candidateAuc = Double.NaN;
    double liveAuc = Double.NaN;
    double candidateLogLoss = Double.NaN;
    double liveLogLoss = Double.NaN;
    FitResult fit;
    OnlineAuc online;

    Run(long now) {
      this.now = now;
      String id = RUN_ID.format(Instant.ofEpochMilli(now));
      Path dir = config.reportsDir().resolve(id);
      for (int k = 2; Files.exists(dir); k++) {
        dir = config.reportsDir().resolve(id + "-" + k);
      }
      this.runId = dir.getFileName().toString();
      this.reportDir = dir;
      report.put("run_id", runId);
      report.put("model_name", config.modelName());
      report.put("window", config.windowDescription());
      report.put("validation_fraction", config.validationFraction());
      report.put("min_examples", config.minExamples());
      report.put("tolerance", config.tolerance());
    }

    RunResult execute() throws BundleException {
      LOG.info(
          "run {}: reading feedback ({}) from {}",
          runId,
          config.windowDescription(),
          config.topics().feedback().name());
      try (KafkaConsumer<byte[], byte[]> consumer = TopicRanges.consumer(config.clientConfig())) {
        FeedbackReader reader =
            new FeedbackReader(consumer, config.topics().feedback(), config.timeout());
        FeedbackReader.Window window =
            config.windowRecords() != null
                ? reader.lastRecords(config.windowRecords())
                : reader.lastDuration(config.windowDuration(), config.maxWindowRecords());
        lastEndOffsets = window.endOffsets();
        FeedbackDataset data = FeedbackDataset.of(window.feedback());
        samples = data.size();
        positiveRate = FeedbackDataset.positiveRate(data.rows());
        online = OnlineAuc.compute(window.feedback(), config.onlineAucBuckets());
        describeWindow(window, data);

        if (data.size() < config.minExamples()) {
          return result(
              RunResult.Decision.REFUSED,
              "too few examples: "
                  + data.size()
                  + " usable in the window ("
                  + config.windowDescription()
                  + ", "
                  + window.invalid()
                  + " invalid), minimum "
                  + config.minExamples());
        }
        FeedbackDataset.Split split = data.split(config.validationFraction());
        trainRows = split.train().size();
        validationRows = split.validation().size();
        describeSplit(split);
        String oneClass = oneClass("training", split.train());
        if (oneClass == null) {
          oneClass = oneClass("validation", split.validation());
        }
        if (oneClass != null) {
          return result(RunResult.Decision.REFUSED, oneClass);
        }

        ReleaseReader.Live live =
            ReleaseReader.newestThatLoads(
                consumer,
                config.topics().modelReleases(),
                config.modelName(),
                verifier,
                config.timeout());
        liveVersion = live.present() ? live.release().version() : null;
        livePinned = live.present() && live.release().markedPinned();
        ModelBundle liveBundle = live.bundle();
        Map<String, Object> liveReport = new LinkedHashMap<>();
        liveReport.put("version", liveVersion);
        liveReport.put("pinned", livePinned);
        if (!live.skipped().isEmpty()) {
          liveReport.put("skipped", live.skipped());
        }
        report.put("live", liveReport);
        version = ReleaseGate.nextVersion(liveVersion, now);
        return trainGateRelease(split, liveBundle, liveReport);
      }
    }

    private RunResult trainGateRelease(
        FeedbackDataset.Split split, ModelBundle liveBundle, Map<String, Object> liveReport)
        throws BundleException {
      LOG.info(
          "run {}: training {} on {} rows, validating on {} rows (live: {})",
          runId,
          version,
          split.train().size(),
          split.validation().size(),
          liveVersion);
      boolean warm = liveBundle != null && config.fullRetrainEvery() > 1
          && trainingRuns % config.fullRetrainEvery() != 0;
      trainingRuns++;
      report.put("start", warm ? "warm from " + liveVersion : "fresh");
      DienFitter fitter =
          DienFitter.builder()
              .optCalibrate(config.calibrate())
              .optWarmStart(warm ? liveBundle : null)
              .optModelName(config.modelName())
              .optVersion(version)
              .optModel(config.model())
              .optEncoder(config.encoderOptions())
              .optTrainOptions(config.trainOptions())
              .optListener(trainingListener())
              .build();
      fit = fitter.fit(split.train(), split.validation());
      int epochsRun = fit.epochs().size();
      report.put("train_rows_per_s",
          RunResult.number(split.train().size() * (double) epochsRun
              / fit.epochs().stream().mapToDouble(e -> e.seconds()).sum()));
      report.put("fit_seconds", RunResult.number(fit.seconds()));

      int[] labels = split.validation().stream().mapToInt(LabeledRow::label).toArray();
      List<FeatureRow> features = split.validation().stream().map(LabeledRow::features).toList();
      // the candidate as a scorer will load it: from its bytes, probe batch included
      float[] candidateScores = score(ModelBundle.fromBytes(fit.bundle().toBytes()), features);
      candidateAuc = Metrics.auc(labels, candidateScores);
      candidateLogLoss = Metrics.logLoss(labels, candidateScores);
      if (liveBundle != null) {
        try {
          float[] liveScores = score(liveBundle, features);
          liveAuc = Metrics.auc(labels, liveScores);
          liveLogLoss = Metrics.logLoss(labels, liveScores);
        } catch (BundleException | RuntimeException e) {
          LOG.warn(
              "live model {} cannot score the validation slice: {}", liveVersion, e.getMessage());
          liveReport.put("error", e.getMessage());
        }
      }
      liveReport.put("auc", RunResult.number(liveAuc));
      liveReport.put("logloss", RunResult.number(liveLogLoss));
      describeFit(candidateLogLoss);

      double candidateEce = Metrics.expectedCalibrationError(labels, candidateScores, 10);
      report.put("candidate_ece", RunResult.number(candidateEce));
      report.put("reliability", reliability(labels, candidateScores));
      Double wideOnly = fit.bundle().manifest().metrics().get("wide_only_auc");
      report.put("wide_only_auc", wideOnly == null ? null : RunResult.number(wideOnly));
      ReleaseGate.Decision decision = gate.decide(candidateAuc, liveAuc, candidateLogLoss,
          liveLogLoss, config.logLossTolerance(), liveVersion);
      report.put("gate", decision.reason());
      if (!decision.release()) {
        return result(RunResult.Decision.GATED, decision.reason());
      }
      String pin = pinned();
      if (pin != null) {
        report.put("pinned", pin);
        LOG.info("run {}: {} passed the gate but is not released: {}", runId, version, pin);
        return result(RunResult.Decision.PINNED, pin + "; the candidate passed the gate ("
            + decision.reason() + ") and is not released until `ctr release unpin`");
      }

      Map<String, Double> metrics = new LinkedHashMap<>();
      metrics.put("auc", candidateAuc);
      metrics.put("logloss", candidateLogLoss);
      metrics.put("candidate_auc", candidateAuc);
      metrics.put("candidate_logloss", candidateLogLoss);
      metrics.put("live_auc", liveAuc);
      metrics.put("live_logloss", liveLogLoss);
      metrics.put("tolerance", config.tolerance());
      metrics.put("ece", candidateEce);
      for (String k : List.of("wide_only_auc", "calibration_scale", "calibration_shift",
          "uncalibrated_logloss")) {
        Double v = fit.bundle().manifest().metrics().get(k);
        if (v != null) {
          metrics.put(k, v);
        }
      }
      metrics.put("best_epoch", (double) fit.bestEpoch());
      metrics.put("epochs", (double) fit.epochs().size());
      metrics.put("train_rows", (double) split.train().size());
      metrics.put("validation_rows", (double) split.validation().size());
      metrics.put("validation_positive_rate", FeedbackDataset.positiveRate(split.validation()));
      metrics.put("validation_from", (double) split.boundary());
      metrics.values().removeIf(v -> !Double.isFinite(v));
      ModelBundle trained = fit.bundle();
      ModelBundle bundle =
          ModelBundle.builder()
              .setModelName(config.modelName())
              .setVersion(version)
              .setEncoder(trained.encoder())
              .setWeights(trained.config(), trained.weights())
              .optParentVersion(liveVersion)
              .optCreatedAt(now)
              .optTrainingWindow(
                  split.train().get(0).timestamp(),
                  split.train().get(split.train().size() - 1).timestamp())
              .optSampleCount(split.train().size())
              .optPositiveRate(FeedbackDataset.positiveRate(split.train()))
              .optMetrics(metrics)
              .build();
      ModelRelease release =
          new ModelRelease(
              config.modelName(),
              version,
              liveVersion,
              now,
              bundle.sha256(),
              bundle.featureSpec().hash(),
              metrics,
              Base64.getEncoder().encodeToString(bundle.toBytes()),
              null);
      if (signingKey != null) {
        String signature = ReleaseSignature.sign(ReleaseReader.claims(release), signingKey);
        release = release.withSignature(signature, ReleaseSignature.ALGORITHM, signingKeyId);
      }
      Map<String, Object> releaseReport = new LinkedHashMap<>();
      releaseReport.put("topic", config.topics().modelReleases().name());
      releaseReport.put("sha256", bundle.sha256());
      releaseReport.put("bundle_bytes", bundle.sizeBytes());
      releaseReport.put("signed", release.signature() != null);
      report.put("release", releaseReport);
      ReleasePublisher publisher =
          new ReleasePublisher(
              config.clientConfig(),
              config.topics().modelReleases(),
              config.topics().modelReleaseHistory(),
              config.transactionalId(),
              config.maxReleaseBytes(),
              config.createReleaseTopic(),
              config.timeout());
      try {
        RecordMetadata meta = publisher.publish(release);
        releaseReport.put("partition", meta.partition());
        releaseReport.put("offset", meta.offset());
      } catch (ReleaseTooLargeException e) {
        LOG.error("{}", e.getMessage());
        return result(RunResult.Decision.REFUSED, e.getMessage());
      }
      return result(RunResult.Decision.RELEASED, decision.reason());
    }

    /**
     * Why the live model must not be replaced now (pinned when the run began, or since: the newest
     * record of the model is read again just before releasing); null when it may.
     */
    private String pinned() {
      if (livePinned) {
        return "live model " + liveVersion + " is pinned";
      }
      try (KafkaConsumer<byte[], byte[]> consumer = TopicRanges.consumer(config.clientConfig())) {
        Optional<ModelRelease> newest = ReleaseReader.newestRecord(
            consumer, config.topics().modelReleases(), config.modelName(), config.timeout());
        if (newest.isPresent() && newest.get().markedPinned()) {
          return "model " + newest.get().version() + " was pinned during the run";
        }
      }
      return null;
    }

    RunResult result(RunResult.Decision decision, String reason) {
      return new RunResult(
          runId,
          decision,
          reason,
          fit == null ? null : version,
          liveVersion,
          samples,
          trainRows,
          validationRows,
          positiveRate,
          candidateAuc,
          liveAuc,
          candidateLogLoss,
          liveLogLoss,
          (System.nanoTime() - startNanos) / 1e9,
          reportDir);
    }

    private void describeWindow(FeedbackReader.Window window, FeedbackDataset data) {
      Map<String, Object> w = new LinkedHashMap<>();
      w.put("records", data.size());
      w.put("invalid", window.invalid());
      w.put("organic", data.organic());
      w.put("impression_joined", data.impressionJoined());
      w.put("positive_rate", RunResult.number(positiveRate));
      if (data.size() > 0) {
        w.put("from", data.rows().get(0).timestamp());
        w.put("to", data.rows().get(data.size() - 1).timestamp());
      }
      report.put("data", w);
      Map<String, Object> o = new LinkedHashMap<>();
      Map<String, Object> byVersion = new LinkedHashMap<>();
      online.byVersion().forEach((v, auc) -> byVersion.put(v, RunResult.number(auc)));
      o.put("by_version", byVersion);
      o.put("count_by_version", online.countByVersion());
      o.put("bucket_ms", online.bucketMillis());
      List<Map<String, Object>> points = new ArrayList<>();
      for (OnlineAuc.Point p : online.points()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("version", p.version());
        m.put("bucket_start", p.bucketStart());
        m.put("count", p.count());
        m.put("auc", RunResult.number(p.auc()));
        points.add(m);
      }
      o.put("points", points);
      report.put("online_auc", o);
    }

    private void describeSplit(FeedbackDataset.Split split) {
      Map<String, Object> s = new LinkedHashMap<>();
      s.put("train_rows", split.train().size());
      s.put("validation_rows", split.validation().size());
      s.put("boundary", split.boundary());
      s.put("train_positive_rate", RunResult.number(FeedbackDataset.positiveRate(split.train())));
      s.put(
          "validation_positive_rate",
          RunResult.number(FeedbackDataset.positiveRate(split.validation())));
      report.put("split", s);
    }

    private void describeFit(double candidateLogLoss) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("version", version);
      c.put("auc", RunResult.number(candidateAuc));
      c.put("logloss", RunResult.number(candidateLogLoss));
      c.put("best_epoch", fit.bestEpoch());
      c.put("stop_reason", fit.stopReason());
      c.put("parameters", fit.parameterCount());
      c.put("train_seconds", RunResult.number(fit.seconds()));
      List<Map<String, Object>> epochs = new ArrayList<>();
      for (EpochMetrics e : fit.epochs()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("epoch", e.epoch());
        m.put("train_loss", RunResult.number(e.trainLoss()));
        m.put("validation_loss", RunResult.number(e.validationLoss()));
        m.put("validation_auc", RunResult.number(e.validationAuc()));
        m.put("validation_logloss", RunResult.number(e.validationLogLoss()));
        m.put("seconds", RunResult.number(e.seconds()));
        epochs.add(m);
      }
      c.put("epochs", epochs);
      report.put("candidate", c);
    }

    /** Writes the report; a report that cannot be written is logged, never fails the run. */
    void writeReport(RunResult result) {
      try {
        Files.createDirectories(reportDir);
        Map<String, Object> out = new LinkedHashMap<>(result.toMap());
        out.remove("report");
        out.putAll(report);
        if (fit != null && !fit.epochs().isEmpty()) {
          TrainingCurves.writePng(
              reportDir.resolve("curves.png"),
              config.modelName() + " " + version,
              fit.epochs(),
              Double.NaN,
              fit.bestEpoch());
          out.put("curves_png", "curves.png");
        }
        if (online != null
            && online.writePng(
                reportDir.resolve("online-auc.png"),
                "online AUC of served models (" + config.modelName() + ")")) {
          out.put("online_auc_png", "online-auc.png");
        }
        JSON.writeValue(reportDir.resolve("metrics.json").toFile(), out);
      } catch (IOException | RuntimeException e) {
        LOG.warn("could not write the report of run {} to {}: {}", runId, reportDir, e.toString());
      }
    }
  }

  private static String oneClass(String slice, List<LabeledRow> rows) {
    if (rows.isEmpty()) {
      return "the " + slice + " slice is empty (every example has the same event time?)";
    }
    if (FeedbackDataset.hasBothClasses(rows)) {
      return null;
    }
    return "the "
        + slice
        + " slice has one class only: "
        + rows.size()
        + " examples, all label "
        + rows.get(0).label()
        + "; AUC is undefined";
  }

  /** Scores rows with a fresh scorer of {@code bundle}, in chunks. */
  /** The reliability diagram: per tenth of predicted probability, rows, mean score, observed rate. */
  private static List<Map<String, Object>> reliability(int[] labels, float[] scores) {
    List<Map<String, Object>> out = new java.util.ArrayList<>();
    double[][] bins = Metrics.reliability(labels, scores, 10);
    for (int i = 0; i < bins.length; i++) {
      Map<String, Object> bin = new LinkedHashMap<>();
      bin.put("from", i / 10.0);
      bin.put("rows", (long) bins[i][0]);
      bin.put("mean_score", RunResult.number(bins[i][1]));
      bin.put("observed_rate", RunResult.number(bins[i][2]));
      out.add(bin);
    }
    return out;
  }

  private static float[] score(ModelBundle bundle, List<FeatureRow> rows) throws BundleException {
    float[] out = new float[rows.size()];
    try (DienBatchScorer scorer = bundle.newScorer()) {
      for (int from = 0; from < rows.size(); from += SCORE_CHUNK) {
        int to = Math.min(rows.size(), from + SCORE_CHUNK);
        float[] chunk = scorer.score(rows.subList(from, to));
        System.arraycopy(chunk, 0, out, from, chunk.length);
      }
    }
    return out;
  }

  private TrainingListener trainingListener() {
    List<TrainingListener> all = new ArrayList<>();
    if (progress != null) {
      all.add(new ProgressBarListener(progress, config.trainOptions().maxEpochs(), progressBars));
    }
    all.add(listener);
    return new TrainingListener() {
      @Override
      public void onEpochStart(int epoch, int batches) {
        all.forEach(l -> l.onEpochStart(epoch, batches));
      }

      @Override
      public void onBatch(int epoch, int batch, int batches, double loss) {
        all.forEach(l -> l.onBatch(epoch, batch, batches, loss));
      }

      @Override
      public void onEpochEnd(EpochMetrics metrics, boolean improved) {
        all.forEach(l -> l.onEpochEnd(metrics, improved));
      }

      @Override
      public void onStop(int bestEpoch, String reason) {
        all.forEach(l -> l.onStop(bestEpoch, reason));
      }
    };
  }

  private void publishResult(RunResult result) {
    lastResult = result;
    try {
      onResult.accept(result);
    } catch (RuntimeException e) {
      LOG.warn("the result callback failed: {}", e.toString());
    }
  }

  // -------------------------------------------------------------------------------------------
  // Periodic

  /**
   * Runs a cycle now and then every {@code every} (measured from the end of one to the start of the
   * next), on a background thread, until {@link #stop()}.
   *
   * @param minNew skip a cycle while fewer feedback records than this arrived since the last run; 0
   *     to run every cycle
   */
  public synchronized void start(Duration every, long minNew) {
    Objects.requireNonNull(every, "every must not be null");
    if (every.isNegative() || every.isZero()) {
      throw new IllegalArgumentException("every must be > 0, got " + every);
    }
    if (minNew < 0) {
      throw new IllegalArgumentException("minNew must be >= 0, got " + minNew);
    }
    if (scheduler != null) {
      throw new IllegalStateException("already started; stop() first");
    }
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            r -> {
              Thread t = new Thread(r, "ctr-retrain");
              t.setDaemon(true);
              return t;
            });
    LOG.info("retraining every {} (at least {} new feedback records); {}", every, minNew, config);
    scheduler.scheduleWithFixedDelay(
        () -> cycle(minNew), 0, every.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** Whether {@link #start} was called and {@link #stop()} not yet. */
  public synchronized boolean running() {
    return scheduler != null;
  }

  private void cycle(long minNew) {
    try {
      Map<TopicPartition, Long> before = lastEndOffsets;
      if (minNew > 0 && before != null) {
        long fresh;
        try (KafkaConsumer<byte[], byte[]> consumer = TopicRanges.consumer(config.clientConfig())) {
          Map<TopicPartition, Long> end =
              new FeedbackReader(consumer, config.topics().feedback(), config.timeout())
                  .endOffsets();
          fresh = new FeedbackReader.Window(List.of(), 0, end).newSince(before);
        }
        if (fresh < minNew) {
          String reason = fresh + " new feedback records since the last run, fewer than " + minNew;
          LOG.info("skipping this cycle: {}", reason);
          publishResult(
              new RunResult(
                  null,
                  RunResult.Decision.SKIPPED,
                  reason,
                  null,
                  null,
                  0,
                  0,
                  0,
                  Double.NaN,
                  Double.NaN,
                  Double.NaN,
                  Double.NaN,
                  Double.NaN,
                  0,
                  null));
          return;
        }
      }
      runOnce();
    } catch (RuntimeException e) {
      // an exception would cancel every later cycle
      LOG.error("retraining cycle failed; the next cycle runs as scheduled", e);
    }
  }

  /**
   * Stops the cycles; a run in progress finishes first (up to 10 minutes), after which the thread
   * is interrupted. Safe to call again.
   */
  public void stop() {
    ScheduledExecutorService s;
    synchronized (this) {
      s = scheduler;
      scheduler = null;
    }
    if (s == null) {
      return;
    }
    s.shutdown();
    try {
      if (!s.awaitTermination(10, TimeUnit.MINUTES)) {
        s.shutdownNow();
      }
    } catch (InterruptedException e) {
      s.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public void close() {
    stop();
  }

  /** {@code setX} required, {@code optX} optional. */
  public static final class Builder {
    private RetrainConfig config;
    private TrainingListener listener = TrainingListener.NONE;
    private PrintStream progress;
    private boolean progressBars = true;
    private Consumer<RunResult> onResult = r -> {};
    private Clock clock = Clock.systemUTC();

    private Builder() {}

    public Builder setConfig(RetrainConfig config) {
      this.config = config;
      return this;
    }

    /** Also told of training progress (metrics, tests); default none. */
    public Builder optListener(TrainingListener listener) {
      this.listener = listener;
      return this;
    }

    /**
     * Shows a progress bar per epoch and a line per epoch on {@code out} (stderr for a CLI);
     * default none.
     *
     * @param bars false for the per-epoch lines only (logs, CI)
     */
    public Builder optProgress(PrintStream out, boolean bars) {
      this.progress = out;
      this.progressBars = bars;
      return this;
    }

    /** Called with every run's result and every skipped cycle, on the run's thread. */
    public Builder optOnResult(Consumer<RunResult> onResult) {
      this.onResult = onResult;
      return this;
    }

    /** Clock of versions and run ids; default UTC system clock. */
    public Builder optClock(Clock clock) {
      this.clock = clock;
      return this;
    }

    public RetrainService build() {
      if (config == null) {
        throw new IllegalStateException(
            "config not set: call setConfig(RetrainConfig.builder()...build())");
      }
      Objects.requireNonNull(listener, "listener must not be null; use TrainingListener.NONE");
      Objects.requireNonNull(onResult, "onResult must not be null");
      Objects.requireNonNull(clock, "clock must not be null");
      return new RetrainService(this);
    }
  }
}
