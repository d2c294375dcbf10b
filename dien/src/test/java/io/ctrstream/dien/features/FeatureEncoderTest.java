package io.ctrstream.dien.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstream.dien.model.DienConfig;
import io.ctrstream.dien.model.DienConfig.ItemTable;
import io.ctrstream.dien.model.EncodedBatch;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Proves the encoder lays rows out as the reference does: own vocabulary per column (or one shared
 * item vocabulary), most recent history kept in time order and padded at the end, negatives
 * aligned with it, genres truncated, unknowns nonzero, cold users all padding, and that the
 * config layout and JSON round trip agree with the encoding.
 */
class FeatureEncoderTest {

  private static FeatureRow row(
      Double age, String gender, String movie, List<String> genres, List<String> hist,
      List<String> neg) {
    return new FeatureRow("u", age, gender, "occ", "zip", movie, genres, hist, neg);
  }

  /** Small fixtures: T = 3, G = 2. */
  private static FeatureEncoder.Options minCount(int m) {
    return FeatureEncoder.Options.builder()
        .optMinCount(m).optHistoryLength(3).optGenresLength(2).build();
  }

  private static List<FeatureRow> training() {
    List<FeatureRow> rows = new ArrayList<>();
    rows.add(row(20.0, "F", "m1", List.of("Drama", "Comedy", "War"),
        List.of("h1", "h2", "h3", "h4", "h5"), List.of("n1", "n2", "n3", "n4", "n5")));
    rows.add(row(30.0, "M", "m2", List.of("Drama"), List.of("h4", "h5"), List.of("n4", "n5")));
    rows.add(row(null, null, "m1", List.of(), List.of(), List.of()));
    return rows;
  }

  @Test
  void keepsMostRecentHistoryInTimeOrderWithAlignedNegatives() {
    FeatureEncoder enc = FeatureEncoder.fit(training(), minCount(1));
    EncodedBatch b = enc.encode(training().subList(0, 1));
    Vocabulary h = enc.vocabulary(FeatureEncoder.HISTORY);
    Vocabulary n = enc.vocabulary(FeatureEncoder.NEGATIVES);
    // history h1..h5 with T = 3 keeps h3, h4, h5 (oldest first); negatives keep n3, n4, n5.
    assertThat(b.history()).containsExactly(h.index("h3"), h.index("h4"), h.index("h5"));
    assertThat(b.negatives()).containsExactly(n.index("n3"), n.index("n4"), n.index("n5"));
    // only the kept window was counted: h1 and h2 never got an index
    assertThat(h.contains("h1")).isFalse();
    assertThat(h.contains("h3")).isTrue();
    // genres: the first G = 2 kept
    Vocabulary g = enc.vocabulary(FeatureEncoder.GENRES);
    assertThat(b.genres()).containsExactly(g.index("Drama"), g.index("Comedy"));
    assertThat(g.contains("War")).isFalse();
  }

  @Test
  void shortSequencesArePaddedAtTheEnd() {
    FeatureEncoder enc = FeatureEncoder.fit(training(), minCount(1));
    EncodedBatch b = enc.encode(training().subList(1, 2));
    Vocabulary h = enc.vocabulary(FeatureEncoder.HISTORY);
    Vocabulary n = enc.vocabulary(FeatureEncoder.NEGATIVES);
    assertThat(b.history()).containsExactly(h.index("h4"), h.index("h5"), 0);
    assertThat(b.negatives()).containsExactly(n.index("n4"), n.index("n5"), 0);
    assertThat(b.genres()).containsExactly(enc.vocabulary(FeatureEncoder.GENRES).index("Drama"), 0);
    assertThat(b.historyLengths()).containsExactly(2);
  }

