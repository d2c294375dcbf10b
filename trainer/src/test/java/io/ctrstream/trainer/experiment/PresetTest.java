package io.ctrstream.trainer.experiment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstream.dien.train.TrainOptions;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * Proves that the reference preset is the reference's optimiser setup, that the best preset keeps
 * it (it changes dropout only, checked end to end in {@link ExperimentTest}), and that
 * command-line values win over a preset.
 */
class PresetTest {

  static ExperimentOptions.Builder options() {
    return ExperimentOptions.builder().setTrain(Path.of("train.csv")).setTest(Path.of("test.csv"));
  }

  @Test
  void referenceIsTheReferenceSetup() {
    TrainOptions t = Experiment.trainOptions(options().optSeed(4).build());
    int evalBatch = TrainOptions.reference().evalBatchSize();
    assertThat(t).isEqualTo(new TrainOptions(128, 0.002, 0.001, 100, 10, 4, evalBatch));
    assertThat(Experiment.encoderOptions(options().build()).minCount()).isEqualTo(5);
  }

  @Test
  void bestKeepsTheOptimiserAndFlagsWin() {
    ExperimentOptions best = options().optPreset(Preset.BEST).build();
    assertThat(Experiment.trainOptions(best)).isEqualTo(Experiment.trainOptions(options().build()));
    ExperimentOptions overridden =
        options()
            .optPreset(Preset.BEST)
            .optEpochs(7)
            .optPatience(3)
            .optTuning(new ExperimentOptions.Tuning(0.01, 0.0, 64, null, null, null, 2, null))
            .build();
    TrainOptions t = Experiment.trainOptions(overridden);
    assertThat(t.maxEpochs()).isEqualTo(7);
    assertThat(t.patience()).isEqualTo(3);
    assertThat(t.learningRate()).isEqualTo(0.01);
    assertThat(t.weightDecay()).isEqualTo(0.0);
    assertThat(t.batchSize()).isEqualTo(64);
    assertThat(Experiment.encoderOptions(overridden).minCount()).isEqualTo(2);
  }

  @Test
  void badValuesFailBeforeTraining() {
    ExperimentOptions bad =
        options()
            .optTuning(new ExperimentOptions.Tuning(-1.0, null, null, null, null, null, null, null))
            .build();
    assertThatThrownBy(() -> Experiment.validate(bad)).hasMessageContaining("learningRate");
    assertThatThrownBy(() -> options().optEpochs(0).build()).hasMessageContaining("epochs");
  }
}
