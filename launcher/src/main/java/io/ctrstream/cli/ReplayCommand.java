package io.ctrstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstream.schemas.KafkaAuthentication;
import io.ctrstream.schemas.Topics;
import io.ctrstream.trainer.movielens.MovieLensData;
import io.ctrstream.trainer.movielens.MovieLensReader;
import io.ctrstream.trainer.replay.ClientProperties;
import io.ctrstream.trainer.replay.EventTime;
import io.ctrstream.trainer.replay.ReplayCounts;
import io.ctrstream.trainer.replay.ReplayException;
import io.ctrstream.trainer.replay.ReplayListener;
import io.ctrstream.trainer.replay.ReplayPhase;
import io.ctrstream.trainer.replay.ReplaySummary;
import io.ctrstream.trainer.replay.Replayer;
import io.ctrstream.trainer.replay.TopicSetup;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import me.tongfei.progressbar.ConsoleProgressBarConsumer;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./ctr replay}: publishes a MovieLens-format data set to a Kafka cluster with {@link
 * Replayer}: users and movies first, then one impression and one rating per rating, in time order.
 * A progress bar goes to stderr; stdout gets one JSON line with the counts at the end, so scripts
 * can read it. Ctrl-C stops after the current event, flushes, and still prints the line.
 *
 * <p>Exit codes: 0 done, 1 Kafka or I/O failure (a refused login included: it is checked first and
 * reported as {@code authentication to <bootstrap> failed: ...}, never retried), 2 bad arguments, 130 stopped before the end
 * (interrupted). Stopped by a signal (Ctrl-C, SIGTERM), the JVM exits with the signal's status
 * (130, 143) after the summary line, which then says {@code "completed":false}.
 */
@Command(
    name = "replay",
    mixinStandardHelpOptions = true,
    description = "Publish a dataset (users, movies, impressions, ratings) to a Kafka cluster.")
public final class ReplayCommand implements Callable<Integer> {

  private static final Duration ADMIN_TIMEOUT = Duration.ofSeconds(30);

  @Spec CommandSpec spec;

  @Option(
      names = "--bootstrap-servers",
      defaultValue = "${env:CTR_BOOTSTRAP_SERVERS}",
      description = "host:port of the cluster. Default: $CTR_BOOTSTRAP_SERVERS.")
  String bootstrapServers;

  @Option(
      names = "--data",
      defaultValue = "data/sample",
      description = "MovieLens folder (ml-100k, ml-1m or ml-latest layout)."
          + " Default: ${DEFAULT-VALUE}.")
  Path data;

  @Option(
      names = "--prefix",
      defaultValue = "",
      description = "Prefix of every topic name. Default: none.")
  String prefix;

  @Option(
      names = "--speed",
      defaultValue = "0",
      description = "Impressions plus ratings per second; 0 = as fast as the cluster takes them."
          + " The catalog is always sent at full speed. Default: ${DEFAULT-VALUE}.")
  double speed;

  @Option(
      names = "--limit",
      description = "Replay only the earliest N ratings (each with its impression).")
  Long limit;

  @Option(
      names = "--command-config",
      description = "Client properties file (security.protocol=SASL_SSL, sasl.jaas.config, ...),"
          + " as for Kafka's own tools.")
  Path commandConfig;

  @Option(
      names = "--create-topics",
      description = "Create the registry's topics that are missing (partitions and cleanup policies"
          + " from the topic registry). Without it, missing topics are an error.")
  boolean createTopics;

  @Option(
      names = "--partitions",
      defaultValue = "4",
      description = "With --create-topics: partitions of the user-keyed topics."
          + " Default: ${DEFAULT-VALUE}.")
  int partitions;

  @Option(
      names = "--replication-factor",
      description = "With --create-topics: replicas per partition. Default: min(3, brokers).")
  Short replicationFactor;

  @Option(
      names = "--pause-after-catalog",
      defaultValue = "0",
      description = "Seconds to wait between the catalog and the first event."
          + " Default: ${DEFAULT-VALUE}.")
  double pauseAfterCatalog;

  @Option(
      names = "--event-time",
      defaultValue = "live",
      description = "Time the events carry: 'live' (the wall clock at sending, in the data set's"
          + " order) or 'dataset' (MovieLens seconds x 1000; topics with time-based retention"
          + " delete 1997 records within minutes, so give them retention.ms=-1 first)."
          + " Default: ${DEFAULT-VALUE}.")
  EventTime eventTime;

