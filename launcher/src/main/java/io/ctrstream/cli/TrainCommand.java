package io.ctrstream.cli;

import io.ctrstream.schemas.Topics;
import io.ctrstream.trainer.experiment.Preset;
import io.ctrstream.trainer.replay.ClientProperties;
import io.ctrstream.trainer.service.RetrainConfig;
import io.ctrstream.trainer.service.RetrainService;
import io.ctrstream.trainer.service.RunResult;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./ctr train}: the retraining service in its own process. Progress and per-epoch lines go
 * to stderr; stdout gets one JSON line per run (decision, reason, version, samples, positive rate,
 * candidate_auc, live_auc, seconds). Each run leaves a report in {@code --reports}.
 */
@Command(
    name = "train",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Retrain DIEN on the feedback topic, gate the candidate against the live model and release"
          + " it on model-releases.",
      "One JSON line per run on stdout; reports (metrics.json, curves.png, online-auc.png) in"
          + " --reports/<run-id>/.",
      "Exit status with --once: 0 released, gated or pinned (ctr release pin), 3 refused (too few examples, one class, too"
          + " large), 1 failed, 2 bad arguments.",
      "A login the cluster refuses (wrong SASL password, ...) exits 1 at once, with --once or"
          + " --every: 'authentication to <bootstrap> failed: ...'."
    })
public final class TrainCommand implements Callable<Integer> {

  @Option(names = "--once", description = "Run one cycle and exit.")
  boolean once;

  @Option(
      names = "--every",
      paramLabel = "DURATION",
      converter = DurationConverter.class,
      description = "Run a cycle now and then every DURATION (30s, 10m, 1h, PT1H) until stopped.")
  Duration every;

  @Option(
      names = "--metrics-port",
      paramLabel = "PORT",
      description =
          "With --every: serve Prometheus metrics (runs, outcomes, run time, AUC and log loss,"
              + " examples, last success, JVM and memory) on GET /metrics of this port.")
  Integer metricsPort;

  @Option(
      names = "--metrics-host",
      paramLabel = "HOST",
      defaultValue = "127.0.0.1",
      description = "Address --metrics-port listens on (0.0.0.0: every interface). Default: ${DEFAULT-VALUE}.")
  String metricsHost;

  @Option(
      names = "--min-new",
      paramLabel = "N",
      defaultValue = "0",
      description =
          "With --every: skip a cycle until N new feedback records arrived since the"
              + " last run. Default: ${DEFAULT-VALUE}.")
  long minNew;

  @Option(
      names = "--bootstrap-servers",
      defaultValue = "${env:CTR_BOOTSTRAP_SERVERS}",
      description = "host:port of the cluster. Default: $CTR_BOOTSTRAP_SERVERS.")
  String bootstrapServers;

  @Option(names = "--prefix", defaultValue = "", description = "Prefix of every topic name.")
  String prefix;

  @Option(
      names = "--command-config",
      paramLabel = "FILE",
      description =
          "Client properties file (security.protocol, sasl.jaas.config, ...), as for"
              + " Kafka's own tools.")
  Path commandConfig;

  @Option(
      names = "--model-name",
      defaultValue = "dien",
      description = "Model name, the key of its releases. Default: ${DEFAULT-VALUE}.")
  String modelName;

  @Option(
      names = "--window-records",
      paramLabel = "K",
      description = "Train on the last K feedback records (default 100000).")
  Integer windowRecords;

  @Option(
      names = "--window-duration",
      paramLabel = "D",
      converter = DurationConverter.class,
      description = "Train on the last D of event time instead (e.g. 7d), ending at the newest"
          + " example; examples more than a day ahead of the wall clock are skipped as invalid.")
  Duration windowDuration;

  @Option(
      names = "--validation-fraction",
      defaultValue = "0.2",
      description = "Most recent share of the window that validates. Default: ${DEFAULT-VALUE}.")
  double validationFraction;

  @Option(
      names = "--min-examples",
      defaultValue = "200",
      description = "No training below this many examples. Default: ${DEFAULT-VALUE}.")
  int minExamples;

  @Option(
      names = "--tolerance",
      defaultValue = "0.005",
      description =
          "AUC the candidate may lose against the live model and still be released."
              + " Default: ${DEFAULT-VALUE}.")
  double tolerance;

  @Option(
      names = "--max-release-bytes",
      defaultValue = "8388608",
      description =
          "Largest release record: the producer's max.request.size and the"
              + " max.message.bytes model-releases is created with. Default: ${DEFAULT-VALUE}.")
  int maxReleaseBytes;

  @Option(
      names = "--reports",
      defaultValue = "reports",
      paramLabel = "DIR",
      description = "Folder of the per-run reports. Default: ${DEFAULT-VALUE}.")
  Path reports;

