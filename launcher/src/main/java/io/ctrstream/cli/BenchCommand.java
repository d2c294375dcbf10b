package io.ctrstream.cli;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctrstream.dien.serving.ModelBenchmark;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.function.ToDoubleFunction;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code ./ctr bench}: benchmarks, one subcommand each ({@code model}, {@code scoring}). */
@Command(
    name = "bench",
    mixinStandardHelpOptions = true,
    description = "Benchmarks: model, scoring.",
    subcommands = {BenchCommand.Model.class, BenchScoringCommand.class})
public final class BenchCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }

  /**
   * {@code ./ctr bench model}: throughput of the reference-size DIEN (see {@link
   * ModelBenchmark}) printed as one JSON line on stdout; progress on stderr. With {@code
   * --memory-calls N} it instead scores N rows through one scorer and prints RSS samples.
   *
   * <p>Threads: {@code ./ctr} starts the JVM with {@code -Dai.djl.pytorch.num_threads} from
   * {@code CTR_TORCH_THREADS} (default 1); {@code --threads} overrides it here (set before the
   * engine starts, and again on the running engine). The JSON reports the count PyTorch uses.
   */
  @Command(
      name = "model",
      mixinStandardHelpOptions = true,
      description = {
        "Inference and training rows/s of the reference-size DIEN on random inputs with full"
            + " histories; one JSON line on stdout.",
        "PyTorch threads: --threads, else CTR_TORCH_THREADS (default 1)."
      })
  static final class Model implements Callable<Integer> {

    @Option(
        names = "--threads",
        description = "PyTorch intra-op threads. Default: -Dai.djl.pytorch.num_threads (./ctr:"
            + " CTR_TORCH_THREADS, 1).")
    Integer threads;

    @Option(names = "--repeats", defaultValue = "5",
        description = "Timed runs per measurement (median reported). Default: ${DEFAULT-VALUE}.")
    int repeats;

    @Option(names = "--warmup", defaultValue = "10",
        description = "Untimed calls before each measurement. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--seconds", defaultValue = "0.5",
        description = "Minimum duration of one timed run. Default: ${DEFAULT-VALUE}.")
    double seconds;

    @Option(names = "--batches", split = ",", defaultValue = "1,32,256,1024",
        description = "Inference batch sizes. Default: ${DEFAULT-VALUE}.")
    List<Integer> batches;

    @Option(names = "--train-batches", split = ",", defaultValue = "128,1024",
        description = "Training batch sizes. Default: ${DEFAULT-VALUE}.")
    List<Integer> trainBatches;

    @Option(names = "--seed", defaultValue = "42", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(
        names = "--memory-calls",
        description = "Memory check instead: score this many rows through one scorer and report"
            + " RSS (VmRSS) at start, after warm-up, every tenth and at the end.")
    Long memoryRows;

    @Option(names = "--memory-batch", defaultValue = "256",
        description = "Batch size of the memory check. Default: ${DEFAULT-VALUE}.")
    int memoryBatch;

    @Option(names = "--no-progress", description = "Do not draw progress bars.")
    boolean noProgress;

    @Option(names = "--png", description = "Also draw the rows/s as a bar chart into this PNG.")
    Path png;

    @Option(
        names = "--scorer-threads",
        defaultValue = "1",
        description =
            "Java threads scoring concurrently, each with its own network at the PyTorch thread"
                + " count (aggregate rows/s, as a scorer with that many stream threads)."
                + " Default: ${DEFAULT-VALUE}.")
    int scorerThreads;

    @Override
    public Integer call() throws Exception {
      if (threads != null) {
        if (threads < 1) {
          System.err.println("ctr bench model: --threads must be > 0, got " + threads);
          return 2;
        }
        // Read by the PyTorch engine when it starts; set again below in case it already has.
        System.setProperty("ai.djl.pytorch.num_threads", Integer.toString(threads));
      }
      Engine engine = Engine.getEngine("PyTorch");
      if (threads != null) {
        JniUtils.setNumThreads(threads);
      }
      ModelBenchmark bench;
      try {
        bench =
            ModelBenchmark.builder()
                .optInferenceBatches(batches)
                .optTrainingBatches(trainBatches)
                .optRepeats(repeats)
                .optWarmup(warmup)
                .optMinSeconds(seconds)
                .optSeed(seed)
                .optScorerThreads(scorerThreads)
                .optProgress(noProgress ? ModelBenchmark.Progress.NONE : new Bar())
                .build();
      } catch (IllegalArgumentException e) {
        System.err.println("ctr bench model: " + e.getMessage());
        return 2;
      }
      ObjectMapper json = new ObjectMapper();
      ObjectNode out = json.createObjectNode();
      if (memoryRows != null) {
        if (memoryRows < 1 || memoryBatch < 1) {
          System.err.println("ctr bench model: --memory-calls and --memory-batch must be > 0");
          return 2;
        }
        ModelBenchmark.MemoryResult m =
            bench.memory(memoryRows, memoryBatch, Math.min(memoryRows, 20L * memoryBatch));
        ObjectNode mem = out.putObject("memory");
        mem.put("rows", m.rows());
        mem.put("batch", m.batchSize());
        mem.put("rssStartMb", mb(m.rssStartKb()));
        mem.put("rssAfterWarmupMb", mb(m.rssWarmKb()));
        mem.put("rssEndMb", mb(m.rssEndKb()));
        mem.put("growthAfterWarmupMb", mb(m.rssEndKb() - m.rssWarmKb()));
        m.rssSamplesKb().forEach(kb -> mem.withArray("rssSamplesMb").add(mb(kb)));
        m.heapCommittedSamplesKb().forEach(
            kb -> mem.withArray("heapCommittedSamplesMb").add(mb(kb)));
        List<Long> rss = m.rssSamplesKb();
        List<Long> heap = m.heapCommittedSamplesKb();
        for (int i = 0; i < rss.size(); i++) {
          mem.withArray("rssMinusHeapSamplesMb").add(mb(rss.get(i) - heap.get(i)));
        }
        mem.put("rowsPerSecond", Math.round(m.rows() / m.seconds()));
      } else {
        double loadBefore = ModelBenchmark.loadAverage();
        ModelBenchmark.Result r = bench.run();
        put(out.putObject("inference"), r.inference(), ModelBenchmark.Rate::rowsPerSecond);
        put(out.putObject("training"), r.training(), ModelBenchmark.Rate::rowsPerSecond);
        put(out.putObject("scorer"), r.scorer(), ModelBenchmark.Rate::rowsPerSecond);
        ObjectNode cpu = out.putObject("perProcessCpuSecond");
        put(cpu.putObject("inference"), r.inference(), ModelBenchmark.Rate::rowsPerCpuSecond);
        put(cpu.putObject("training"), r.training(), ModelBenchmark.Rate::rowsPerCpuSecond);
        put(cpu.putObject("scorer"), r.scorer(), ModelBenchmark.Rate::rowsPerCpuSecond);
        ObjectNode caller = out.putObject("perCallerCpuSecond");
        put(caller.putObject("inference"), r.inference(),
            ModelBenchmark.Rate::rowsPerCallerCpuSecond);
        put(caller.putObject("training"), r.training(),
            ModelBenchmark.Rate::rowsPerCallerCpuSecond);
        put(caller.putObject("scorer"), r.scorer(), ModelBenchmark.Rate::rowsPerCallerCpuSecond);
        if (r.scorerThreads() > 1) {
          out.put("scorerThreads", r.scorerThreads());
          put(out.putObject("inferenceConcurrent"), r.concurrentInference(),
              ModelBenchmark.Rate::rowsPerSecond);
          put(cpu.putObject("inferenceConcurrent"), r.concurrentInference(),
              ModelBenchmark.Rate::rowsPerCpuSecond);
          put(caller.putObject("inferenceConcurrent"), r.concurrentInference(),
              ModelBenchmark.Rate::rowsPerCallerCpuSecond);
        }
        out.put("parameters", r.parameterCount());
        out.put("loadAverageBefore", loadBefore);
        if (png != null) {
          writeChart(r, png);
        }
      }
      out.put("threads", JniUtils.getNumThreads());
      out.put("interopThreads", JniUtils.getNumInteropThreads());
      out.put("engine", engine.getEngineName() + " " + engine.getVersion());
      out.put("repeats", repeats);
      out.put("warmup", warmup);
      out.put("secondsPerRepeat", seconds);
      out.put("cpus", Runtime.getRuntime().availableProcessors());
      out.put("loadAverageAfter", ModelBenchmark.loadAverage());
      out.put("historyLength", bench.config().history().maxLength());
      out.put("movies", bench.config().categoricalFeatures().get(
          bench.config().candidateIndex()).vocabSize());
      System.out.println(json.writeValueAsString(out));
      return 0;
    }

    private static void put(
        ObjectNode node,
        Map<Integer, ModelBenchmark.Rate> rates,
        ToDoubleFunction<ModelBenchmark.Rate> field) {
      rates.forEach((b, v) -> node.put(Integer.toString(b), Math.round(field.applyAsDouble(v))));
    }

    /** Rows/s by batch size: inference, scorer (encode + inference) and training bars. */
    private static void writeChart(ModelBenchmark.Result r, Path file) throws IOException {
      CategoryChart chart =
          new CategoryChartBuilder()
              .width(900)
              .height(500)
              .title("DIEN reference size, PyTorch threads " + JniUtils.getNumThreads())
              .xAxisTitle("batch size")
              .yAxisTitle("rows per second")
              .build();
      // one category per batch size of any series; a series without that size has no bar there
      TreeSet<Integer> sizes = new TreeSet<>();
      sizes.addAll(r.inference().keySet());
      sizes.addAll(r.scorer().keySet());
      sizes.addAll(r.training().keySet());
      addSeries(chart, "inference", sizes, r.inference());
      addSeries(chart, "scorer (encode + inference)", sizes, r.scorer());
      addSeries(chart, "training", sizes, r.training());
      Path parent = file.toAbsolutePath().getParent();
      if (parent != null) {
        Files.createDirectories(parent);
      }
      BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
      System.err.println("ctr bench model: chart written to " + file);
    }

    private static void addSeries(
        CategoryChart chart,
        String name,
        TreeSet<Integer> sizes,
        Map<Integer, ModelBenchmark.Rate> rates) {
      if (rates.isEmpty()) {
        return;
      }
      List<String> x = new ArrayList<>();
      List<Double> y = new ArrayList<>();
      for (int b : sizes) {
        x.add(Integer.toString(b));
        ModelBenchmark.Rate v = rates.get(b);
        y.add(v == null ? null : v.rowsPerSecond());
      }
      chart.addSeries(name, x, y);
    }

    private static double mb(long kb) {
      return Math.round(kb / 1024.0 * 10) / 10.0;
    }
  }

  /** Draws one console progress bar per loop on stderr. */
  private static final class Bar implements ModelBenchmark.Progress {
    private ProgressBar bar;

    @Override
    public void begin(String task, long total) {
      end();
      bar = new ProgressBarBuilder().setTaskName(task).setInitialMax(total).build();
    }

    @Override
    public void advance(long steps) {
      if (bar != null) {
        bar.stepBy(steps);
      }
    }

    @Override
    public void end() {
      if (bar != null) {
        bar.close();
        bar = null;
      }
    }
  }
}
