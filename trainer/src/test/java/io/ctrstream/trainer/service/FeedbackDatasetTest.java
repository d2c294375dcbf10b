package io.ctrstream.trainer.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.features.LabeledRow;
import io.ctrstream.dien.features.UserGenreStats;
import io.ctrstream.schemas.Feedback;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.Profile;
import io.ctrstream.schemas.UserGenre;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Proves that a feedback example becomes exactly the row that was served (profile fields, age as a
 * double, genres, history and aligned negatives untouched, the label and event time), for a cold
 * user with an empty history, a user with unknown attributes, a movie missing from the catalog, and
 * both organic and impression-joined examples (after a JSON round trip, as read from the topic);
 * the served movie counts and user-genre statistics reach the row, null for records without them;
 * and that the time split puts the newest share, ties at the boundary included, into validation.
 */
class FeedbackDatasetTest {

  private static final JsonSerde<Feedback> SERDE = JsonSerde.of(Feedback.class);

  @Test
  void rowIsTheServedFeaturesUntouched() {
    Feedback f =
        SERDE.fromJson(
            SERDE.toJson(
                new Feedback(
                    "u1",
                    "m7",
                    1,
                    4.5,
                    1_000L,
                    new Profile("F", 31, "writer", "94043"),
                    List.of("Drama", "War"),
                    List.of("m1", "m2", "m3"),
                    List.of("m9", "", "m8"),
                    12,
                    9,
                    0.73,
                    "v4-20260101T000000Z",
                    "imp-1",
                    Feedback.Source.IMPRESSION)));

    LabeledRow row = FeedbackDataset.toRow(f);

    assertThat(row.label()).isEqualTo(1);
    assertThat(row.timestamp()).isEqualTo(1_000L);
    assertThat(row.features())
        .isEqualTo(
            new FeatureRow(
                "u1",
                31.0,
                "F",
                "writer",
                "94043",
                "m7",
                List.of("Drama", "War"),
                List.of("m1", "m2", "m3"),
                List.of("m9", "", "m8"),
                12,
                9));
  }

  @Test
  void servedMovieCountsAndUserGenreStatsReachTheRowAndOldRecordsReadAsUnknown() {
    Feedback f =
        SERDE.fromJson(
            SERDE.toJson(
                new Feedback("u1", "m7", 0, 2.0, 1_000L, Profile.UNKNOWN, List.of("Drama"),
                    List.of(), List.of(), 3, 1, 452, 321,
                    new UserGenre(0.64, 1.04, 2.44, 0.9025, 1.3775, 2.8525),
                    null, null, null, Feedback.Source.ORGANIC)));

    FeatureRow row = FeedbackDataset.toRow(f).features();

    assertThat(row.movieRatings()).isEqualTo(452);
    assertThat(row.moviePositives()).isEqualTo(321);
    assertThat(row.userGenre())
        .isEqualTo(new UserGenreStats(0.64, 1.04, 2.44, 0.9025, 1.3775, 2.8525));

    // a record written before these were served: no such fields, so unknown
    Feedback old = SERDE.fromJson("{\"userId\":\"u1\",\"movieId\":\"m7\",\"label\":0,"
        + "\"rating\":2,\"timestamp\":1000,\"profile\":{},\"genres\":[],\"history\":[],"
        + "\"negatives\":[],\"source\":\"organic\"}");
    FeatureRow oldRow = FeedbackDataset.toRow(old).features();
    assertThat(oldRow.movieRatings()).isNull();
    assertThat(oldRow.moviePositives()).isNull();
    assertThat(oldRow.userGenre()).isNull();
  }

  @Test
  void coldUserUnknownProfileAndUnknownMovieStayAsServed() {
    // a user never seen (no profile attributes, no history) rating a movie not in the catalog
    Feedback f =
        FeedbackFixtures.organic(
            "new-user", "not-in-catalog", 0, 5L, Profile.UNKNOWN, List.of(), List.of(), List.of());

    FeatureRow row = FeedbackDataset.toRow(f).features();

    assertThat(row.age()).isNull();
    assertThat(row.gender()).isNull();
    assertThat(row.occupation()).isNull();
    assertThat(row.zipCode()).isNull();
    assertThat(row.movieId()).isEqualTo("not-in-catalog");
    assertThat(row.genres()).isEmpty();
    assertThat(row.history()).isEmpty();
    assertThat(row.negatives()).isEmpty();
  }

