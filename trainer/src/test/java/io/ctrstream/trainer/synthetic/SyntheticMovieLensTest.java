package io.ctrstream.trainer.synthetic;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstream.trainer.synthetic.SyntheticDataset.Rating;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the generator's promises: the same seed gives byte-identical files and another seed
 * does not; every file parses back in the MovieLens 100K format with consistent ids; users'
 * genre mix really drifts over time; the written true probabilities agree with the sampled
 * labels; and the reference AUCs are ordered oracle > static user > popularity, i.e. there is a
 * signal that only the order of events reveals.
 */
class SyntheticMovieLensTest {

  private static final int USERS = 200;
  private static final int MOVIES = 300;
  private static final int RATINGS = 20_000;

  private static SyntheticDataset dataset;

  @TempDir static Path dir;

  @BeforeAll
  static void generate() throws IOException {
    dataset = small(11).generate();
    dataset.writeTo(dir.resolve("a"));
  }

  private static SyntheticMovieLens small(long seed) {
    return SyntheticMovieLens.builder()
        .optUsers(USERS)
        .optMovies(MOVIES)
        .optRatings(RATINGS)
        .optSeed(seed)
        .build();
  }

  @Test
  void sameSeedSameBytesOtherSeedOtherData() throws IOException {
    small(11).generate().writeTo(dir.resolve("b"));
    small(12).generate().writeTo(dir.resolve("c"));
    for (String file : List.of("u.data", "u.user", "u.item", "truth.tsv")) {
      byte[] a = Files.readAllBytes(dir.resolve("a").resolve(file));
      assertThat(Files.readAllBytes(dir.resolve("b").resolve(file))).as(file).isEqualTo(a);
      assertThat(Files.readAllBytes(dir.resolve("c").resolve(file))).as(file).isNotEqualTo(a);
    }
  }

  @Test
  void everyFileParsesBackInMovieLensFormat() throws IOException {
    Path a = dir.resolve("a");
    List<String> genres = lines(a, "u.genre");
    assertThat(genres).hasSize(19);
    for (int g = 0; g < 19; g++) {
      assertThat(genres.get(g)).isEqualTo(SyntheticDataset.GENRES.get(g) + "|" + g);
    }
    assertThat(lines(a, "u.occupation")).containsExactlyElementsOf(SyntheticDataset.OCCUPATIONS);
    assertThat(lines(a, "u.info"))
        .containsExactly(USERS + " users", MOVIES + " items", RATINGS + " ratings");

    List<String> users = lines(a, "u.user");
    assertThat(users).hasSize(USERS);
    for (int i = 0; i < USERS; i++) {
      String[] f = users.get(i).split("\\|", -1);
      assertThat(f).hasSize(5);
      assertThat(Integer.parseInt(f[0])).isEqualTo(i + 1);
      assertThat(Integer.parseInt(f[1])).isBetween(7, 73);
      assertThat(f[2]).isIn("M", "F");
      assertThat(f[3]).isIn(SyntheticDataset.OCCUPATIONS);
      assertThat(f[4]).matches("\\d{5}");
    }

    List<String> items = lines(a, "u.item");
    assertThat(items).hasSize(MOVIES);
    for (int i = 0; i < MOVIES; i++) {
      String[] f = items.get(i).split("\\|", -1);
      assertThat(f).hasSize(5 + 19);
      assertThat(Integer.parseInt(f[0])).isEqualTo(i + 1);
      assertThat(f[1]).matches(".+ \\(\\d{4}\\)");
      assertThat(f[2]).matches("\\d{2}-[A-Z][a-z]{2}-\\d{4}");
      assertThat(f[2].substring(7)).isEqualTo(f[1].substring(f[1].length() - 5, f[1].length() - 1));
      int flagged = 0;
      for (int g = 5; g < f.length; g++) {
        assertThat(f[g]).isIn("0", "1");
        flagged += Integer.parseInt(f[g]);
      }
      assertThat(flagged).isBetween(1, 3);
      assertThat(f[5]).as("genre 'unknown' is never used").isEqualTo("0");
    }

    List<String> data = lines(a, "u.data");
    List<String> truth = lines(a, "truth.tsv");
    assertThat(data).hasSize(RATINGS);
    assertThat(truth).hasSize(RATINGS + 1);
    assertThat(truth.get(0)).isEqualTo("user\tmovie\ttimestamp\tp_high");
    Set<String> pairs = new HashSet<>();
    long previous = Long.MIN_VALUE;
    for (int i = 0; i < RATINGS; i++) {
      String[] f = data.get(i).split("\t", -1);
      assertThat(f).hasSize(4);
      int user = Integer.parseInt(f[0]);
      int movie = Integer.parseInt(f[1]);
      long ts = Long.parseLong(f[3]);
      assertThat(user).isBetween(1, USERS);
      assertThat(movie).isBetween(1, MOVIES);
      assertThat(Integer.parseInt(f[2])).isBetween(1, 5);
      assertThat(ts).isGreaterThanOrEqualTo(previous);
      previous = ts;
      assertThat(pairs.add(user + ":" + movie)).as("user rates a movie once").isTrue();
      String[] t = truth.get(i + 1).split("\t", -1);
      assertThat(t).hasSize(4);
      assertThat(t[0] + "\t" + t[1] + "\t" + t[2]).isEqualTo(f[0] + "\t" + f[1] + "\t" + f[3]);
      assertThat(Double.parseDouble(t[3])).isStrictlyBetween(0.0, 1.0);
    }
  }

