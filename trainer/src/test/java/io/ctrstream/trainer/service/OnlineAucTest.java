package io.ctrstream.trainer.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.ctrstream.schemas.Feedback;
import io.ctrstream.schemas.Profile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the online AUC from served scores: per version (a version that ranks every positive above
 * every negative gets 1, one that ranks them backwards 0, a mixed one its hand-computed value), per
 * time bucket, organic examples ignored, a one-class bucket NaN and left out of the chart, and that
 * the chart is a PNG (none when nothing is defined).
 */
class OnlineAucTest {

  @TempDir Path dir;

  @Test
  void aucPerVersionAndBucketFromServedScores() throws Exception {
    List<Feedback> f = new ArrayList<>();
    // bucket 1 (t 0..9): v1 perfect, v2 backwards
    f.add(FeedbackFixtures.served("a", "m", 1, 0, 0.9, "v1"));
    f.add(FeedbackFixtures.served("b", "m", 0, 1, 0.1, "v1"));
    f.add(FeedbackFixtures.served("c", "m", 1, 2, 0.2, "v2"));
    f.add(FeedbackFixtures.served("d", "m", 0, 3, 0.8, "v2"));
    // bucket 2 (t 10..19): v1 mixed: positives 0.6, 0.3; negatives 0.4 -> pairs won 1 of 2
    f.add(FeedbackFixtures.served("e", "m", 1, 15, 0.6, "v1"));
    f.add(FeedbackFixtures.served("g", "m", 1, 16, 0.3, "v1"));
    f.add(FeedbackFixtures.served("h", "m", 0, 17, 0.4, "v1"));
    // bucket 2: v2 one class only
    f.add(FeedbackFixtures.served("i", "m", 1, 19, 0.5, "v2"));
    // organic: no served score, ignored
    f.add(
        FeedbackFixtures.organic("j", "m", 0, 5, Profile.UNKNOWN, List.of(), List.of(), List.of()));

    OnlineAuc online = OnlineAuc.compute(f, 2);

    assertThat(online.bucketMillis()).isEqualTo(10);
    assertThat(online.countByVersion()).containsEntry("v1", 5L).containsEntry("v2", 3L);
    // v1 overall: positives 0.9, 0.6, 0.3; negatives 0.1, 0.4 -> 5 of 6 pairs
    assertThat(online.byVersion().get("v1")).isCloseTo(5.0 / 6, within(1e-9));
    // v2 overall: positives 0.2, 0.5; negative 0.8 -> 0 of 2 pairs
    assertThat(online.byVersion().get("v2")).isCloseTo(0.0, within(1e-9));
    assertThat(online.points()).hasSize(4);
    assertThat(online.points())
        .filteredOn(p -> p.version().equals("v1") && p.bucketStart() == 0)
        .singleElement()
        .satisfies(p -> assertThat(p.auc()).isEqualTo(1.0));
    assertThat(online.points())
        .filteredOn(p -> p.version().equals("v1") && p.bucketStart() == 10)
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.count()).isEqualTo(3);
              assertThat(p.auc()).isCloseTo(0.5, within(1e-9));
            });
    assertThat(online.points())
        .filteredOn(p -> p.version().equals("v2") && p.bucketStart() == 10)
        .singleElement()
        .satisfies(p -> assertThat(p.auc()).isNaN());

    Path png = dir.resolve("online-auc.png");
    assertThat(online.writePng(png, "test")).isTrue();
    byte[] bytes = Files.readAllBytes(png);
    assertThat(bytes).startsWith(0x89, 'P', 'N', 'G');
  }

  @Test
  void nothingServedMeansNoChart() throws Exception {
    OnlineAuc online =
        OnlineAuc.compute(
            List.of(
                FeedbackFixtures.organic(
                    "j", "m", 0, 5, Profile.UNKNOWN, List.of(), List.of(), List.of())),
            4);

    assertThat(online.byVersion()).isEmpty();
    assertThat(online.writePng(dir.resolve("none.png"), "test")).isFalse();
    assertThat(dir.resolve("none.png")).doesNotExist();
  }
}
