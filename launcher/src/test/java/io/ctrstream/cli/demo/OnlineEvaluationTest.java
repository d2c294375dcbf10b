package io.ctrstream.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.ctrstream.cli.demo.StreamWatcher.Served;
import io.ctrstream.trainer.movielens.Rating;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the demo's AUCs on hand-made streams: grouping by served model version (organic feedback
 * left out), the AUC after the first release, the online popularity baseline using only ratings
 * before each one, and the oracle read from truth.tsv.
 */
class OnlineEvaluationTest {

  private static Served served(long t, int label, double score, String version) {
    return new Served("imp-" + t, "u" + t, "m" + t, t, label, score, version);
  }

  private static Served organic(long t, int label) {
    return new Served(null, "u" + t, "m" + t, t, label, Double.NaN, null);
  }

  @Test
  void groupsServedScoresByVersionAndLeavesOrganicOut() {
    List<Served> feedback = List.of(
        served(1, 1, 0.5, "prior"), served(2, 0, 0.5, "prior"),
        served(3, 1, 0.9, "v1-a"), served(4, 0, 0.2, "v1-a"), served(5, 1, 0.1, "v1-a"),
        served(6, 0, 0.3, "v2-b"), served(7, 1, 0.8, "v2-b"),
        organic(8, 1), organic(9, 0));

    Map<String, Double> auc = OnlineEvaluation.aucByVersion(feedback);

    assertThat(auc.keySet()).containsExactly("prior", "v1-a", "v2-b");
    assertThat(auc.get("prior")).isEqualTo(0.5); // a constant score ranks nothing
    // v1: positives 0.9, 0.1 against negative 0.2: one of two pairs right
    assertThat(auc.get("v1-a")).isEqualTo(0.5);
    assertThat(auc.get("v2-b")).isEqualTo(1.0);
    assertThat(OnlineEvaluation.countByVersion(feedback))
        .containsExactly(Map.entry("prior", 2L), Map.entry("v1-a", 3L), Map.entry("v2-b", 2L));
    // v1 and v2 together: positives 0.9, 0.1, 0.8; negatives 0.2, 0.3 -> 4 of 6 pairs right
    assertThat(OnlineEvaluation.aucAfterFirstRelease(feedback)).isCloseTo(4.0 / 6, within(1e-9));
  }

  @Test
  void popularityScoresEachRatingFromTheRatingsBeforeIt() {
    // A is always liked, B never. Scores (k = 10, prior = positive rate so far, 0.5 at first):
    // A: 0.5; B: (0 + 10 * 1) / 10 = 1.0; A: (1 + 10 * 0.5) / 11 = 0.545; B: (0 + 10 * 2/3) / 11
    // = 0.606. Every negative outranks every positive: AUC 0. A baseline that peeked at the
    // current label would rank them perfectly instead.
    List<Rating> events = List.of(new Rating(1, 100, 5, 1), new Rating(2, 200, 1, 2),
        new Rating(3, 100, 4, 3), new Rating(4, 200, 2, 4));
    assertThat(OnlineEvaluation.popularityAuc(events, 10)).isEqualTo(0.0);

    // on a long stream the history dominates the prior and popularity ranks well
    List<Rating> longStream = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      longStream.add(new Rating(i, i % 2 == 0 ? 100 : 200, i % 2 == 0 ? 5 : 1, i));
    }
    assertThat(OnlineEvaluation.popularityAuc(longStream, 10)).isGreaterThan(0.95);