  @Test
  void coldUserWithMissingProfileEncodesAsPaddingAndUnknowns() {
    FeatureEncoder enc = FeatureEncoder.fit(training(), minCount(1));
    FeatureRow cold =
        new FeatureRow("new-user", null, null, null, null, "never-seen", null, null, null);
    EncodedBatch b = enc.encode(List.of(cold));
    assertThat(b.history()).containsOnly(0);
    assertThat(b.negatives()).containsOnly(0);
    assertThat(b.genres()).containsOnly(0);
    assertThat(b.historyLengths()).containsExactly(0);
    // gender, movieId, occupation, zipCode: every one unknown (the last index, nonzero)
    assertThat(b.categorical())
        .containsExactly(
            enc.vocabulary(FeatureEncoder.GENDER).unknownIndex(),
            enc.vocabulary(FeatureEncoder.MOVIE_ID).unknownIndex(),
            enc.vocabulary(FeatureEncoder.OCCUPATION).unknownIndex(),
            enc.vocabulary(FeatureEncoder.ZIP_CODE).unknownIndex());
    // missing age is imputed with the training mean (20 and 30 present -> 25; the imputed
    // column 20, 25, 30 puts 25 at the median, so 0.5)
    assertThat(b.numeric()).containsExactly(0.5f);
  }

  @Test
  void rareHistoryTermsBecomeUnknownButStillCount() {
    // min count 2: h4 and h5 occur twice in the kept windows, h3 once
    FeatureEncoder enc = FeatureEncoder.fit(training(), minCount(2));
    Vocabulary h = enc.vocabulary(FeatureEncoder.HISTORY);
    assertThat(h.terms()).containsExactlyInAnyOrder("h4", "h5");
    EncodedBatch b = enc.encode(training().subList(0, 1));
    assertThat(b.history()).containsExactly(h.unknownIndex(), h.index("h4"), h.index("h5"));
    assertThat(b.historyLengths()).containsExactly(3);
  }

  @Test
  void everyColumnHasItsOwnVocabulary() {
    // m1 is a candidate twice but never in a history: with min count 2 it has an index in the
    // movieId vocabulary only; h4 (twice in histories) has one in the history vocabulary only.
    FeatureEncoder enc = FeatureEncoder.fit(training(), minCount(2));
    assertThat(enc.vocabulary(FeatureEncoder.MOVIE_ID).terms()).containsExactly("m1");
    assertThat(enc.vocabulary(FeatureEncoder.HISTORY).contains("m1")).isFalse();
    assertThat(enc.vocabulary(FeatureEncoder.MOVIE_ID).contains("h4")).isFalse();
    EncodedBatch b = enc.encode(List.of(row(20.0, "F", "h4", List.of(), List.of("m1"),
        List.of("h4"))));
    assertThat(b.categorical()[1]).isEqualTo(enc.vocabulary(FeatureEncoder.MOVIE_ID).unknownIndex());
    assertThat(b.history()[0]).isEqualTo(enc.vocabulary(FeatureEncoder.HISTORY).unknownIndex());
  }

  @Test
  void sharedItemTableCountsCandidateHistoryAndNegativesTogether() {
    FeatureEncoder.Options shared = FeatureEncoder.Options.builder()
        .optMinCount(2).optHistoryLength(3).optGenresLength(2).optItemTable(ItemTable.SHARED)
        .build();
    FeatureEncoder enc = FeatureEncoder.fit(training(), shared);
    Vocabulary items = enc.vocabulary(FeatureEncoder.MOVIE_ID);
    assertThat(enc.vocabulary(FeatureEncoder.HISTORY)).isSameAs(items);
    assertThat(enc.vocabulary(FeatureEncoder.NEGATIVES)).isSameAs(items);
    // counts over the three columns: m1 2, h4 2, h5 2, n4 2, n5 2; the rest once.
    assertThat(items.terms()).containsExactly("h4", "h5", "m1", "n4", "n5");
    EncodedBatch b = enc.encode(List.of(row(20.0, "F", "h4", List.of(), List.of("h4"),
        List.of("h4"))));
    assertThat(b.categorical()[1]).isEqualTo(items.index("h4"));
    assertThat(b.history()[0]).isEqualTo(items.index("h4"));
    assertThat(b.negatives()[0]).isEqualTo(items.index("h4"));
    DienConfig config = enc.configure(DienConfig.builder()).build();
    assertThat(config.itemTable()).isEqualTo(ItemTable.SHARED);
    assertThat(enc.mismatches(config)).isEmpty();
  }

  @Test
  void missingNegativesArePadding() {
    FeatureEncoder enc = FeatureEncoder.fit(training(), minCount(1));
    EncodedBatch b = enc.encode(List.of(row(20.0, "F", "m1", List.of(), List.of("h4", "h5"),
        List.of("n4"))));
    assertThat(b.negatives())
        .containsExactly(enc.vocabulary(FeatureEncoder.NEGATIVES).index("n4"), 0, 0);
  }