  @Option(
      names = "--preset",
      defaultValue = "reference",
      paramLabel = "reference|best",
      description = "Network and optimiser setup. Default: ${DEFAULT-VALUE}.")
  Preset preset;

  @Option(names = "--max-epochs", paramLabel = "N", description = "Most epochs (preset: 100).")
  Integer maxEpochs;

  @Option(
      names = "--patience",
      paramLabel = "N",
      description = "Epochs without a better validation AUC before stopping (preset: 10).")
  Integer patience;

  @Option(
      names = "--threads",
      paramLabel = "N",
      description = "PyTorch intra-op threads (default: the launcher's, 1).")
  Integer threads;

  @Option(names = "--no-progress", description = "Per-epoch lines only, no progress bars.")
  boolean noProgress;

  @Option(names = "--wide", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "The wide part: the served counters (the movie's and the user's rates and"
          + " counts, the user's rates and shares of the candidate's genres) enter the final logit"
          + " linearly beside DIEN's (--no-wide: without). Default: ${DEFAULT-VALUE}.")
  boolean wide;

  @Option(names = "--calibrate", negatable = true, defaultValue = "true", fallbackValue = "true",
      description = "Platt-scale each candidate on its validation slice, so that the served score"
          + " is a calibrated probability (--no-calibrate: raw). Default: ${DEFAULT-VALUE}.")
  boolean calibrate;

  @Option(names = "--full-retrain-every", paramLabel = "N", defaultValue = "4",
      description = "Every N-th training run starts from scratch; the others start from the live"
          + " model's weights (new ids get new rows). 1: always from scratch."
          + " Default: ${DEFAULT-VALUE}.")
  int fullRetrainEvery;

  @Option(names = "--history-affinity", negatable = true, defaultValue = "true",
      fallbackValue = "true",
      description = "One more feature: how well the candidate's genres match the genres of the"
          + " user's history (--no-history-affinity: without). Default: ${DEFAULT-VALUE}.")
  boolean historyAffinity;

  @Option(
      names = "--signing-key",
      paramLabel = "FILE",
      defaultValue = "${env:CTR_SIGNING_KEY}",
      description =
          "Ed25519 private key (PKCS#8, PEM or DER; ./ctr keygen writes one) every release is"
              + " signed with. Default: $CTR_SIGNING_KEY, else unsigned releases.")
  String signingKey;

  @Option(
      names = "--release-public-key",
      paramLabel = "FILE",
      defaultValue = "${env:CTR_RELEASE_PUBLIC_KEY}",
      description =
          "The public key scorers verify with (X.509, PEM or DER): the live model is the newest"
              + " release signed by it, and signed releases carry its id. Must match"
              + " --signing-key. Default: $CTR_RELEASE_PUBLIC_KEY, else signatures not checked.")
  String releasePublicKey;

  @Option(
      names = "--release-uri-allowed",
      paramLabel = "LIST",
      defaultValue = "${env:CTR_RELEASE_URI_ALLOWED}",
      description =
          "Where a live release's bundleUri may point, as the scorers' release.uri.allowed"
              + " (file:/dir/,https://host/path/). Default: $CTR_RELEASE_URI_ALLOWED, else"
              + " inline bundles only.")
  String releaseUriAllowed;

