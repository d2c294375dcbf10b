package io.ctrstream.dien.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.features.LabeledRow;
import io.ctrstream.dien.model.DienNetwork;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Proves the training loop on rows whose label is a function of the candidate movie: DIEN learns
 * it (validation AUC well above chance), the kept weights are the best epoch's (the bundle
 * reproduces that epoch's validation scores and AUC), early stopping and the epoch limit end the
 * run when they should, a run that diverges at once fails with advice, the listener sees every
 * batch and epoch, and the same seed repeats the same run.
 */
class DienFitterTest {

  /** Movies 0..19; movies below 10 are liked with probability 0.9, the others 0.1. */
  static List<LabeledRow> rows(int n, long seed) {
    Random r = new Random(seed);
    List<LabeledRow> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int movie = r.nextInt(20);
      int label = r.nextDouble() < (movie < 10 ? 0.9 : 0.1) ? 1 : 0;
      int len = 1 + r.nextInt(6);
      List<String> history = new ArrayList<>();
      List<String> negatives = new ArrayList<>();
      for (int t = 0; t < len; t++) {
        history.add("m" + r.nextInt(10));
        negatives.add("m" + (10 + r.nextInt(10)));
      }
      out.add(
          new LabeledRow(
              new FeatureRow(
                  "u" + i, 20.0 + r.nextInt(40), r.nextBoolean() ? "M" : "F",
                  "occ" + r.nextInt(3), "z" + r.nextInt(3), "m" + movie,
                  List.of(movie < 10 ? "Drama" : "Comedy"), history, negatives),
              label,
              1_000L * i));
    }
    return out;
  }

  static TrainOptions fast(int maxEpochs, int patience) {
    return TrainOptions.builder()
        .optBatchSize(64)
        .optLearningRate(0.01)
        .optMaxEpochs(maxEpochs)
        .optPatience(patience)
        .optSeed(3)
        .build();
  }

  @Test
  void learnsTheSignalAndKeepsTheBestEpoch() throws Exception {
    List<LabeledRow> train = rows(320, 1);
    List<LabeledRow> validation = rows(120, 2);
    List<String> events = new ArrayList<>();
    TrainingListener listener =
        new TrainingListener() {
          @Override
          public void onEpochStart(int epoch, int batches) {
            events.add("start " + epoch + "/" + batches);
          }

          @Override
          public void onBatch(int epoch, int batch, int batches, double loss) {
            events.add("batch");
          }

          @Override
          public void onEpochEnd(EpochMetrics metrics, boolean improved) {
            events.add("end " + metrics.epoch());
          }
        };
    FitResult fit =
        DienFitter.builder()
            .optTrainOptions(fast(6, 6))
            .optListener(listener)
            .optVersion("test-1")
            .build()
            .fit(train, validation);

    assertThat(fit.epochs()).hasSize(6);
    assertThat(fit.stopReason()).contains("6 epochs");
    assertThat(fit.bestAuc()).isGreaterThan(0.8);
    assertThat(fit.bestAuc())
        .isEqualTo(fit.epochs().stream().mapToDouble(EpochMetrics::validationAuc).max().orElse(0));
    assertThat(fit.best().validationAuc()).isEqualTo(fit.bestAuc());
    // 320 rows / 64 = 5 batches per epoch
    assertThat(events)
        .startsWith("start 1/5", "batch", "batch", "batch", "batch", "batch", "end 1");
    assertThat(events.stream().filter("batch"::equals).count()).isEqualTo(30);

    // the bundle holds the best epoch's weights: it reproduces that epoch's scores and AUC
    ModelBundle bundle = ModelBundle.fromBytes(fit.bundle().toBytes());
    assertThat(bundle.version()).isEqualTo("test-1");
    assertThat(bundle.manifest().sampleCount()).isEqualTo(320);
    assertThat(bundle.manifest().metrics().get("auc")).isEqualTo(fit.bestAuc());
    float[] scores;
    try (DienNetwork network = bundle.newNetwork()) {
      scores = network.predictProbabilities(bundle.encoder().encodeLabeled(validation));
    }
    assertThat(scores).containsExactly(fit.validationScores(), within(1e-6f));
    int[] labels = validation.stream().mapToInt(LabeledRow::label).toArray();
    assertThat(Metrics.auc(labels, scores)).isCloseTo(fit.bestAuc(), within(1e-9));
    assertThat(fit.parameterCount()).isPositive();
  }

  @Test
  void stopsEarlyAfterPatienceEpochsWithoutImprovement() {
    // a learning rate this small changes nothing measurable: AUC cannot keep improving
    TrainOptions options =
        TrainOptions.builder().optLearningRate(1e-9).optMaxEpochs(50).optPatience(2).build();
    FitResult fit =
        DienFitter.builder().optTrainOptions(options).build().fit(rows(100, 5), rows(60, 6));
    assertThat(fit.stopReason()).contains("early stop");
    assertThat(fit.epochs()).hasSize(fit.bestEpoch() + 2);
  }

  @Test
  void theSameSeedRepeatsTheRun() {
    List<LabeledRow> train = rows(200, 7);
    List<LabeledRow> validation = rows(80, 8);
    FitResult a =
        DienFitter.builder().optTrainOptions(fast(2, 2)).build().fit(train, validation);
    FitResult b =
        DienFitter.builder().optTrainOptions(fast(2, 2)).build().fit(train, validation);
    assertThat(b.epochs().get(1).trainLoss()).isEqualTo(a.epochs().get(1).trainLoss());
    assertThat(b.validationScores()).containsExactly(a.validationScores());
  }

  /**
   * Regression: native tensors once read memory of direct buffers that the collector had already
   * freed, so a run depended on when garbage was collected (different losses, now and then NaN).
   * Collecting every 2 ms makes that show within a few batches.
   */
  @Test
  void theSameSeedRepeatsTheRunWhileTheCollectorRuns() throws InterruptedException {
    List<LabeledRow> train = rows(400, 7);
    List<LabeledRow> validation = rows(80, 8);
    FitResult quiet =
        DienFitter.builder().optTrainOptions(fast(3, 3)).build().fit(train, validation);
    ScheduledExecutorService collector = Executors.newSingleThreadScheduledExecutor();
    collector.scheduleAtFixedRate(System::gc, 0, 2, TimeUnit.MILLISECONDS);
    try {
      for (int run = 0; run < 2; run++) {
        FitResult busy =
            DienFitter.builder().optTrainOptions(fast(3, 3)).build().fit(train, validation);
        for (int epoch = 0; epoch < quiet.epochs().size(); epoch++) {
          assertThat(busy.epochs().get(epoch).trainLoss())
              .as("run %d epoch %d", run, epoch)
              .isEqualTo(quiet.epochs().get(epoch).trainLoss());
        }
        assertThat(busy.validationScores()).containsExactly(quiet.validationScores());
      }
    } finally {
      collector.shutdownNow();
      collector.awaitTermination(10, TimeUnit.SECONDS);
    }
  }

  @Test
  void aRunThatDivergesBeforeAnyEpochSaysSo() {
    // steps of 1e30 overflow the weights to infinity within the first epoch
    TrainOptions options = TrainOptions.builder().optLearningRate(1e30).optMaxEpochs(3).build();
    DienFitter fitter = DienFitter.builder().optTrainOptions(options).build();
    assertThatThrownBy(() -> fitter.fit(rows(300, 1), rows(50, 2)))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("lower the learning rate");
  }

  @Test
  void rejectsTooFewRows() {
    DienFitter fitter = DienFitter.builder().build();
    assertThatThrownBy(() -> fitter.fit(rows(1, 1), rows(10, 2)))
        .hasMessageContaining("at least 2 training rows");
    assertThatThrownBy(() -> fitter.fit(rows(10, 1), List.of()))
        .hasMessageContaining("validation");
  }
}