  @Test
  void labeledRowsCarryTheirLabels() {
    FeatureEncoder enc = FeatureEncoder.fit(training(), minCount(1));
    List<LabeledRow> rows = List.of(new LabeledRow(training().get(0), 1, 10L),
        new LabeledRow(training().get(1), 0, 11L));
    EncodedBatch b = enc.encodeLabeled(rows);
    assertThat(b.labels()).containsExactly(1f, 0f);
    assertThat(b.history()).isEqualTo(enc.encode(training().subList(0, 2)).history());
  }

  @Test
  void configLayoutMatchesTheEncoding() {
    FeatureEncoder enc = FeatureEncoder.fit(training(), minCount(1));
    DienConfig config = enc.configure(DienConfig.builder()).build();
    assertThat(config.categoricalFeatures().stream().map(DienConfig.CategoricalFeature::name))
        .containsExactly("gender", "movieId", "occupation", "zipCode");
    assertThat(config.candidateFeature()).isEqualTo("movieId");
    // movieId: pad + m1, m2 + unknown
    assertThat(config.categoricalFeatures().get(1).vocabSize()).isEqualTo(4);
    assertThat(config.history().vocabSize()).isEqualTo(enc.vocabulary("histHighRatedMovieIds").size());
    assertThat(config.history().maxLength()).isEqualTo(3);
    assertThat(config.pooledSequence().maxLength()).isEqualTo(2);
    assertThat(FeatureSpec.of(config)).isEqualTo(enc.spec());
    assertThat(enc.mismatches(config)).isEmpty();
    // a config with another vocabulary size is reported
    DienConfig other = config.toBuilder()
        .setHistory(new DienConfig.SequenceFeature("histHighRatedMovieIds", 99, 3)).build();
    assertThat(enc.mismatches(other)).singleElement().asString()
        .contains("histHighRatedMovieIds").contains("99");
  }

  @Test
  void jsonRoundTripEncodesIdentically() {
    FeatureEncoder enc = FeatureEncoder.fit(training(), minCount(1));
    FeatureEncoder back = FeatureEncoder.fromJson(enc.toJson());
    assertThat(back).isEqualTo(enc);
    EncodedBatch a = enc.encode(training());
    EncodedBatch c = back.encode(training());
    assertThat(c.numeric()).isEqualTo(a.numeric());
    assertThat(c.categorical()).isEqualTo(a.categorical());
    assertThat(c.genres()).isEqualTo(a.genres());
    assertThat(c.history()).isEqualTo(a.history());
    assertThat(c.negatives()).isEqualTo(a.negatives());
  }

  @Test
  void userStatsAreTwoMoreNumericColumnsAfterAge() {
    FeatureEncoder.Options o = FeatureEncoder.Options.builder()
        .optMinCount(1).optHistoryLength(3).optGenresLength(2).optUserStats(true).build();
    FeatureRow base = training().get(0);
    FeatureRow counted = new FeatureRow("u", 20.0, "F", "occ", "zip", "m1", base.genres(),
        base.history(), base.negatives(), 8, 6);
    FeatureRow unknown = training().get(1); // no counts: read as 0 ratings
    FeatureEncoder enc = FeatureEncoder.fit(List.of(counted, unknown), o);
    EncodedBatch b = enc.encode(List.of(counted, unknown));
    assertThat(b.numericWidth()).isEqualTo(3);
    float[] n = b.numeric();
    assertThat(n[1]).isEqualTo(7f / 10f); // (6 + 1) / (8 + 2)
    assertThat(n[2]).isCloseTo((float) (Math.log(9) / Math.log(1001)), org.assertj.core.data.Offset.offset(1e-6f));
    assertThat(n[4]).isEqualTo(0.5f);
    assertThat(n[5]).isZero();
    assertThat(n[0]).isEqualTo(FeatureEncoder.fit(List.of(counted, unknown), minCount(1)).encode(List.of(counted)).numeric()[0]);

    DienConfig config = enc.configure(DienConfig.builder()).build();
    assertThat(config.numericFeatures()).containsExactly("age", "userPositiveRate", "userRatingCount");
    assertThat(enc.spec()).isEqualTo(FeatureSpec.of(config));
    assertThat(enc.spec().hash()).as("a different layout").isNotEqualTo(FeatureEncoder.spec(minCount(1)).hash());
    FeatureEncoder back = FeatureEncoder.fromJson(enc.toJson());
    assertThat(back.options().userStats()).isTrue();
    assertThat(back.encode(List.of(counted)).numeric()).isEqualTo(enc.encode(List.of(counted)).numeric());
  }

