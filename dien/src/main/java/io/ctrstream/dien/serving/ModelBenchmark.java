package io.ctrstream.dien.serving;

import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.features.LabeledRow;
import io.ctrstream.dien.model.DienConfig;
import io.ctrstream.dien.model.DienNetwork;
import io.ctrstream.dien.model.DienTrainStep;
import io.ctrstream.dien.model.EncodedBatch;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Throughput and memory benchmark of the reference-size DIEN on this machine, without Kafka.
 *
 * <p>The model is the reference's: embedding 16, attention MLP [16, 8] with Dice, final MLP [32,
 * 16] with PReLU, AUGRU with the auxiliary loss (aux net [100, 50]), history 10, genres 6, with
 * vocabulary sizes like MovieLens-1M (about 3,700 movies in each of the candidate, history and
 * negatives tables, 3,439 zip codes, 21 occupations, 18 genres). Its encoder is fitted on random
 * raw rows over those ids (min count 1), and every benchmark row has a full-length history (the
 * expensive case; 98% of the reference's rows have one).
 *
 * <p>Measured (rows per second, median over repeats, each repeat running for at least {@code
 * minSeconds} after warm-up calls):
 *
 * <ul>
 *   <li>{@code inference}: {@link DienNetwork#predictProbabilities} on pre-encoded batches, the
 *       network alone in eval mode;
 *   <li>{@code scorer}: {@link DienBatchScorer#score} on raw {@link FeatureRow}s, i.e. encoding
 *       included, as the streaming scorer calls it;
 *   <li>{@code training}: {@link DienTrainStep#step} (forward, backward, Adam) on labeled batches.
 * </ul>
 *
 * <p>{@link #memory} scores many rows through one {@link DienBatchScorer} and samples the
 * process's resident set size ({@code VmRSS} of {@code /proc/self/status}) to show whether native
 * memory grows with the number of calls.
 *
 * <p>Threads: the caller sets PyTorch's intra-op threads before calling (the launcher does).
 */
public final class ModelBenchmark {

  /** Progress of a long loop, e.g. a console progress bar. */
  public interface Progress {
    /** A new loop of {@code total} steps named {@code task}. */
    void begin(String task, long total);

    void advance(long steps);

    void end();

    /** Reports nothing. */
    Progress NONE =
        new Progress() {
          @Override
          public void begin(String task, long total) {}

          @Override
          public void advance(long steps) {}

          @Override
          public void end() {}
        };
  }

  /**
   * Throughput in rows/s by batch size.
   *
   * @param inference network-only eval-mode prediction on encoded batches
   * @param scorer encode + predict through {@link DienBatchScorer}
   * @param training one Adam step (forward + backward + update) per batch
   * @param parameterCount trainable scalars of the benchmarked network
   * @param config the benchmarked network's config
   * @param scorerThreads Java threads of the concurrent inference measurement (1: not measured)
   * @param concurrentInference aggregate rows/s of {@code scorerThreads} threads, each scoring
   *     with its own network (as each stream thread of the app owns a scorer); empty when {@code
   *     scorerThreads} is 1. Its caller-CPU rate is over the CPU time of all scoring threads.
   */
  public record Result(
      Map<Integer, Rate> inference,
      Map<Integer, Rate> scorer,
      Map<Integer, Rate> training,
      long parameterCount,
      DienConfig config,
      int scorerThreads,
      Map<Integer, Rate> concurrentInference) {}

  /**
   * One measurement.
   *
   * @param rowsPerSecond median over repeats of rows per wall-clock second
   * @param rowsPerCpuSecond median over repeats of rows per second of process CPU time (all
   *     threads of this JVM); on a machine shared with other busy processes this moves much less
   *     than the wall-clock rate, so it tells what the code costs rather than what it got
   * @param rowsPerCallerCpuSecond the same over the calling thread's CPU time only: with one
   *     PyTorch thread every kernel runs on the caller, so this is the compute cost without JIT
   *     and GC threads (with more PyTorch threads it leaves out the helpers' share)
   */
  public record Rate(
      double rowsPerSecond, double rowsPerCpuSecond, double rowsPerCallerCpuSecond) {}

  /**
   * Resident set size while scoring {@code rows} rows in batches of {@code batchSize}.
   *
   * @param rows rows scored after warm-up
   * @param batchSize rows per call
   * @param rssStartKb RSS after the model was built, before any scoring
   * @param rssWarmKb RSS after warm-up
   * @param rssEndKb RSS at the end
   * @param rssSamplesKb RSS at each tenth of the run
   * @param heapCommittedSamplesKb the Java heap committed at the same moments: RSS includes the
   *     heap as it grows towards -Xmx, so native growth is RSS growth minus heap growth
   * @param seconds wall time of the measured part
   */
  public record MemoryResult(
      long rows,
      int batchSize,
      long rssStartKb,
      long rssWarmKb,
      long rssEndKb,
      List<Long> rssSamplesKb,
      List<Long> heapCommittedSamplesKb,
      double seconds) {}

  // MovieLens-1M sizes: rated movies, distinct zip codes, occupations, genres.
  static final int MOVIES = 3706;
  static final int ZIPS = 3439;
  static final int OCCUPATIONS = 21;
  static final int GENRES = 18;
  private static final double[] AGES = {1, 18, 25, 35, 45, 50, 56};

  private final List<Integer> inferenceBatches;
  private final List<Integer> trainingBatches;
  private final int repeats;
  private final int warmup;
  private final double minSeconds;
  private final long seed;
  private final int fitRows;
  private final Progress progress;
  private final FeatureEncoder encoder;
  private final DienConfig config;
  private final int scorerThreads;

  private ModelBenchmark(Builder b) {
    this.scorerThreads = b.scorerThreads;
    this.inferenceBatches = List.copyOf(b.inferenceBatches);
    this.trainingBatches = List.copyOf(b.trainingBatches);
    this.repeats = b.repeats;
    this.warmup = b.warmup;
    this.minSeconds = b.minSeconds;
    this.seed = b.seed;
    this.fitRows = b.fitRows;
    this.progress = b.progress;
    this.encoder =
        FeatureEncoder.fit(
            randomRows(fitRows, new Random(seed)),
            FeatureEncoder.Options.builder().optMinCount(1).build());
    this.config = encoder.configure(DienConfig.builder()).build();
  }

  public static Builder builder() {
    return new Builder();
  }

  /** The benchmarked network's config (reference sizes, MovieLens-1M-like vocabularies). */
  public DienConfig config() {
    return config;
  }

  /** The encoder the benchmark rows go through. */
  public FeatureEncoder encoder() {
    return encoder;
  }

  /** Runs the inference, scorer and training measurements. */
  public Result run() {
    Map<Integer, Rate> inference = new LinkedHashMap<>();
    Map<Integer, Rate> scorer = new LinkedHashMap<>();
    Map<Integer, Rate> training = new LinkedHashMap<>();
    long params;
    Random rng = new Random(seed + 1);
    try (DienNetwork net = DienNetwork.create(config, seed);
        DienBatchScorer s = new DienBatchScorer(net, encoder, "bench", false)) {
      params = net.parameterCount();
      for (int b : inferenceBatches) {
        List<List<FeatureRow>> raw = new ArrayList<>();
        List<EncodedBatch> encoded = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
          List<FeatureRow> rows = randomRows(b, rng);
          raw.add(rows);
          encoded.add(encoder.encode(rows));
        }
        inference.put(b, measure("inference b=" + b, b, i -> net.predictProbabilities(
            encoded.get(i % encoded.size()))));
        scorer.put(b, measure("scorer b=" + b, b, i -> s.score(raw.get(i % raw.size()))));
      }
    }
    for (int b : trainingBatches) {
      try (DienNetwork net = DienNetwork.create(config, seed);
          DienTrainStep step = DienTrainStep.create(net)) {
        List<EncodedBatch> batches = new ArrayList<>();
        for (int k = 0; k < 4; k++) {
          batches.add(encoder.encodeLabeled(labeled(randomRows(b, rng), rng)));
        }
        training.put(b, measure("training b=" + b, b, i -> step.step(batches.get(i % 4))));
      }
    }
    Map<Integer, Rate> concurrent = new LinkedHashMap<>();
    if (scorerThreads > 1) {
      for (int b : inferenceBatches) {
        concurrent.put(b, concurrentInference(scorerThreads, b));
      }
    }
    return new Result(inference, scorer, training, params, config, scorerThreads, concurrent);
  }

  /**
   * Aggregate inference rows/s of {@code threads} Java threads scoring at the same time, each
   * with its own network (same weights) and batches of {@code batchSize}: how the streaming app
   * scales, one scorer per stream thread, each at one PyTorch intra-op thread. Median over
   * {@code repeats} timed runs of at least {@code minSeconds}, all threads timed together.
   */
  public Rate concurrentInference(int threads, int batchSize) {
    if (threads < 1 || batchSize < 1) {
      throw new IllegalArgumentException(
          "threads and batchSize must be > 0, got " + threads + ", " + batchSize);
    }
    String task = "inference b=" + batchSize + " x" + threads + " threads";
    progress.begin(task, 1 + repeats);
    List<DienNetwork> nets = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<List<EncodedBatch>> batches = new ArrayList<>();
      Random rng = new Random(seed + 3);
      for (int k = 0; k < threads; k++) {
        nets.add(DienNetwork.create(config, seed));
        List<EncodedBatch> own = new ArrayList<>();
        for (int j = 0; j < 4; j++) {
          own.add(encoder.encode(randomRows(batchSize, rng)));
        }
        batches.add(own);
      }
      ThreadMXBean mx = ManagementFactory.getThreadMXBean();
      double[] rates = new double[repeats];
      double[] cpuRates = new double[repeats];
      double[] threadCpuRates = new double[repeats];
      long minNanos = (long) (minSeconds * 1e9);
      for (int r = -1; r < repeats; r++) { // r = -1: warm-up
        CyclicBarrier start = new CyclicBarrier(threads + 1);
        long[] rows = new long[threads];
        long[] cpu = new long[threads];
        List<Future<?>> done = new ArrayList<>();
        final int minCalls = r < 0 ? Math.max(warmup, 1) : 1;
        final boolean warm = r < 0;
        for (int k = 0; k < threads; k++) {
          final int id = k;
          done.add(pool.submit(() -> {
            DienNetwork net = nets.get(id);
            List<EncodedBatch> own = batches.get(id);
            awaitQuietly(start);
            long c0 = mx.getCurrentThreadCpuTime();
            long t0 = System.nanoTime();
            long calls = 0;
            // warm-up (r < 0) also lasts minSeconds of this thread's CPU time, as in measure()
            while (calls < minCalls
                || System.nanoTime() - t0 < minNanos
                || (warm && c0 >= 0 && mx.getCurrentThreadCpuTime() - c0 < minNanos)) {
              net.predictProbabilities(own.get((int) (calls++ % own.size())));
            }
            rows[id] = calls * batchSize;
            cpu[id] = mx.getCurrentThreadCpuTime() - c0;
          }));
        }
        awaitQuietly(start);
        long cpu0 = processCpuNanos();
        long t0 = System.nanoTime();
        for (Future<?> f : done) {
          f.get();
        }
        long wall = System.nanoTime() - t0;
        long processCpu = processCpuNanos() - cpu0;
        progress.advance(1);
        if (r < 0) {
          continue;
        }
        long totalRows = Arrays.stream(rows).sum();
        long threadCpu = Arrays.stream(cpu).sum();
        rates[r] = totalRows / (wall / 1e9);
        cpuRates[r] = processCpu > 0 ? totalRows / (processCpu / 1e9) : Double.NaN;
        threadCpuRates[r] = threadCpu > 0 ? totalRows / (threadCpu / 1e9) : Double.NaN;
      }
      return new Rate(median(rates), median(cpuRates), median(threadCpuRates));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while measuring " + task, e);
    } catch (ExecutionException e) {
      throw new IllegalStateException("a scoring thread failed in " + task, e.getCause());
    } finally {
      pool.shutdownNow();
      for (DienNetwork net : nets) {
        net.close();
      }
      progress.end();
    }
  }

  private static void awaitQuietly(CyclicBarrier barrier) {
    try {
      barrier.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted at the start barrier", e);
    } catch (BrokenBarrierException e) {
      throw new IllegalStateException("another scoring thread failed to start", e);
    }
  }

  private interface Call {
    void run(int i);
  }

  /** Median rows/s over {@code repeats} timed runs of at least {@code minSeconds} each. */
  private Rate measure(String task, int batchSize, Call call) {
    progress.begin(task, warmup + repeats);
    int i = 0;
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    long minNanos = (long) (minSeconds * 1e9);
    // At least `warmup` calls and at least one timed run's duration of wall time and of this
    // thread's CPU time, so JIT and allocator settle even when a loaded machine leaves this
    // thread only a fraction of a core (wall-only warm-up then ends while code is still cold).
    long warmStart = System.nanoTime();
    long warmCpu = threads.getCurrentThreadCpuTime();
    boolean cpuClock = warmCpu >= 0; // -1 where the JVM cannot measure thread CPU time
    for (int w = 0;
        w < warmup
            || System.nanoTime() - warmStart < minNanos
            || (cpuClock && threads.getCurrentThreadCpuTime() - warmCpu < minNanos);
        w++) {
      call.run(i++);
    }
    progress.advance(warmup);
    double[] rates = new double[repeats];
    double[] cpuRates = new double[repeats];
    double[] callerRates = new double[repeats];
    for (int r = 0; r < repeats; r++) {
      long calls = 0;
      long caller0 = threads.getCurrentThreadCpuTime();
      long cpu0 = processCpuNanos();
      long start = System.nanoTime();
      long elapsed;
      do {
        call.run(i++);
        calls++;
        elapsed = System.nanoTime() - start;
      } while (elapsed < minNanos);
      long cpu = processCpuNanos() - cpu0;
      long caller = threads.getCurrentThreadCpuTime() - caller0;
      double rows = calls * (double) batchSize;
      rates[r] = rows / (elapsed / 1e9);
      cpuRates[r] = cpu > 0 ? rows / (cpu / 1e9) : Double.NaN;
      callerRates[r] = caller > 0 ? rows / (caller / 1e9) : Double.NaN;
      progress.advance(1);
    }
    progress.end();
    return new Rate(median(rates), median(cpuRates), median(callerRates));
  }

  private static double median(double[] values) {
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  /** CPU time of this JVM (all threads), or -1 when the platform does not say. */
  private static long processCpuNanos() {
    if (ManagementFactory.getOperatingSystemMXBean()
        instanceof com.sun.management.OperatingSystemMXBean os) {
      return os.getProcessCpuTime();
    }
    return -1;
  }

  /** The 1-minute load average of the machine, or -1 where /proc is not available. */
  public static double loadAverage() {
    try {
      String line = Files.readString(Path.of("/proc/loadavg")).trim();
      return Double.parseDouble(line.substring(0, line.indexOf(' ')));
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /**
   * Scores {@code rows} random rows in batches of {@code batchSize} through one {@link
   * DienBatchScorer}, after {@code warmupRows} rows of warm-up, sampling RSS ten times.
   */
  public MemoryResult memory(long rows, int batchSize, long warmupRows) {
    if (rows < 1 || batchSize < 1 || warmupRows < 0) {
      throw new IllegalArgumentException(
          "rows and batchSize must be > 0 and warmupRows >= 0, got " + rows + ", " + batchSize
              + ", " + warmupRows);
    }
    Random rng = new Random(seed + 2);
    List<List<FeatureRow>> pool = new ArrayList<>();
    for (int k = 0; k < 16; k++) {
      pool.add(randomRows(batchSize, rng));
    }
    try (DienBatchScorer s =
        new DienBatchScorer(DienNetwork.create(config, seed), encoder, "bench", true)) {
      long start = rssKb();
      progress.begin("memory warm-up", warmupRows);
      int k = 0;
      for (long done = 0; done < warmupRows; done += batchSize) {
        s.score(pool.get(k++ % pool.size()));
        progress.advance(batchSize);
      }
      progress.end();
      long warm = rssKb();
      List<Long> samples = new ArrayList<>();
      List<Long> heapSamples = new ArrayList<>();
      long nextSample = rows / 10;
      long t0 = System.nanoTime();
      progress.begin("memory " + rows + " rows", rows);
      for (long done = 0; done < rows; ) {
        int n = (int) Math.min(batchSize, rows - done);
        List<FeatureRow> batch = pool.get(k++ % pool.size());
        s.score(n == batchSize ? batch : batch.subList(0, n));
        done += n;
        progress.advance(n);
        if (done >= nextSample) {
          samples.add(rssKb());
          heapSamples.add(Runtime.getRuntime().totalMemory() / 1024);
          nextSample += Math.max(1, rows / 10);
        }
      }
      progress.end();
      double seconds = (System.nanoTime() - t0) / 1e9;
      return new MemoryResult(
          rows, batchSize, start, warm, rssKb(), samples, heapSamples, seconds);
    }
  }

  /** Resident set size of this process in KiB, or -1 where /proc is not available. */
  public static long rssKb() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          return Long.parseLong(line.replaceAll("[^0-9]", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  /** Random raw rows over MovieLens-1M-sized id sets, each with a full 10-entry history. */
  static List<FeatureRow> randomRows(int n, Random r) {
    List<FeatureRow> rows = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      List<String> hist = new ArrayList<>(10);
      List<String> neg = new ArrayList<>(10);
      for (int k = 0; k < 10; k++) {
        hist.add("m" + r.nextInt(MOVIES));
        neg.add("m" + r.nextInt(MOVIES));
      }
      int nGenres = 1 + r.nextInt(3);
      List<String> genres = new ArrayList<>(nGenres);
      for (int k = 0; k < nGenres; k++) {
        genres.add("g" + r.nextInt(GENRES));
      }
      rows.add(new FeatureRow(
          "u" + r.nextInt(6040),
          AGES[r.nextInt(AGES.length)],
          r.nextBoolean() ? "F" : "M",
          Integer.toString(r.nextInt(OCCUPATIONS)),
          "z" + r.nextInt(ZIPS),
          "m" + r.nextInt(MOVIES),
          genres,
          hist,
          neg));
    }
    return rows;
  }

  private static List<LabeledRow> labeled(
      List<FeatureRow> rows, Random r) {
    List<LabeledRow> out = new ArrayList<>(rows.size());
    for (FeatureRow row : rows) {
      out.add(new LabeledRow(row, r.nextInt(100) < 58 ? 1 : 0, 0L));
    }
    return out;
  }

  /** Builder; every setting optional. */
  public static final class Builder {
    private List<Integer> inferenceBatches = List.of(1, 32, 256, 1024);
    private List<Integer> trainingBatches = List.of(128, 1024);
    private int repeats = 5;
    private int warmup = 10;
    private double minSeconds = 0.5;
    private long seed = 42;
    private int fitRows = 20_000;
    private Progress progress = Progress.NONE;
    private int scorerThreads = 1;

    private Builder() {}

    /**
     * Java threads scoring concurrently, each with its own network, for an extra aggregate
     * inference measurement per batch size; 1 (default) skips it.
     */
    public Builder optScorerThreads(int threads) {
      this.scorerThreads = threads;
      return this;
    }

    public Builder optInferenceBatches(List<Integer> sizes) {
      this.inferenceBatches = sizes;
      return this;
    }

    public Builder optTrainingBatches(List<Integer> sizes) {
      this.trainingBatches = sizes;
      return this;
    }

    /** Timed runs per measurement; the median is reported. */
    public Builder optRepeats(int repeats) {
      this.repeats = repeats;
      return this;
    }

    /** Untimed calls before each measurement (warm-up also lasts at least minSeconds). */
    public Builder optWarmup(int warmup) {
      this.warmup = warmup;
      return this;
    }

    /** Minimum duration of one timed run. */
    public Builder optMinSeconds(double minSeconds) {
      this.minSeconds = minSeconds;
      return this;
    }

    public Builder optSeed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Random rows the encoder is fitted on (more rows: closer to full vocabularies). */
    public Builder optFitRows(int fitRows) {
      this.fitRows = fitRows;
      return this;
    }

    public Builder optProgress(Progress progress) {
      this.progress = Objects.requireNonNull(progress, "progress must not be null");
      return this;
    }

    public ModelBenchmark build() {
      checkSizes("inferenceBatches", inferenceBatches, 1);
      // training BatchNorm needs batch statistics
      checkSizes("trainingBatches", trainingBatches, 2);
      if (repeats < 1) {
        throw new IllegalArgumentException("repeats must be > 0, got " + repeats);
      }
      if (warmup < 0) {
        throw new IllegalArgumentException("warmup must be >= 0, got " + warmup);
      }
      if (!(minSeconds >= 0)) {
        throw new IllegalArgumentException("minSeconds must be >= 0, got " + minSeconds);
      }
      if (scorerThreads < 1) {
        throw new IllegalArgumentException("scorerThreads must be > 0, got " + scorerThreads);
      }
      if (fitRows < 1) {
        throw new IllegalArgumentException("fitRows must be > 0, got " + fitRows);
      }
      return new ModelBenchmark(this);
    }

    private static void checkSizes(String name, List<Integer> sizes, int min) {
      Objects.requireNonNull(sizes, name + " must not be null");
      for (Integer s : sizes) {
        if (s == null || s < min) {
          throw new IllegalArgumentException(name + " must all be >= " + min + ", got " + sizes);
        }
      }
    }
  }
}
