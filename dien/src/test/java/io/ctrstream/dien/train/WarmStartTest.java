package io.ctrstream.dien.train;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.features.LabeledRow;
import io.ctrstream.dien.model.DienConfig;
import io.ctrstream.dien.model.DienNetwork;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A warm start carries the live model's embedding rows over by id across a change of
 * vocabulary (a known id keeps its row, a new id its fresh one), copies every other parameter of
 * the same shape, and a fitter started warm begins where the live model left off.
 */
class WarmStartTest {

  private static List<LabeledRow> rows(int n, int movies, long seed) {
    Random r = new Random(seed);
    List<LabeledRow> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String movie = "m" + r.nextInt(movies);
      List<String> hist = List.of("m" + r.nextInt(movies), "m" + r.nextInt(movies));
      out.add(new LabeledRow(new FeatureRow("u" + (i % 9), 20.0 + i % 30, i % 2 == 0 ? "F" : "M",
          "writer", "z" + (i % 3), movie, List.of("Drama"), hist, List.of("m1", "m2"), i % 7, i % 3,
          i % 11, i % 5, null), r.nextInt(2), i));
    }
    return out;
  }

  @Test
  void embeddingRowsFollowTheirIdsAndTheRestIsCopied() throws Exception {
    FeatureEncoder.Options options = FeatureEncoder.Options.builder().optMinCount(1)
        .optUserStats(true).optWide(true).build();
    List<LabeledRow> oldRows = rows(200, 10, 1);
    FitResult live = DienFitter.builder().optEncoder(options)
        .optTrainOptions(TrainOptions.builder().optMaxEpochs(1).build()).build()
        .fit(oldRows, oldRows.subList(0, 40));
    ModelBundle liveBundle = live.bundle();

    // the new window knows ids 0..14: five new movies
    List<LabeledRow> newRows = rows(200, 15, 2);
    FeatureEncoder enc = FeatureEncoder.fitLabeled(newRows, options);
    DienConfig config = enc.configure(DienConfig.builder()).build();
    try (DienNetwork fresh = DienNetwork.create(config, 3);
        DienNetwork old = liveBundle.newNetwork()) {
      float[] freshMovies = fresh.parameterValues("embedding:movieId.weight");
      String account = WarmStart.apply(fresh, enc, liveBundle);
      assertThat(account).contains("parameters carried over");
      int e = config.embeddingSize();
      float[] now = fresh.parameterValues("embedding:movieId.weight");
      float[] before = old.parameterValues("embedding:movieId.weight");
      var newVocab = enc.vocabularies().get("movieId");
      var oldVocab = liveBundle.encoder().vocabularies().get("movieId");
      int carried = 0;
      int kept = 0;
      for (int i = 1; i < newVocab.size(); i++) {
        String term = newVocab.term(i);
        float[] row = Arrays.copyOfRange(now, i * e, (i + 1) * e);
        if (oldVocab.contains(term) && oldVocab.index(term) != oldVocab.unknownIndex()) {
          int j = oldVocab.index(term);
          assertThat(row).as(term).containsExactly(Arrays.copyOfRange(before, j * e, (j + 1) * e));
          carried++;
        } else if (!term.equals("__UNKNOWN__")) {
          assertThat(row).as(term).containsExactly(Arrays.copyOfRange(freshMovies, i * e, (i + 1) * e));
          kept++;
        }
      }
      assertThat(carried).isEqualTo(10);
      assertThat(kept).isEqualTo(5);
      assertThat(fresh.parameterValues("wide.weight"))
          .containsExactly(old.parameterValues("wide.weight"));
      assertThat(fresh.parameterValues("final_layer.weight"))
          .containsExactly(old.parameterValues("final_layer.weight"));
    }

    // a fitter started warm: its first epoch starts from the live weights, not from scratch
    FitResult warm = DienFitter.builder().optEncoder(options).optWarmStart(liveBundle)
        .optTrainOptions(TrainOptions.builder().optMaxEpochs(1).build()).build()
        .fit(newRows, newRows.subList(0, 40));
    assertThat(warm.bundle().config().wideFeatures()).isEqualTo(FeatureEncoder.WIDE);
  }
}