  @Test
  void itemStatsAreTheMoviesSmoothedRateLeavingOutEachTrainingRowsOwnLabel() {
    FeatureEncoder.Options o = FeatureEncoder.Options.builder()
        .optMinCount(1).optHistoryLength(3).optGenresLength(2).optItemStats(true).build();
    List<FeatureRow> f = training(); // movies m1, m2, m1
    List<LabeledRow> rows = List.of(new LabeledRow(f.get(0), 1, 1L), new LabeledRow(f.get(1), 0, 2L),
        new LabeledRow(f.get(2), 1, 3L));
    assertThatThrownBy(() -> FeatureEncoder.fit(f, o)).hasMessageContaining("labels");
    FeatureEncoder enc = FeatureEncoder.fitLabeled(rows, o);
    assertThat(o.numeric()).containsExactly("age", "moviePositiveRate", "movieRatingCount");
    double prior = 2.0 / 3;
    double k = FeatureEncoder.MOVIE_RATE_PSEUDO_COUNT;
    // serving and evaluation: every training row counts
    float[] served = enc.encode(List.of(f.get(0))).numeric();
    assertThat(served[1]).isCloseTo((float) ((2 + k * prior) / (2 + k)), org.assertj.core.data.Offset.offset(1e-6f));
    assertThat(served[2]).isCloseTo((float) (Math.log(3) / Math.log(1001)), org.assertj.core.data.Offset.offset(1e-6f));
    // training: row 0 (m1, label 1) sees m1's other row only
    float[] trained = enc.encodeTraining(rows).numeric();
    assertThat(trained[1]).isCloseTo((float) ((1 + k * prior) / (1 + k)), org.assertj.core.data.Offset.offset(1e-6f));
    assertThat(trained[4]).as("m2's only row sees no row: the prior")
        .isCloseTo((float) prior, org.assertj.core.data.Offset.offset(1e-6f));
    // an unknown movie gets the prior and a count of 0
    float[] unknown = enc.encode(List.of(new FeatureRow("u", 20.0, "F", "occ", "zip", "zz", List.of(),
        List.of(), List.of()))).numeric();
    assertThat(unknown[1]).isCloseTo((float) prior, org.assertj.core.data.Offset.offset(1e-6f));
    assertThat(unknown[2]).isZero();
    FeatureEncoder back = FeatureEncoder.fromJson(enc.toJson());
    assertThat(back).isEqualTo(enc);
    assertThat(back.encode(List.of(f.get(0))).numeric()).isEqualTo(served);
    assertThat(enc.configure(io.ctrstream.dien.model.DienConfig.builder()).build().numericFeatures())
        .containsExactlyElementsOf(o.numeric());
  }