  @Test
  void genreMixOfEarlyAndLateRatingsDiffersMoreThanInterleavedThirds() {
    Map<Integer, List<Rating>> byUser = new HashMap<>();
    for (Rating r : dataset.ratings()) {
      byUser.computeIfAbsent(r.user(), u -> new ArrayList<>()).add(r);
    }
    double drift = 0;
    double noise = 0;
    int counted = 0;
    for (List<Rating> rs : byUser.values()) {
      if (rs.size() < 60) {
        continue;
      }
      int n = rs.size();
      // Early third vs late third; as the no-drift reference, two interleaved thirds of the same
      // size (positions 0, 3, 6, ... vs 2, 5, 8, ...), which differ only by sampling noise.
      drift += distance(genreMix(rs.subList(0, n / 3)), genreMix(rs.subList(n - n / 3, n)));
      List<Rating> first = new ArrayList<>();
      List<Rating> third = new ArrayList<>();
      for (int i = 0; i + 2 < n; i += 3) {
        first.add(rs.get(i));
        third.add(rs.get(i + 2));
      }
      noise += distance(genreMix(first), genreMix(third));
      counted++;
    }
    assertThat(counted).isGreaterThan(50);
    drift /= counted;
    noise /= counted;
    assertThat(drift).as("early-vs-late total variation, interleaved was %.3f", noise)
        .isGreaterThan(noise * 1.15);
  }

  @Test
  void truthProbabilitiesMatchTheSampledLabels() {
    List<Rating> rs = dataset.ratings();
    double meanLabel = rs.stream().mapToDouble(r -> r.high() ? 1 : 0).average().orElseThrow();
    double meanP = rs.stream().mapToDouble(Rating::pHigh).average().orElseThrow();
    double se = Math.sqrt(meanP * (1 - meanP) / rs.size());
    assertThat(Math.abs(meanLabel - meanP)).isLessThan(4 * se);

    // Calibration by decile-ish bins: the label rate in each bin of p_high is near the bin mean.
    double[] sumP = new double[5];
    double[] sumY = new double[5];
    int[] count = new int[5];
    for (Rating r : rs) {
      int bin = Math.min(4, (int) (r.pHigh() * 5));
      sumP[bin] += r.pHigh();
      sumY[bin] += r.high() ? 1 : 0;
      count[bin]++;
    }
    for (int b = 0; b < 5; b++) {
      if (count[b] < 500) {
        continue;
      }
      double p = sumP[b] / count[b];
      double binSe = Math.sqrt(p * (1 - p) / count[b]);
      assertThat(Math.abs(sumY[b] / count[b] - p)).as("bin %d", b).isLessThan(4 * binSe + 0.005);
    }
  }

  @Test
  void oracleBeatsStaticUserBeatsPopularity() {
    SyntheticDataset.Report report = dataset.report();
    assertThat(report.ratings()).isEqualTo(RATINGS);
    assertThat(report.oracleAuc()).isGreaterThan(report.staticUserAuc() + 0.02);
    assertThat(report.staticUserAuc()).isGreaterThan(report.popularityAuc() + 0.02);
    assertThat(report.popularityAuc()).isGreaterThan(0.55);
    assertThat(report.positiveRate()).isBetween(0.4, 0.7);
  }

  @Test
  void refusesImpossibleSettings() {
    assertThatThrownBy(() -> SyntheticMovieLens.builder().optUsers(0).build())
        .hasMessageContaining("users must be >= 1, got 0");
    assertThatThrownBy(() -> SyntheticMovieLens.builder().optMovies(10).build())
        .hasMessageContaining("movies must be >= 40");
    assertThatThrownBy(
            () -> SyntheticMovieLens.builder().optUsers(2).optMovies(50).optRatings(101).build())
        .hasMessageContaining("ratings must be <= users * movies");
  }

  private static double[] genreMix(List<Rating> rs) {
    double[] mix = new double[SyntheticDataset.GENRES.size()];
    double total = 0;
    for (Rating r : rs) {
      for (int g : dataset.movies().get(r.movie() - 1).genres()) {
        mix[g]++;
        total++;
      }
    }
    for (int g = 0; g < mix.length; g++) {
      mix[g] /= total;
    }
    return mix;
  }

  private static double distance(double[] p, double[] q) {
    double d = 0;
    for (int i = 0; i < p.length; i++) {
      d += Math.abs(p[i] - q[i]);
    }
    return d / 2;
  }

  private static List<String> lines(Path folder, String file) throws IOException {
    return Files.readAllLines(folder.resolve(file), StandardCharsets.ISO_8859_1);
  }
}
