package io.ctrstream.dien.serving;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstream.dien.model.DienConfig;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Proves the benchmark runs the reference-size model (sizes from REFERENCE.md, MovieLens-1M-like
 * vocabularies) and reports a positive rate for every requested batch size; and that the memory
 * check scores the requested rows and samples RSS ten times.
 */
class ModelBenchmarkTest {

  @Test
  void benchmarksTheReferenceSizeModel() {
    ModelBenchmark bench = ModelBenchmark.builder()
        .optInferenceBatches(List.of(1, 4)).optTrainingBatches(List.of(4))
        .optRepeats(1).optWarmup(1).optMinSeconds(0).optFitRows(3000).build();
    DienConfig c = bench.config();
    assertThat(c.embeddingSize()).isEqualTo(16);
    assertThat(c.attentionHidden()).containsExactly(16, 8);
    assertThat(c.mlpHidden()).containsExactly(32, 16);
    assertThat(c.evolution()).isEqualTo(DienConfig.Evolution.AUGRU);
    assertThat(c.useNegSampling()).isTrue();
    assertThat(c.history().maxLength()).isEqualTo(10);
    assertThat(c.pooledSequence().maxLength()).isEqualTo(6);
    // 3000 rows x 10 history entries over 3,706 movies: nearly every movie gets an index
    assertThat(c.history().vocabSize()).isBetween(3600, ModelBenchmark.MOVIES + 2);

    ModelBenchmark.Result r = bench.run();
    assertThat(r.inference()).containsOnlyKeys(1, 4);
    assertThat(r.scorer()).containsOnlyKeys(1, 4);
    assertThat(r.training()).containsOnlyKeys(4);
    for (ModelBenchmark.Rate rate : List.of(r.inference().get(1), r.inference().get(4),
        r.scorer().get(4), r.training().get(4))) {
      assertThat(rate.rowsPerSecond()).isPositive().isFinite();
    }
    assertThat(r.parameterCount()).isGreaterThan(100_000);
  }

  @Test
  void concurrentModeReportsAnAggregateRatePerBatchSize() {
    ModelBenchmark bench = ModelBenchmark.builder()
        .optInferenceBatches(List.of(2, 8)).optTrainingBatches(List.of())
        .optRepeats(1).optWarmup(1).optMinSeconds(0).optFitRows(500).optScorerThreads(2).build();
    ModelBenchmark.Result r = bench.run();
    assertThat(r.scorerThreads()).isEqualTo(2);
    assertThat(r.concurrentInference()).containsOnlyKeys(2, 8);
    for (ModelBenchmark.Rate rate : r.concurrentInference().values()) {
      assertThat(rate.rowsPerSecond()).isPositive().isFinite();
      assertThat(rate.rowsPerCallerCpuSecond()).isPositive();
    }
    ModelBenchmark single = ModelBenchmark.builder()
        .optInferenceBatches(List.of(2)).optTrainingBatches(List.of())
        .optRepeats(1).optWarmup(0).optMinSeconds(0).optFitRows(500).build();
    assertThat(single.run().concurrentInference()).isEmpty();
    assertThatThrownBy(() -> ModelBenchmark.builder().optScorerThreads(0).build())
        .hasMessageContaining("scorerThreads must be > 0, got 0");
  }

  @Test
  void memoryCheckScoresEveryRowAndSamplesTenTimes() {
    ModelBenchmark bench = ModelBenchmark.builder().optFitRows(500).build();
    ModelBenchmark.MemoryResult m = bench.memory(640, 64, 64);
    assertThat(m.rows()).isEqualTo(640);
    assertThat(m.rssSamplesKb()).hasSize(10);
    if (ModelBenchmark.rssKb() > 0) { // Linux
      assertThat(m.rssStartKb()).isPositive();
      assertThat(m.rssEndKb()).isPositive();
    }
    assertThatThrownBy(() -> bench.memory(0, 64, 0)).hasMessageContaining("must be > 0");
  }

  @Test
  void builderRejectsImpossibleSettings() {
    assertThatThrownBy(() -> ModelBenchmark.builder().optTrainingBatches(List.of(1)).build())
        .hasMessageContaining("trainingBatches must all be >= 2");
    assertThatThrownBy(() -> ModelBenchmark.builder().optRepeats(0).build())
        .hasMessageContaining("repeats must be > 0, got 0");
  }
}
