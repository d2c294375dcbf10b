package io.ctrstream.cli.demo;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * Settings of one demo run, validated in {@link Builder#build()}.
 *
 * @param data folder of a MovieLens-format data set (ml-100k, ml-1m, ml-latest, ml-25m, or the
 *     generated sample with its {@code truth.tsv})
 * @param out folder of the run: report.html, charts, trainer reports, scorer state
 * @param speed impressions plus ratings per second; 0 for as fast as the broker takes them
 * @param limit at most this many ratings (the earliest); 0 for all
 * @param firstTrainAt share of the ratings published when the first training run starts
 * @param retrainEvery share of the ratings between later training runs
 * @param maxEpochs most epochs per training run
 * @param minExamples fewer feedback examples than this: the trainer refuses to train
 * @param timeout longest time without progress while waiting for the scorer (the outputs after
 *     the replay, the feedback a training run waits for) or for a training run to finish
 * @param statusEvery how often the status line is printed
 * @param scoreWait each rating is sent once its impression's score is committed, waiting at most
 *     this long; zero: right after its impression (see {@code Replayer.Builder.optAwaitScores})
 * @param historyAffinity whether the trained models get the history's genre affinity as a feature
 * @param waitForTraining whether the replay pauses at each checkpoint until its training run is
 *     over and its release is served (else the replay goes on while the trainer works)
 */
public record DemoOptions(
    Path data,
    Path out,
    double speed,
    long limit,
    double firstTrainAt,
    double retrainEvery,
    int maxEpochs,
    int minExamples,
    Duration timeout,
    Duration statusEvery,
    Duration scoreWait,
    boolean historyAffinity,
    boolean waitForTraining,
    boolean wide,
    boolean calibrate,
    int fullRetrainEvery) {

  public static Builder builder() {
    return new Builder();
  }

  /** {@code setX} required, {@code optX} optional. */
  public static final class Builder {
    private Path data;
    private Path out;
    private double speed;
    private long limit;
    private double firstTrainAt = 0.05;
    private double retrainEvery = 0.1;
    private int maxEpochs = 5;
    private int minExamples = 200;
    private Duration timeout = Duration.ofMinutes(5);
    private Duration statusEvery = Duration.ofSeconds(1);
    private Duration scoreWait = Duration.ofSeconds(30);
    private boolean historyAffinity = true;
    private boolean waitForTraining;
    private boolean wide = true;
    private boolean calibrate = true;
    private int fullRetrainEvery = 4;

    private Builder() {}

    /** Whether trained models get the wide part (the served counters, linearly); default true. */
    public Builder optWide(boolean wide) {
      this.wide = wide;
      return this;
    }

    /** Whether candidates are Platt-scaled on their validation slice; default true. */
    public Builder optCalibrate(boolean calibrate) {
      this.calibrate = calibrate;
      return this;
    }

    /** Every this many training runs one starts from scratch, the others warm; default 4. */
    public Builder optFullRetrainEvery(int runs) {
      this.fullRetrainEvery = runs;
      return this;
    }

    /** Whether the replay pauses while each training run works; default false. */
    public Builder optWaitForTraining(boolean waitForTraining) {
      this.waitForTraining = waitForTraining;
      return this;
    }

    /** Whether the trained models get the history's genre affinity as a feature; default true. */
    public Builder optHistoryAffinity(boolean historyAffinity) {
      this.historyAffinity = historyAffinity;
      return this;
    }

    /** The data set folder. Required. */
    public Builder setData(Path data) {
      this.data = data;
      return this;
    }

    /** The run's output folder (created). Required. */
    public Builder setOut(Path out) {
      this.out = out;
      return this;
    }

    /** Events per second; default 0, as fast as possible. */
    public Builder optSpeed(double speed) {
      this.speed = speed;
      return this;
    }

    /** At most this many ratings; default 0, all. */
    public Builder optLimit(long limit) {
      this.limit = limit;
      return this;
    }

    /** First training run at this share of the stream; default 0.05. */
    public Builder optFirstTrainAt(double firstTrainAt) {
      this.firstTrainAt = firstTrainAt;
      return this;
    }

    /** Later training runs every this share of the stream; default 0.1. */
    public Builder optRetrainEvery(double retrainEvery) {
      this.retrainEvery = retrainEvery;
      return this;
    }

    /** Most epochs per training run; default 5. */
    public Builder optMaxEpochs(int maxEpochs) {
      this.maxEpochs = maxEpochs;
      return this;
    }

    /** The trainer's minimum of examples; default 200. */
    public Builder optMinExamples(int minExamples) {
      this.minExamples = minExamples;
      return this;
    }

    /** Longest time without progress while waiting; default 5 minutes. */
    public Builder optTimeout(Duration timeout) {
      this.timeout = timeout;
      return this;
    }

    /** Period of the status line; default 1 second. */
    public Builder optStatusEvery(Duration statusEvery) {
      this.statusEvery = statusEvery;
      return this;
    }

    /** Longest wait of a rating for its impression's score; zero: none. Default 30 seconds. */
    public Builder optScoreWait(Duration scoreWait) {
      this.scoreWait = scoreWait;
      return this;
    }

    public DemoOptions build() {
      Objects.requireNonNull(data, "data not set: call setData(folder of a MovieLens data set)");
      Objects.requireNonNull(out, "out not set: call setOut(folder for the report)");
      if (!(speed >= 0) || Double.isInfinite(speed)) {
        throw new IllegalArgumentException("speed must be >= 0 events/s (0 for max), got " + speed);
      }
      if (limit < 0) {
        throw new IllegalArgumentException("limit must be >= 0 ratings (0 for all), got " + limit);
      }
      if (!(firstTrainAt > 0 && firstTrainAt <= 1)) {
        throw new IllegalArgumentException("firstTrainAt must be in (0, 1], got " + firstTrainAt);
      }
      if (!(retrainEvery > 0 && retrainEvery <= 1)) {
        throw new IllegalArgumentException("retrainEvery must be in (0, 1], got " + retrainEvery);
      }
      if (maxEpochs < 1) {
        throw new IllegalArgumentException("maxEpochs must be >= 1, got " + maxEpochs);
      }
      if (minExamples < 1) {
        throw new IllegalArgumentException("minExamples must be >= 1, got " + minExamples);
      }
      if (timeout == null || timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("timeout must be > 0, got " + timeout);
      }
      if (statusEvery == null || statusEvery.isNegative() || statusEvery.isZero()) {
        throw new IllegalArgumentException("statusEvery must be > 0, got " + statusEvery);
      }
      if (scoreWait == null || scoreWait.isNegative()) {
        throw new IllegalArgumentException("scoreWait must be >= 0 (0 for none), got " + scoreWait);
      }
      return new DemoOptions(data, out, speed, limit, firstTrainAt, retrainEvery, maxEpochs,
          minExamples, timeout, statusEvery, scoreWait, historyAffinity, waitForTraining, wide,
          calibrate, fullRetrainEvery);
    }
  }
}
