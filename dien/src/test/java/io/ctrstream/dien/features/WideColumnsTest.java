package io.ctrstream.dien.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.ctrstream.dien.model.DienConfig;
import io.ctrstream.dien.model.EncodedBatch;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The wide columns of {@link FeatureEncoder} by hand: served movie counts win over the training
 * rows' (which leave the row's own label out), the user's rate is smoothed towards the overall
 * rate, the genre rates towards the user's, the genre shares are log ratios against each genre's
 * share of the training rows; a config built from the encoder declares them as its wide part.
 */
class WideColumnsTest {

  private static final double K = FeatureEncoder.MOVIE_RATE_PSEUDO_COUNT;

  private static FeatureRow row(String movie, List<String> genres, Integer movieRatings,
      Integer moviePositives, Integer userRatings, Integer userPositives, UserGenreStats g) {
    return new FeatureRow("u", 30.0, "F", "writer", "1", movie, genres, List.of(), List.of(),
        userRatings, userPositives, movieRatings, moviePositives, g);
  }

  private static double logit(double p) {
    return Math.log(p / (1 - p));
  }

  @Test
  void wideColumnsByHand() {
    // four training rows: movie a (Drama) twice, b (Comedy, Drama) twice; labels 1, 0, 1, 1
    List<LabeledRow> train = List.of(
        new LabeledRow(row("a", List.of("Drama"), null, null, 0, 0, null), 1, 1),
        new LabeledRow(row("a", List.of("Drama"), null, null, 1, 1, null), 0, 2),
        new LabeledRow(row("b", List.of("Comedy", "Drama"), null, null, 2, 1, null), 1, 3),
        new LabeledRow(row("b", List.of("Comedy", "Drama"), null, null, 3, 2, null), 1, 4));
    FeatureEncoder enc = FeatureEncoder.fitLabeled(train,
        FeatureEncoder.Options.builder().optUserStats(true).optWide(true).build());
    List<String> numeric = enc.options().numeric();
    assertThat(numeric.subList(numeric.size() - 8, numeric.size())).isEqualTo(FeatureEncoder.WIDE);
    DienConfig config = enc.configure(DienConfig.builder()).build();
    assertThat(config.wideFeatures()).isEqualTo(FeatureEncoder.WIDE);

    double prior = 0.75;
    UserGenreStats g = new UserGenreStats(1.5, 2.0, 4.0, 3.0, 5.0, 10.0);
    FeatureRow served = row("a", List.of("Comedy", "Drama"), 7, 5, 4, 1, g);
    EncodedBatch b = enc.encode(List.of(served));
    int w = b.numericWidth() - 8;
    float[] x = b.numeric();
    assertThat((double) x[w]).isCloseTo(logit((5 + K * prior) / (7 + K)), within(1e-5));
    assertThat((double) x[w + 1]).isCloseTo(Math.log1p(7) / Math.log(1001), within(1e-6));
    double userRate = (1 + K * prior) / (4 + K);
    assertThat((double) x[w + 2]).isCloseTo(logit(userRate), within(1e-5));
    assertThat((double) x[w + 3]).isCloseTo(Math.log1p(4) / Math.log(1001), within(1e-6));
    assertThat((double) x[w + 4]).isCloseTo(logit((1.5 + 2 * userRate) / (2.0 + 2)), within(1e-5));
    assertThat((double) x[w + 5]).isCloseTo(logit((3.0 + 2 * userRate) / (5.0 + 2)), within(1e-5));
    // Comedy is on 2 of 4 training rows, Drama on 4 of 4: the candidate's base share 0.75
    double base = (0.5 + 1.0) / 2;
    assertThat((double) x[w + 6]).isCloseTo(Math.log((2.0 + base) / (4.0 + 1) / base), within(1e-5));
    assertThat((double) x[w + 7]).isCloseTo(Math.log((5.0 + base) / (10.0 + 1) / base), within(1e-5));

    // without served counts the training rows' are used, leaving out the row's own label
    EncodedBatch t = enc.encodeTraining(train.subList(0, 1));
    double movieRate = (1 - 1 + K * prior) / (2 - 1 + K);
    assertThat((double) t.numeric()[w]).isCloseTo(logit(movieRate), within(1e-5));
    // no genre statistics: the genre rates fall back to the user's, the shares to 0
    assertThat(t.numeric()[w + 4]).isEqualTo(t.numeric()[w + 2]);
    assertThat(t.numeric()[w + 6]).isZero();
  }

  @Test
  void theEncoderKeepsItsGenreSharesThroughJson() {
    List<LabeledRow> train = List.of(
        new LabeledRow(row("a", List.of("Drama"), 1, 1, 0, 0, null), 1, 1),
        new LabeledRow(row("b", List.of("Comedy"), 0, 0, 0, 0, null), 0, 2));
    FeatureEncoder enc = FeatureEncoder.fitLabeled(train,
        FeatureEncoder.Options.builder().optWide(true).build());
    FeatureEncoder back = FeatureEncoder.fromJson(enc.toJson());
    assertThat(back).isEqualTo(enc);
    FeatureRow r = row("a", List.of("Drama"), 3, 2, 5, 3, new UserGenreStats(1, 2, 3, 1, 2, 3));
    assertThat(back.encode(List.of(r)).numeric()).containsExactly(enc.encode(List.of(r)).numeric());
  }
}
