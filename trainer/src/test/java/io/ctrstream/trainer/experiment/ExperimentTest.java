package io.ctrstream.trainer.experiment;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.train.EpochMetrics;
import io.ctrstream.dien.train.TrainingListener;
import io.ctrstream.trainer.movielens.ReferenceCsv;
import io.ctrstream.trainer.movielens.ReferenceRow;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs a whole experiment end to end on a generated reference CSV (a few hundred rows, 2
 * epochs): it writes a bundle that loads and carries the best epoch's AUC, a PNG of the curves,
 * a result file with one entry per epoch, and a one-line summary whose popularity AUC is the
 * baseline's on the test rows; and that flags override the best preset's choices but not the
 * rest of it.
 */
class ExperimentTest {

  /** Rows whose label depends on the candidate movie, so there is something to learn. */
  static List<ReferenceRow> rows(int n, long seed, int userOffset) {
    Random r = new Random(seed);
    List<ReferenceRow> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      int movie = r.nextInt(15);
      int label = r.nextDouble() < (movie < 7 ? 0.8 : 0.2) ? 1 : 0;
      int len = r.nextInt(11);
      List<String> hist = new ArrayList<>();
      List<String> neg = new ArrayList<>();
      for (int t = 0; t < len; t++) {
        hist.add(Integer.toString(r.nextInt(15)));
        neg.add(Integer.toString(100 + r.nextInt(15)));
      }
      out.add(
          new ReferenceRow(
              Integer.toString(userOffset + i), Integer.toString(movie), label == 1 ? 5 : 2,
              1_000_000L + i, hist, neg, r.nextBoolean() ? "M" : "F", 18.0 + r.nextInt(50),
              Integer.toString(r.nextInt(5)), Integer.toString(10000 + r.nextInt(20)),
              "Movie, number " + movie, List.of(movie % 2 == 0 ? "Drama" : "Comedy"), label));
    }
    return out;
  }

  @Test
  void runsEndToEndAndWritesBundleAndPng(@TempDir Path dir) throws Exception {
    Path train = dir.resolve("train.csv");
    Path test = dir.resolve("test.csv");
    ReferenceCsv.write(train, rows(300, 1, 0));
    ReferenceCsv.write(test, rows(100, 2, 1000));
    Path out = dir.resolve("out");
    List<EpochMetrics> seen = new ArrayList<>();
    Experiment.Result r =
        Experiment.run(
            ExperimentOptions.builder()
                .setTrain(train)
                .setTest(test)
                .optSeed(2)
                .optEpochs(2)
                .optOut(out)
                .optProgressBars(false)
                .build(),
            new TrainingListener() {
              @Override
              public void onEpochEnd(EpochMetrics m, boolean improved) {
                seen.add(m);
              }
            });

    assertThat(seen).hasSize(2);
    assertThat(r.fit().epochs()).containsExactlyElementsOf(seen);
    JsonNode summary = new ObjectMapper().readTree(r.summaryJson());
    assertThat(summary.get("epochs").asInt()).isEqualTo(2);
    assertThat(summary.get("best_epoch").asInt()).isBetween(1, 2);
    assertThat(summary.get("best_val_auc").asDouble())
        .isCloseTo(r.fit().bestAuc(), org.assertj.core.data.Offset.offset(1e-6));
    assertThat(summary.get("params").asLong()).isEqualTo(r.fit().parameterCount());
    assertThat(summary.get("variant").asText()).isEqualTo("AUGRU");
    assertThat(summary.get("aux").asBoolean()).isTrue();
    // the label depends on the movie only, so popularity ranks test rows well
    assertThat(summary.get("popularity_auc").asDouble()).isGreaterThan(0.7);
    assertThat(r.summaryJson()).doesNotContain("\n");

    ModelBundle bundle = ModelBundle.load(out.resolve(Experiment.BUNDLE_FILE));
    assertThat(bundle.manifest().metrics().get("auc")).isEqualTo(r.fit().bestAuc());
    assertThat(bundle.manifest().sampleCount()).isEqualTo(300);
    assertThat(bundle.config().evolution().name()).isEqualTo("AUGRU");

    BufferedImage png = ImageIO.read(out.resolve(Experiment.CURVES_FILE).toFile());
    assertThat(png).isNotNull();
    assertThat(png.getWidth()).isGreaterThan(png.getHeight());

    JsonNode result = new ObjectMapper().readTree(out.resolve(Experiment.RESULT_FILE).toFile());
    assertThat(result.get("per_epoch")).hasSize(2);
    assertThat(result.get("per_epoch").get(1).get("val_auc").asDouble())
        .isEqualTo(seen.get(1).validationAuc());
  }

  @Test
  void commandLineOverridesWinOverThePreset(@TempDir Path dir) throws Exception {
    Path train = dir.resolve("train.csv");
    Path test = dir.resolve("test.csv");
    ReferenceCsv.write(train, rows(200, 3, 0));
    ReferenceCsv.write(test, rows(60, 4, 1000));
    Experiment.Result r =
        Experiment.run(
            ExperimentOptions.builder()
                .setTrain(train)
                .setTest(test)
                .optEpochs(1)
                .optPreset(Preset.BEST)
                .optVariant(io.ctrstream.dien.model.DienConfig.Evolution.GRU)
                .optAux(false)
                .optItemTable(io.ctrstream.dien.model.DienConfig.ItemTable.SHARED)
                .build(),
            TrainingListener.NONE);
    assertThat(r.fit().config().evolution().name()).isEqualTo("GRU");
    assertThat(r.fit().config().useNegSampling()).isFalse();
    assertThat(r.fit().config().itemTable().name()).isEqualTo("SHARED");
    // what the best preset sets, and the flags did not touch
    assertThat(r.fit().config().mlpDropout()).isEqualTo(0.5);
    assertThat(r.fit().config().attentionDropout()).isEqualTo(0.3);
    assertThat(r.summary()).containsEntry("item_table", "shared").containsEntry("aux", false);
  }
}
