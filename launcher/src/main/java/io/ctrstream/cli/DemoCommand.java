package io.ctrstream.cli;

import io.ctrstream.cli.demo.Demo;
import io.ctrstream.cli.demo.DemoOptions;
import io.ctrstream.cli.demo.DemoResult;
import java.io.IOException;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./ctr demo}: the whole loop on an embedded Kafka broker with bundled data (see {@link
 * Demo}). The status line, the summary table and where the report is go to stderr; stdout gets
 * exactly one JSON line, the summary, so {@code ./ctr demo > summary.json} works.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    sortOptions = false,
    description = {
      "Run the whole loop on an embedded Kafka broker: replay a MovieLens-format data set, score"
          + " every impression, retrain at checkpoints and hot-swap the released models.",
      "Stdout: one JSON line (counts, online AUC per model version, popularity and oracle AUC)."
          + " Report: --out/report.html.",
      "Exit status: 0 every count adds up, 1 a count is off or a wait timed out, 2 bad arguments."
    })
public final class DemoCommand implements Callable<Integer> {

  @Option(names = "--data", paramLabel = "DIR", defaultValue = "data/sample",
      description = "MovieLens-format data set (ml-100k, ml-1m, ml-latest, ml-25m, or generated)."
          + " Default: ${DEFAULT-VALUE}.")
  Path data;

  @Option(names = "--speed", paramLabel = "EVENTS_PER_S", defaultValue = "0",
      description = "Impressions plus ratings per second; 0 for as fast as possible (default).")
  double speed;

  @Option(names = "--limit", paramLabel = "N", defaultValue = "0",
      description = "At most N ratings (the earliest); 0 for all (default).")
  long limit;

  @Option(names = "--first-train-at", paramLabel = "FRACTION", defaultValue = "0.05",
      description = "First training run when this share of the ratings is published."
          + " Default: ${DEFAULT-VALUE}.")
  double firstTrainAt;

  @Option(names = "--retrain-every", paramLabel = "FRACTION", defaultValue = "0.1",
      description = "Later training runs every this share of the ratings. Default: ${DEFAULT-VALUE}.")
  double retrainEvery;

  @Option(names = "--out", paramLabel = "DIR",
      description = "Folder of the report. Default: runs/demo-<timestamp>.")
  Path out;

  @Option(names = "--max-epochs", paramLabel = "N", defaultValue = "5",
      description = "Most epochs per training run. Default: ${DEFAULT-VALUE}.")
  int maxEpochs;

  @Option(names = "--min-examples", paramLabel = "N", defaultValue = "200",
      description = "The trainer refuses to train on fewer feedback records. Default: ${DEFAULT-VALUE}.")
  int minExamples;

  @Option(names = "--timeout", paramLabel = "SECONDS", defaultValue = "300",
      description = "Fail when the scorer makes no progress for this long while the demo waits"
          + " for it (or a training run takes longer). Default: ${DEFAULT-VALUE}.")
  long timeoutSeconds;

  @Option(names = "--score-wait", paramLabel = "SECONDS", defaultValue = "30",
      description = "Each rating is published once its impression's score is committed (a user"
          + " rates what was shown), waiting at most this long; 0: right after its impression."
          + " Default: ${DEFAULT-VALUE}.")
  double scoreWaitSeconds;

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
      description = "Models get one more feature: how well the candidate's genres match the genres"
          + " of the user's history (--no-history-affinity: without). Default: ${DEFAULT-VALUE}.")
  boolean historyAffinity;

  @Option(names = "--wait-for-training",
      description = "Pause the replay at each checkpoint until its training run is over and its"
          + " release is served. Without it the replay goes on while the trainer works, and the"
          + " figures also measure how far the replay runs ahead of the trainer.")
  boolean waitForTraining;

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    PrintWriter stdout = spec.commandLine().getOut();
    if (out == null) {
      out = Path.of("runs", "demo-" + LocalDateTime.now().format(
          DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)));
    }
    DemoOptions options;
    try {
      options = DemoOptions.builder()
          .setData(data)
          .setOut(out)
          .optSpeed(speed)
          .optLimit(limit)
          .optFirstTrainAt(firstTrainAt)
          .optRetrainEvery(retrainEvery)
          .optMaxEpochs(maxEpochs)
          .optMinExamples(minExamples)
          .optTimeout(Duration.ofSeconds(Math.max(1, timeoutSeconds)))
          .optScoreWait(Duration.ofMillis(Math.round(scoreWaitSeconds * 1000)))
          .optHistoryAffinity(historyAffinity)
          .optWide(wide)
          .optCalibrate(calibrate)
          .optFullRetrainEvery(fullRetrainEvery)
          .optWaitForTraining(waitForTraining)
          .build();
    } catch (IllegalArgumentException e) {
      err.println("ctr demo: " + e.getMessage());
      return 2;
    }
    if (!data.toFile().isDirectory()) {
      err.println("ctr demo: --data " + data + " is not a folder; give a MovieLens data set"
          + " (e.g. data/sample, or ml-100k from /work/shared/data)");
      return 2;
    }
    // the status lines go through a stream (the demo's threads print them); stderr's writer
    PrintStream status = new PrintStream(new WriterOutputStream(err), true);
    Demo demo = new Demo(options, status);
    CountDownLatch finished = new CountDownLatch(1);
    Thread hook = new Thread(() -> {
      demo.cancel();
      try {
        finished.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }, "ctr-demo-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    // Kafka's in-process cluster prints to System.out; stdout must hold the JSON line alone
    // (picocli's writer keeps the real stdout)
    PrintStream systemOut = System.out;
    System.setOut(System.err);
    try {
      DemoResult result = demo.run();
      err.println();
      err.print(result.table());
      err.println("ctr demo: report at " + result.report().toAbsolutePath());
      err.flush();
      stdout.println(result.toJsonLine());
      stdout.flush();
      return result.ok() ? 0 : 1;
    } catch (IOException e) {
      err.println("ctr demo: " + e.getMessage());
      return 1;
    } catch (RuntimeException e) {
      err.println("ctr demo failed: " + e);
      e.printStackTrace(err);
      return 1;
    } finally {
      System.setOut(systemOut);
      finished.countDown();
      try {
        Runtime.getRuntime().removeShutdownHook(hook);
      } catch (IllegalStateException e) {
        // the JVM is already shutting down: the hook is running
      }
    }
  }

  /** Bytes to a writer (UTF-8 text from PrintStream). */
  private static final class WriterOutputStream extends java.io.OutputStream {
    private final PrintWriter writer;
    private final java.io.ByteArrayOutputStream line = new java.io.ByteArrayOutputStream();

    WriterOutputStream(PrintWriter writer) {
      this.writer = writer;
    }

    @Override
    public synchronized void write(int b) {
      line.write(b);
      if (b == '\n') {
        flush();
      }
    }

    @Override
    public synchronized void flush() {
      writer.print(line.toString(java.nio.charset.StandardCharsets.UTF_8));
      writer.flush();
      line.reset();
    }
  }
}