  @Test
  void countsSourcesAndSortsByEventTime() {
    List<Feedback> in =
        List.of(
            FeedbackFixtures.served("a", "m1", 1, 300L, 0.9, "v1"),
            FeedbackFixtures.organic(
                "b", "m2", 0, 100L, Profile.UNKNOWN, List.of(), List.of(), List.of()),
            FeedbackFixtures.served("c", "m3", 0, 200L, 0.2, "v1"));

    FeedbackDataset data = FeedbackDataset.of(in);

    assertThat(data.size()).isEqualTo(3);
    assertThat(data.organic()).isEqualTo(1);
    assertThat(data.impressionJoined()).isEqualTo(2);
    assertThat(data.rows()).extracting(LabeledRow::timestamp).containsExactly(100L, 200L, 300L);
    assertThat(data.rows()).extracting(r -> r.features().userId()).containsExactly("b", "c", "a");
    assertThat(FeedbackDataset.positiveRate(data.rows())).isEqualTo(1.0 / 3);
  }

  @Test
  void clickAndNonClickExamplesAreTrainedOnWithTheirLabels() {
    Feedback click = SERDE.fromJson("{\"userId\":\"u1\",\"movieId\":\"m1\",\"label\":1,"
        + "\"timestamp\":500,\"profile\":{},\"genres\":[\"Drama\"],\"history\":[\"m9\"],"
        + "\"negatives\":[\"m8\"],\"servedScore\":0.7,\"modelVersion\":\"v1\","
        + "\"impressionId\":\"i1\",\"source\":\"click\"}");
    Feedback nonClick = SERDE.fromJson("{\"userId\":\"u1\",\"movieId\":\"m2\",\"label\":0,"
        + "\"timestamp\":400,\"profile\":{},\"genres\":[],\"history\":[],\"negatives\":[],"
        + "\"servedScore\":0.2,\"modelVersion\":\"v1\",\"impressionId\":\"i2\","
        + "\"source\":\"non_click\"}");
    FeedbackDataset data = FeedbackDataset.of(List.of(click, nonClick,
        FeedbackFixtures.served("a", "m1", 1, 300L, 0.9, "v1")));

    assertThat(data.size()).isEqualTo(3);
    assertThat(data.organic()).isZero();
    assertThat(data.rows()).extracting(LabeledRow::label).containsExactly(1, 0, 1);
    assertThat(data.rows().get(2).features().history()).containsExactly("m9");
    assertThat(data.rows().get(2).features().genres()).containsExactly("Drama");
  }

  @Test
  void newestShareValidatesAndNoTrainingRowIsNewer() {
    List<Feedback> in = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      in.add(FeedbackFixtures.served("u" + i, "m", i % 2, 1_000L + i, 0.5, "v1"));
    }

    FeedbackDataset.Split split = FeedbackDataset.of(in).split(0.2);

    assertThat(split.train())
        .extracting(LabeledRow::timestamp)
        .containsExactly(1000L, 1001L, 1002L, 1003L, 1004L, 1005L, 1006L, 1007L);
    assertThat(split.validation()).extracting(LabeledRow::timestamp).containsExactly(1008L, 1009L);
    assertThat(split.boundary()).isEqualTo(1008L);
  }

  @Test
  void tiesAtTheBoundaryAllGoToValidation() {
    List<Feedback> in = new ArrayList<>();
    long[] times = {1, 2, 3, 4, 5, 6, 7, 7, 7, 8};
    for (int i = 0; i < times.length; i++) {
      in.add(FeedbackFixtures.served("u" + i, "m", i % 2, times[i], 0.5, "v1"));
    }

    FeedbackDataset.Split split = FeedbackDataset.of(in).split(0.2);

    // 20% of 10 is 2 rows (7 and 8), but two more rows share time 7
    assertThat(split.validation())
        .extracting(LabeledRow::timestamp)
        .containsExactly(7L, 7L, 7L, 8L);
    assertThat(split.train()).hasSize(6);
    assertThat(split.train()).allMatch(r -> r.timestamp() < split.boundary());
  }

  @Test
  void classesAndBadFractionsAreReported() {
    List<LabeledRow> ones =
        FeedbackDataset.of(
                List.of(
                    FeedbackFixtures.served("a", "m", 1, 1L, 0.5, "v1"),
                    FeedbackFixtures.served("b", "m", 1, 2L, 0.5, "v1")))
            .rows();
    assertThat(FeedbackDataset.hasBothClasses(ones)).isFalse();
    assertThat(
            FeedbackDataset.hasBothClasses(
                FeedbackDataset.of(
                        List.of(
                            FeedbackFixtures.served("a", "m", 1, 1L, 0.5, "v1"),
                            FeedbackFixtures.served("b", "m", 0, 2L, 0.5, "v1")))
                    .rows()))
        .isTrue();
    assertThatThrownBy(() -> FeedbackDataset.of(List.of()).split(0.2))
        .hasMessageContaining("at least 2 examples");
    assertThatThrownBy(() -> FeedbackDataset.of(List.of()).split(1.0))
        .hasMessageContaining("validationFraction must be in (0, 1)");
  }
}