  @Test
  void rejectsUnusableInput() {
    assertThatThrownBy(() -> FeatureEncoder.fit(List.of(), minCount(1)))
        .hasMessageContaining("0 rows");
    FeatureEncoder enc = FeatureEncoder.fit(training(), minCount(1));
    assertThatThrownBy(() -> enc.encode(List.of())).hasMessageContaining("empty batch");
    assertThatThrownBy(() -> FeatureEncoder.fromJson("{".getBytes()))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void specHashIsStableAndSensitive() {
    FeatureEncoder enc = FeatureEncoder.fit(training(), minCount(1));
    FeatureSpec spec = enc.spec();
    // what a scorer can compute up front from the options alone
    assertThat(FeatureEncoder.spec(minCount(3))).isEqualTo(spec);
    assertThat(spec.hash()).hasSize(64).isEqualTo(FeatureEncoder.fromJson(enc.toJson()).spec().hash());
    // canonical form: properties sorted by name, so the hash does not depend on field order
    assertThat(spec.canonicalJson()).startsWith("{\"candidate\":\"movieId\",\"categorical\":");
    FeatureSpec longer = FeatureEncoder.fit(training(), FeatureEncoder.Options.builder()
        .optMinCount(1).optHistoryLength(4).optGenresLength(2).build()).spec();
    assertThat(longer.hash()).isNotEqualTo(spec.hash());
  }

  @Test
  void historyAffinityMatchesTheCandidatesGenresWithTheHistorysAfterTheUserCounts() {
    FeatureEncoder.Options o = FeatureEncoder.Options.builder()
        .optMinCount(1).optHistoryLength(3).optGenresLength(2).optUserStats(true)
        .optHistoryAffinity(true).optItemStats(true).build();
    assertThat(o.numeric()).containsExactly("age", "userPositiveRate", "userRatingCount",
        "historyGenreAffinity", "moviePositiveRate", "movieRatingCount");
    // The table: a = Drama + Comedy, b = Horror, c = Comedy (as candidates; the last row wins).
    List<FeatureRow> fit = List.of(
        row(20.0, "F", "a", List.of("Drama", "Comedy"), List.of(), List.of()),
        row(30.0, "M", "b", List.of("Western"), List.of("a"), List.of()),
        row(30.0, "M", "b", List.of("Horror", "Horror"), List.of("a"), List.of()),
        row(40.0, "M", "c", List.of("Comedy"), List.of("a", "b"), List.of()));
    FeatureEncoder enc = FeatureEncoder.fitLabeled(
        fit.stream().map(r -> new LabeledRow(r, 1, 0L)).toList(), o);

    // History a, b, x (x unknown: left out). Taste: Drama 1/4, Comedy 1/4, Horror 1/2.
    // Candidate Comedy + Horror (each 1/2): 1/2 * 1/4 + 1/2 * 1/2 = 0.375.
    float[] n = affinityOf(enc, List.of("Comedy", "Horror", "Horror"), List.of("a", "b", "x"));
    assertThat(n[3]).isCloseTo(0.375f, org.assertj.core.data.Offset.offset(1e-6f));
    // Only the last T = 3 history items count: z (unknown) a b c -> a, b, c.
    // Taste: Drama 1/6, Comedy 1/6 + 1/3, Horror 1/3; candidate Comedy: 0.5.
    assertThat(affinityOf(enc, List.of("Comedy"), List.of("b", "a", "b", "c"))[3])
        .isCloseTo(0.5f, org.assertj.core.data.Offset.offset(1e-6f));
    // 0 for a cold user, a history of unknown movies, a candidate without genres
    assertThat(affinityOf(enc, List.of("Comedy"), List.of())[3]).isZero();
    assertThat(affinityOf(enc, List.of("Comedy"), List.of("x", "y"))[3]).isZero();
    assertThat(affinityOf(enc, List.of(), List.of("a"))[3]).isZero();
    // the movie statistics stay the last two columns
    assertThat(affinityOf(enc, List.of("Comedy"), List.of("a"))[5])
        .isCloseTo((float) (Math.log(2) / Math.log(1001)), org.assertj.core.data.Offset.offset(1e-6f));

    // the table travels in the bundle's JSON, sorted (same table, same bytes)
    FeatureEncoder back = FeatureEncoder.fromJson(enc.toJson());
    assertThat(back).isEqualTo(enc);
    assertThat(back.toJson()).isEqualTo(enc.toJson());
    assertThat(affinityOf(back, List.of("Comedy", "Horror"), List.of("a", "b", "x")))
        .containsExactly(affinityOf(enc, List.of("Comedy", "Horror"), List.of("a", "b", "x")));
    assertThat(enc.configure(DienConfig.builder()).build().numericFeatures())
        .containsExactlyElementsOf(o.numeric());
    assertThat(enc.spec().hash()).isNotEqualTo(FeatureEncoder.spec(FeatureEncoder.Options.builder()
        .optMinCount(1).optHistoryLength(3).optGenresLength(2).optUserStats(true)
        .optItemStats(true).build()).hash());
  }

  private static float[] affinityOf(FeatureEncoder enc, List<String> genres, List<String> history) {
    return enc.encode(List.of(row(25.0, "F", "c", genres, history, List.of()))).numeric();
  }
}