  @Option(
      names = "--release-max-bundle-bytes",
      paramLabel = "N",
      defaultValue = "${env:CTR_RELEASE_MAX_BUNDLE_BYTES:-67108864}",
      description =
          "Largest live bundle accepted, as the scorers' release.max.bundle.bytes."
              + " Default: ${DEFAULT-VALUE}.")
  long releaseMaxBundleBytes;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    // messages and result lines through picocli's writers (tests capture them); the progress
    // bars need a stream and go to stderr
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter out = spec.commandLine().getOut();
    if (once == (every != null)) {
      err.println("ctr train: give exactly one of --once and --every DURATION");
      return 2;
    }
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      err.println(
          "ctr train: --bootstrap-servers is required (or set CTR_BOOTSTRAP_SERVERS),"
              + " e.g. localhost:9092");
      return 2;
    }
    if (windowRecords != null && windowDuration != null) {
      err.println("ctr train: give at most one of --window-records and --window-duration");
      return 2;
    }
    if (threads != null) {
      if (threads < 1) {
        err.println("ctr train: --threads must be >= 1, got " + threads);
        return 2;
      }
      // read when the engine starts, which is later than this
      System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
    }
    Map<String, Object> clientProperties = Map.of();
    if (commandConfig != null) {
      try {
        clientProperties = ClientProperties.load(commandConfig);
      } catch (IOException e) {
        err.println("ctr train: cannot read --command-config: " + e.getMessage());
        return 2;
      }
    }
    RetrainConfig config;
    try {
      RetrainConfig.Builder b =
          RetrainConfig.builder()
              .setBootstrapServers(bootstrapServers)
              .optTopics(Topics.withPrefix(prefix))
              .optClientProperties(clientProperties)
              .optModelName(modelName)
              .optValidationFraction(validationFraction)
              .optMinExamples(minExamples)
              .optTolerance(tolerance)
              .optMaxReleaseBytes(maxReleaseBytes)
              .optReportsDir(reports)
              .optPreset(preset)
              .optHistoryAffinity(historyAffinity)
              .optWide(wide)
              .optCalibrate(calibrate)
              .optFullRetrainEvery(fullRetrainEvery)
              .optReleaseUriAllowed(releaseUriAllowed == null ? "" : releaseUriAllowed.trim())
              .optReleaseMaxBundleBytes(releaseMaxBundleBytes);
      if (signingKey != null && !signingKey.isBlank()) {
        b.optSigningKey(Path.of(signingKey.trim()));
      }
      if (releasePublicKey != null && !releasePublicKey.isBlank()) {
        b.optReleasePublicKey(Path.of(releasePublicKey.trim()));
      }
      if (windowRecords != null) {
        b.optWindowRecords(windowRecords);
      }
      if (windowDuration != null) {
        b.optWindowDuration(windowDuration);
      }
      if (maxEpochs != null) {
        b.optMaxEpochs(maxEpochs);
      }
      if (patience != null) {
        b.optPatience(patience);
      }
      config = b.build();
    } catch (IllegalArgumentException e) {
      err.println("ctr train: " + e.getMessage());
      return 2;
    }
    if (every != null && minNew < 0) {
      err.println("ctr train: --min-new must be >= 0, got " + minNew);
      return 2;
    }
    if (metricsPort != null && (every == null || metricsPort < 0 || metricsPort > 65535)) {
      err.println("ctr train: --metrics-port needs --every and a port in 0..65535, got " + metricsPort);
      return 2;
    }
    TrainerMetrics trainerMetrics = metricsPort == null ? null : new TrainerMetrics();

    RetrainService service;
    try {
      service =
          RetrainService.builder()
              .setConfig(config)
              .optProgress(System.err, !noProgress)
              .optOnResult(
                  r -> {
                    out.println(r.toJson());
                    out.flush();
                    if (trainerMetrics != null) {
                      trainerMetrics.record(r);
                    }
                  })
              .build();
    } catch (IllegalArgumentException e) {
      // a key file that is not a key, or a signing key that does not match the public key
      err.println("ctr train: " + e.getMessage());
      return 2;
    }
    // a refused login ends the command here, before a run or a cycle could repeat it
    Optional<String> login =
        KafkaPreflight.loginProblem(clientProperties, bootstrapServers, KafkaPreflight.TIMEOUT);
    if (login.isPresent()) {
      err.println("ctr train: " + login.get());
      return 1;
    }
    if (once) {
      RunResult result = service.runOnce();
      if (result.decision() == RunResult.Decision.FAILED) {
        err.println("ctr train: " + result.reason());
      }
      return switch (result.decision()) {
        case RELEASED, GATED, PINNED, SKIPPED -> 0;
        case REFUSED -> 3;
        case FAILED -> 1;
      };
    }
    if (trainerMetrics != null) {
      try {
        int port = trainerMetrics.serve(metricsHost, metricsPort);
        err.println("ctr train: metrics on http://" + metricsHost + ":" + port + "/metrics");
      } catch (java.io.IOException e) {
        err.println("ctr train: cannot serve metrics on " + metricsHost + ":" + metricsPort + ": " + e.getMessage());
        return 2;
      }
    }
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  service.stop();
                  stopped.countDown();
                },
                "ctr-train-shutdown"));
    service.start(every, minNew);
    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      service.stop();
    }
    return 0;
  }

  /** Durations as people type them: 500ms, 30s, 10m, 2h, 7d, or ISO-8601 (PT10M). */
  static final class DurationConverter implements ITypeConverter<Duration> {
    private static final Pattern SHORT = Pattern.compile("(\\d+)\\s*(ms|s|m|h|d)");

    @Override
    public Duration convert(String value) {
      String v = value.trim().toLowerCase(Locale.ROOT);
      Matcher m = SHORT.matcher(v);
      if (m.matches()) {
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
          case "ms" -> Duration.ofMillis(n);
          case "s" -> Duration.ofSeconds(n);
          case "m" -> Duration.ofMinutes(n);
          case "h" -> Duration.ofHours(n);
          default -> Duration.ofDays(n);
        };
      }
      try {
        return Duration.parse(value.trim().toUpperCase(Locale.ROOT));
      } catch (DateTimeParseException e) {
        throw new IllegalArgumentException(
            "'" + value + "' is not a duration; use e.g. 30s, 10m, 2h, 7d or PT10M");
      }
    }
  }
}
