package io.ctrstream.cli.demo;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstream.cli.Ctr;
import io.ctrstream.trainer.synthetic.SyntheticMovieLens;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Runs {@code ctr demo} end to end on a small generated data set (embedded broker, scorer with
 * exactly_once_v2, replay, retraining, hot swap through model-releases) and proves that the
 * counts add up: one score per impression and no duplicate, one feedback record per rating, no
 * dead letter; that a release was published and served (scores carrying a non-prior version);
 * and that the report and the single JSON line on stdout are written.
 */
class DemoEndToEndTest {

  @Test
  @Timeout(600)
  void wholeLoopCountsAddUpAndAReleaseIsServed(@TempDir Path tmp) throws Exception {
    Path data = tmp.resolve("data");
    SyntheticMovieLens.builder().optUsers(60).optMovies(80).optRatings(3_000).optSeed(7)
        .optShowProgress(false).build().generate().writeTo(data);
    Path out = tmp.resolve("run");
    StringWriter stderr = new StringWriter();

    // paced so that the first release (trained at 20 %) arrives while impressions still flow
    JsonNode summary = demo(stderr, "--data", data.toString(), "--out", out.toString(),
        "--speed", "100", "--first-train-at", "0.2", "--retrain-every", "0.3",
        "--max-epochs", "2", "--min-examples", "100", "--timeout", "300");
    assertThat(summary.get("ratings").asLong()).isEqualTo(3_000);
    assertThat(summary.get("impressions").asLong()).isEqualTo(3_000);
    assertThat(summary.get("scores").asLong()).isEqualTo(3_000);
    assertThat(summary.get("feedback").asLong()).isEqualTo(3_000);
    assertThat(summary.get("dead_letters").asLong()).isZero();
    assertThat(summary.get("errors")).isEmpty();
    // each rating is published once its impression is scored, so each joins its impression
    assertThat(summary.get("feedback_organic").asLong()).as("stderr:%n%s", tail(stderr)).isZero();
    assertThat(summary.get("popularity_auc_after_first_release").isNumber()).isTrue();
    // the online baselines on the same ratings, and the served scores as probabilities
    assertThat(summary.get("baselines").has("popularity")).isTrue();
    assertThat(summary.get("baselines").get("user_rate").isNumber()).isTrue();
    assertThat(summary.get("baselines").get("movie_user").isNumber()).isTrue();
    assertThat(summary.get("ece_after_first_release").asDouble()).isBetween(0.0, 1.0);
    assertThat(summary.get("logloss_after_first_release").asDouble()).isPositive();
    assertThat(summary.get("ece_by_version").has("prior")).isTrue();
    long served = 0;
    for (JsonNode n : summary.get("served_by_version")) {
      served += n.asLong();
    }
    assertThat(served).isEqualTo(3_000);
    assertThat(summary.get("prior_share").asDouble()).isBetween(0.0, 1.0);

    assertThat(summary.get("releases").asLong()).as("stderr:%n%s", tail(stderr)).isPositive();
    List<String> versions = new ArrayList<>();
    Iterator<String> names = summary.get("scores_by_version").fieldNames();
    names.forEachRemaining(versions::add);
    assertThat(versions).as("a released model scored impressions").anyMatch(v -> v.startsWith("v"));
    long servedByReleases = 0;
    for (String v : versions) {
      if (!v.equals("prior")) {
        servedByReleases += summary.get("scores_by_version").get(v).asLong();
      }
    }
    assertThat(servedByReleases).isPositive();
    assertThat(summary.get("online_auc_by_version").has("prior")).isTrue();
    assertThat(summary.get("online_auc_after_first_release").isNumber()).isTrue();
    assertThat(summary.get("popularity_auc").isNumber()).isTrue();
    // generated data: the truth is known and ranks far better than chance
    assertThat(summary.get("oracle_auc").asDouble()).isGreaterThan(0.6);

    assertThat(out.resolve("report.html")).exists();
    assertThat(Files.readString(out.resolve("report.html"))).contains("online-auc.png");
    assertThat(out.resolve("online-auc.png")).exists();
    assertThat(out.resolve("counts.png")).exists();
    assertThat(out.resolve("reliability.png")).exists();
  }

  @Test
  @Timeout(600)
  void withWaitForTrainingEveryRatingAfterTheFirstCheckpointIsServedByARelease(@TempDir Path tmp)
      throws Exception {
    Path data = tmp.resolve("data");
    SyntheticMovieLens.builder().optUsers(60).optMovies(80).optRatings(2_000).optSeed(8)
        .optShowProgress(false).build().generate().writeTo(data);
    StringWriter stderr = new StringWriter();
    // An earlier run into the same folder left its scorer state, which names offsets of that
    // run's broker (here: 800 movies read); the new run must not try to restore it.
    Path stale = tmp.resolve("run").resolve("scorer-state").resolve("ctr-demo").resolve("global");
    Files.createDirectories(stale);
    Files.writeString(stale.resolve(".checkpoint"), "0\n1\nmovies 0 800\n");

    // unpaced: without the wait the replay would run far ahead of the trainer
    JsonNode summary = demo(stderr, "--data", data.toString(), "--out",
        tmp.resolve("run").toString(), "--first-train-at", "0.2", "--retrain-every", "0.4",
        "--max-epochs", "2", "--min-examples", "100", "--timeout", "300", "--wait-for-training");
    assertThat(summary.get("scores").asLong()).isEqualTo(2_000);
    assertThat(stderr.toString()).contains("the replay waits").doesNotContain("folds into it");
    // The first run has no live model to beat, so it is released; the replay resumed only once
    // the scorer served it. The prior scored the first 20 % (400) and the impressions the replay
    // had in flight at the checkpoint (60 in the run that set this bound); without the wait the
    // unpaced replay goes on at ~500 ratings/s through the trainer's seconds, over 1,000 more.
    long prior = summary.get("scores_by_version").get("prior").asLong();
    assertThat(prior).as("stderr:%n%s", tail(stderr)).isBetween(400L, 700L);
    assertThat(summary.get("releases").asLong()).isPositive();
  }

  /**
   * Runs {@code ctr demo args}, stderr into {@code stderr}, and returns its one JSON line after
   * checking that stdout holds only that line and that the run succeeded.
   */
  private static JsonNode demo(StringWriter stderr, String... args) throws Exception {
    StringWriter stdout = new StringWriter();
    CommandLine cli = Ctr.commandLine();
    cli.setOut(new PrintWriter(stdout, true));
    cli.setErr(new PrintWriter(stderr, true));
    String[] argv = new String[args.length + 1];
    argv[0] = "demo";
    System.arraycopy(args, 0, argv, 1, args.length);
    int exit = cli.execute(argv);

    String[] lines = stdout.toString().strip().split("\n");
    assertThat(lines).as("stdout holds one JSON line; stderr:%n%s", tail(stderr)).hasSize(1);
    JsonNode summary = new ObjectMapper().readTree(lines[0]);
    assertThat(exit).as("exit status; summary %s", summary).isZero();
    assertThat(summary.get("ok").asBoolean()).as("errors: %s", summary.get("errors")).isTrue();
    return summary;
  }

  private static String tail(StringWriter w) {
    String s = w.toString();
    return s.length() > 6000 ? s.substring(s.length() - 6000) : s;
  }
}