  @Option(
      names = "--score-wait",
      defaultValue = "30",
      description = "Send each rating once its impression's score is committed on the scores topic,"
          + " waiting at most this many seconds (then it is sent anyway and counted); 0: send it"
          + " right after its impression, whether or not a scorer keeps up. Default: ${DEFAULT-VALUE}.")
  double scoreWaitSeconds;

  @Option(
      names = "--window",
      defaultValue = "" + Replayer.DEFAULT_WINDOW,
      description = "With --score-wait: events in flight past the oldest unfinished one."
          + " Default: ${DEFAULT-VALUE}.")
  int window;

  @Option(names = "--no-progress", description = "No progress bar (logs and CI).")
  boolean noProgress;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();

    String problem = checkArguments();
    if (problem != null) {
      err.println("ctr replay: " + problem);
      return 2;
    }
    Topics topics;
    try {
      topics = Topics.builder().optPrefix(prefix).optUserPartitions(partitions).build();
    } catch (IllegalArgumentException e) {
      err.println("ctr replay: " + e.getMessage());
      return 2;
    }
    Map<String, Object> clientProperties = Map.of();
    if (commandConfig != null) {
      try {
        clientProperties = ClientProperties.load(commandConfig);
      } catch (IOException e) {
        err.println("ctr replay: cannot read --command-config: " + e.getMessage());
        return 2;
      }
    }
    MovieLensData dataset;
    try {
      dataset = MovieLensReader.read(data);
    } catch (IOException | RuntimeException e) {
      err.println("ctr replay: cannot read the data set in " + data + ": " + e.getMessage());
      return 1;
    }

    Optional<String> login =
        KafkaPreflight.loginProblem(clientProperties, bootstrapServers, KafkaPreflight.TIMEOUT);
    if (login.isPresent()) {
      err.println("ctr replay: " + login.get());
      return 1;
    }

    int topicsCreated = 0;
    if (createTopics) {
      Map<String, Object> adminConfig = new LinkedHashMap<>(clientProperties);
      adminConfig.put(CommonClientConfigs.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers);
      Admin admin = null;
      try {
        admin = Admin.create(adminConfig);
        Set<String> created = TopicSetup.createMissing(
            admin, topics, Optional.ofNullable(replicationFactor), ADMIN_TIMEOUT);
        topicsCreated = created.size();
        err.println("ctr replay: created " + created.size() + " topic(s)"
            + (created.isEmpty() ? "" : ": " + created));
      } catch (IllegalStateException | IllegalArgumentException | KafkaException e) {
        err.println("ctr replay: " + KafkaAuthentication.describeFailure(bootstrapServers, e)
            .orElse("cannot create topics: " + e.getMessage()));
        return 1;
      } finally {
        if (admin != null) {
          // Not close(): it would wait out the calls still pending on an unreachable cluster.
          admin.close(Duration.ofSeconds(1));
        }
      }
    }

    ProgressBars bars = new ProgressBars(System.err);
    Replayer.Builder builder = Replayer.builder()
        .setBootstrapServers(bootstrapServers)
        .setTopics(topics)
        .setDataset(dataset)
        .optProducerProperties(clientProperties)
        .optPauseBetweenPhases(Duration.ofMillis(Math.round(pauseAfterCatalog * 1000)))
        .optEventTime(eventTime)
        .optProgress(noProgress ? ReplayListener.NONE : bars);
    if (speed > 0) {
      builder.optSpeed(speed);
    }
    if (limit != null) {
      builder.optLimit(limit);
    }
    if (scoreWaitSeconds > 0) {
      builder.optAwaitScores(Duration.ofMillis(Math.round(scoreWaitSeconds * 1000)), window);
    } else if (scoreWaitSeconds < 0) {
      err.println("ctr replay: --score-wait must be >= 0 seconds, got " + scoreWaitSeconds);
      return 2;
    }
    Replayer replayer;
    try {
      replayer = builder.build();
    } catch (IllegalArgumentException e) {
      err.println("ctr replay: " + e.getMessage());
      return 2;
    }