    // after the first release: counts from the whole stream, AUC only on what a released model
    // served. The early (wrong) rankings are left out, the later (right) ones count.
    List<Served> served = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      Rating r = longStream.get(i);
      served.add(new Served("imp-" + r.userId() + "-" + r.movieId() + "-" + r.timestamp() * 1000L,
          Integer.toString(r.userId()), Integer.toString(r.movieId()), r.timestamp(),
          OnlineEvaluation.label(r), 0.5, i < 100 ? "prior" : "v1"));
    }
    assertThat(OnlineEvaluation.popularityAucAfterFirstRelease(longStream, served, 10)).isEqualTo(1.0);

    // over time: the baseline on the same ratings, slice by slice, beside each version
    List<OnlineEvaluation.Point> points = OnlineEvaluation.overTime(served, 4,
        OnlineEvaluation.popularityByImpression(longStream, 10));
    assertThat(points).filteredOn(p -> p.version().equals(OnlineEvaluation.POPULARITY_SERIES))
        .hasSize(4).allMatch(p -> p.count() == 50)
        .last().extracting(OnlineEvaluation.Point::auc).isEqualTo(1.0);
    assertThat(points).filteredOn(p -> p.version().equals("v1")).hasSize(2);
    assertThat(OnlineEvaluation.popularityAucAfterFirstRelease(longStream.subList(0, 4),
        served.subList(0, 4), 10)).as("nothing served by a release").isNaN();
  }

  @Test
  void oracleReadsTruthAndIsAbsentWithoutIt(@TempDir Path dir) throws IOException {
    List<Rating> events = List.of(new Rating(1, 10, 5, 100), new Rating(2, 20, 2, 200),
        new Rating(3, 30, 4, 300));
    assertThat(OnlineEvaluation.oracleAuc(dir, events)).isEmpty();

    Files.writeString(dir.resolve("truth.tsv"),
        "user\tmovie\ttimestamp\tp_high\n1\t10\t100\t0.9\n2\t20\t200\t0.6\n3\t30\t300\t0.4\n");
    // positives 0.9 and 0.4 against negative 0.6: one of two pairs right
    assertThat(OnlineEvaluation.oracleAuc(dir, events)).contains(0.5);
  }

  @Test
  void baselinesScoreEachRatingFromTheRatingsBeforeItAndAddMovieAndUserAsLogits() {
    // user 1 likes everything, user 2 nothing; movie 100 is liked, 200 not. k = 10.
    List<Rating> events = List.of(new Rating(1, 100, 5, 1), new Rating(2, 200, 1, 2),
        new Rating(1, 200, 4, 3), new Rating(2, 100, 2, 4));
    var scores = OnlineEvaluation.baselineScores(events, 10);
    assertThat(scores.keySet()).containsExactly(OnlineEvaluation.POPULARITY,
        OnlineEvaluation.USER_RATE, OnlineEvaluation.MOVIE_USER);
    // third rating: prior 1/2; movie 200 had (0 of 1): (0 + 5) / 11; user 1 had (1 of 1): 6 / 11
    double pm = 5.0 / 11;
    double pu = 6.0 / 11;
    assertThat((double) scores.get(OnlineEvaluation.POPULARITY)[2]).isCloseTo(pm, within(1e-6));
    assertThat((double) scores.get(OnlineEvaluation.USER_RATE)[2]).isCloseTo(pu, within(1e-6));
    double z = Math.log(pm / (1 - pm)) + Math.log(pu / (1 - pu)) - 0;
    assertThat((double) scores.get(OnlineEvaluation.MOVIE_USER)[2])
        .isCloseTo(1 / (1 + Math.exp(-z)), within(1e-6));

    // on the ratings a release served only, and the served scores' calibration
    List<Rating> stream = new ArrayList<>();
    List<Served> served = new ArrayList<>();
    for (int i = 0; i < 400; i++) {
      Rating r = new Rating(i % 2, i % 3 == 0 ? 100 : 200, i % 2 == 0 ? 5 : 1, i);
      stream.add(r);
      served.add(new Served("imp-" + r.userId() + "-" + r.movieId() + "-" + r.timestamp() * 1000L,
          Integer.toString(r.userId()), Integer.toString(r.movieId()), r.timestamp(),
          OnlineEvaluation.label(r), r.userId() == 0 ? 0.95 : 0.05, i < 100 ? "prior" : "v1"));
    }
    var baselines = OnlineEvaluation.baselinesAfterFirstRelease(stream, served, 10);
    assertThat(baselines.get(OnlineEvaluation.USER_RATE)).isEqualTo(1.0);
    assertThat(baselines.get(OnlineEvaluation.MOVIE_USER)).isEqualTo(1.0);
    assertThat(baselines.get(OnlineEvaluation.POPULARITY)).isLessThan(0.7);
    // v1 served 0.95 to a user whose ratings are all high and 0.05 to one with none: ECE 0.05
    assertThat(OnlineEvaluation.eceAfterFirstRelease(served)).isCloseTo(0.05, within(1e-6));
    assertThat(OnlineEvaluation.loglossAfterFirstRelease(served))
        .isCloseTo(-Math.log(0.95), within(1e-6));
    assertThat(OnlineEvaluation.eceByVersion(served)).containsKeys("prior", "v1");
    assertThat(OnlineEvaluation.reliabilityAfterFirstRelease(served)[9][0]).isEqualTo(150);
  }
}