    // Ctrl-C: stop after the current event and let run() flush and return the counts.
    CountDownLatch finished = new CountDownLatch(1);
    Thread onCtrlC = new Thread(() -> {
      replayer.stop();
      try {
        finished.await(ADMIN_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "ctr-replay-stop");
    Runtime.getRuntime().addShutdownHook(onCtrlC);

    // The hook holds the JVM until the summary line is out; the latch opens after it.
    try {
      ReplaySummary summary;
      String error = null;
      try {
        summary = replayer.run();
      } catch (ReplayException e) {
        summary = e.partial();
        error = KafkaAuthentication.describeFailure(bootstrapServers, e).orElse(e.getMessage());
      } finally {
        bars.close();
      }
      if (error != null) {
        err.println("ctr replay: " + error);
      }
      out.println(summaryJson(summary, topicsCreated, error));
      out.flush();
      if (error != null) {
        return 1;
      }
      return summary.completed() ? 0 : 130;
    } finally {
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(onCtrlC);
      } catch (IllegalStateException shuttingDown) {
        // A signal came: the JVM is exiting with the signal's status.
      }
    }
  }

  /** The first problem with the arguments, or null. */
  private String checkArguments() {
    if (bootstrapServers == null || bootstrapServers.isBlank()) {
      return "--bootstrap-servers is required (or set CTR_BOOTSTRAP_SERVERS), e.g. localhost:9092";
    }
    if (!Files.isDirectory(data)) {
      return "--data " + data + " is not a folder; point it at an unpacked MovieLens folder"
          + " (or create data/sample with ./ctr generate --out data/sample)";
    }
    if (speed < 0 || Double.isNaN(speed) || Double.isInfinite(speed)) {
      return "--speed must be >= 0 events/s (0 = as fast as possible), got " + speed;
    }
    if (limit != null && limit <= 0) {
      return "--limit must be > 0 ratings, got " + limit;
    }
    if (partitions <= 0) {
      return "--partitions must be > 0, got " + partitions;
    }
    if (replicationFactor != null && replicationFactor <= 0) {
      return "--replication-factor must be > 0, got " + replicationFactor;
    }
    if (!(pauseAfterCatalog >= 0) || Double.isInfinite(pauseAfterCatalog)) {
      return "--pause-after-catalog must be >= 0 seconds, got " + pauseAfterCatalog;
    }
    return null;
  }

  private String summaryJson(ReplaySummary summary, int topicsCreated, String error) {
    ReplayCounts c = summary.counts();
    Map<String, Object> line = new LinkedHashMap<>();
    line.put("users", c.users());
    line.put("movies", c.movies());
    line.put("impressions", c.impressions());
    line.put("ratings", c.ratings());
    line.put("skipped", c.skipped());
    line.put("seconds", Math.round(summary.seconds() * 1000) / 1000.0);
    line.put("eventsPerSecond", Math.round(summary.eventsPerSecond() * 10) / 10.0);
    line.put("completed", summary.completed());
    line.put("unscoredRatings", summary.unscoredRatings());
    line.put("eventTime", eventTime.name().toLowerCase(java.util.Locale.ROOT));
    line.put("topicsCreated", topicsCreated);
    line.put("bootstrapServers", bootstrapServers);
    line.put("prefix", prefix);
    line.put("data", data.toString());
    if (error != null) {
      line.put("error", error);
    }
    try {
      return new ObjectMapper().writeValueAsString(line);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write the summary as JSON", e);
    }
  }

  /** One progress bar per phase on stderr, with the rate; closed at each phase's end. */
  static final class ProgressBars implements ReplayListener {
    private final PrintStream stream;
    private ProgressBar bar;

    ProgressBars(PrintStream stream) {
      this.stream = stream;
    }

    @Override
    public void onPhaseStart(ReplayPhase phase, long records) {
      close();
      boolean catalog = phase == ReplayPhase.CATALOG;
      bar = new ProgressBarBuilder()
          .setTaskName(catalog ? "catalog" : "events")
          .setInitialMax(records)
          .setUnit(catalog ? " records" : " events", 1)
          .showSpeed()
          .setStyle(ProgressBarStyle.ASCII)
          .setConsumer(new ConsoleProgressBarConsumer(stream))
          // Redrawn 4 times a second on a terminal; once every 5 s into a log file.
          .setUpdateIntervalMillis(System.console() != null ? 250 : 5000)
          .build();
    }

    @Override
    public void onProgress(ReplayPhase phase, long done, long records) {
      if (bar != null) {
        bar.stepTo(done);
      }
    }

    @Override
    public void onPhaseEnd(ReplayPhase phase, ReplayCounts published) {
      close();
    }

    void close() {
      if (bar != null) {
        bar.close();
        bar = null;
      }
    }
  }
}
