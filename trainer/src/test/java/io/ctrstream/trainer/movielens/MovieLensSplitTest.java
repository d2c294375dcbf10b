package io.ctrstream.trainer.movielens;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Proves the split rules on hand-made ratings: one example per user from the user's last rating;
 * history only from ratings >= 4 before it, oldest first, at most 10; negatives never rated by the
 * user, distinct, as many as the history; 80/20 by user with no user on both sides; the same seed
 * gives the same rows.
 */
class MovieLensSplitTest {

  /** 20 users; the first three are crafted, the rest rate one movie each. */
  static MovieLensData data() {
    List<Rating> ratings = new ArrayList<>();
    // user 1, file order is not time order; last in time is movie 14 (rated 2)
    ratings.add(new Rating(1, 10, 5, 300));
    ratings.add(new Rating(1, 11, 4, 100));
    ratings.add(new Rating(1, 12, 3, 200));
    ratings.add(new Rating(1, 13, 5, 400));
    ratings.add(new Rating(1, 14, 2, 500));
    // user 2: 13 ratings of 5 in time order; last is 113, history keeps the 10 before it
    for (int i = 1; i <= 13; i++) {
      ratings.add(new Rating(2, 100 + i, 5, i));
    }
    // user 3: two ratings at the same time; the later one in the file is the last
    ratings.add(new Rating(3, 20, 4, 50));
    ratings.add(new Rating(3, 21, 1, 50));
    for (int u = 4; u <= 20; u++) {
      ratings.add(new Rating(u, 30 + u, 4, 10));
    }
    Map<Integer, Movie> movies = new LinkedHashMap<>();
    for (int m = 1; m <= 300; m++) {
      movies.put(m, new Movie(m, "Movie " + m, List.of("Drama")));
    }
    Map<Integer, MovieLensUser> users = Map.of(1, new MovieLensUser(1, "F", 25.0, "writer", "123"));
    return new MovieLensData(MovieLensFormat.ML_100K, ratings, users, movies);
  }

  static Map<String, ReferenceRow> byUser(MovieLensSplit.Result r) {
    return Stream.concat(r.train().stream(), r.test().stream())
        .collect(Collectors.toMap(ReferenceRow::userId, Function.identity()));
  }

  @Test
  void lastRatingIsTheExampleAndHistoryIsEarlierHighRatingsInTimeOrder() {
    Map<String, ReferenceRow> rows = byUser(MovieLensSplit.reference().split(data(), 1));
    assertThat(rows).hasSize(20);

    ReferenceRow u1 = rows.get("1");
    assertThat(u1.movieId()).isEqualTo("14");
    assertThat(u1.rating()).isEqualTo(2.0);
    assertThat(u1.label()).isZero();
    assertThat(u1.timestamp()).isEqualTo(500L);
    assertThat(u1.history()).containsExactly("11", "10", "13");
    assertThat(u1.gender()).isEqualTo("F");
    assertThat(u1.age()).isEqualTo(25.0);
    assertThat(u1.title()).isEqualTo("Movie 14");

    ReferenceRow u2 = rows.get("2");
    assertThat(u2.movieId()).isEqualTo("113");
    assertThat(u2.label()).isEqualTo(1);
    assertThat(u2.history())
        .containsExactly("103", "104", "105", "106", "107", "108", "109", "110", "111", "112");

    ReferenceRow u3 = rows.get("3");
    assertThat(u3.movieId()).isEqualTo("21");
    assertThat(u3.history()).containsExactly("20");

    ReferenceRow u4 = rows.get("4");
    assertThat(u4.history()).isEmpty();
    assertThat(u4.negatives()).isEmpty();
    // no profile: demographics are missing, not invented
    assertThat(u4.gender()).isNull();
    assertThat(u4.age()).isNull();
  }

  @Test
  void negativesAreUnratedDistinctAndAsManyAsTheHistory() {
    MovieLensData data = data();
    for (long seed = 1; seed <= 5; seed++) {
      for (ReferenceRow row : byUser(MovieLensSplit.reference().split(data, seed)).values()) {
        Set<String> rated = new HashSet<>();
        data.ratings().stream()
            .filter(r -> Integer.toString(r.userId()).equals(row.userId()))
            .forEach(r -> rated.add(Integer.toString(r.movieId())));
        assertThat(row.negatives()).hasSameSizeAs(row.history()).doesNotHaveDuplicates();
        assertThat(row.negatives()).noneMatch(rated::contains);
        assertThat(row.negatives())
            .allMatch(m -> Integer.parseInt(m) >= 1 && Integer.parseInt(m) <= 300);
      }
    }
  }

  @Test
  void splitsUsersEightyTwentyWithoutOverlap() {
    MovieLensSplit.Result r = MovieLensSplit.reference().split(data(), 7);
    assertThat(r.test()).hasSize(4);
    assertThat(r.train()).hasSize(16);
    Set<String> train = r.train().stream().map(ReferenceRow::userId).collect(Collectors.toSet());
    Set<String> test = r.test().stream().map(ReferenceRow::userId).collect(Collectors.toSet());
    assertThat(train).doesNotContainAnyElementsOf(test);
    assertThat(train.size() + test.size()).isEqualTo(20);
  }

  @Test
  void isDeterministicPerSeed() {
    MovieLensData data = data();
    MovieLensSplit.Result a = MovieLensSplit.reference().split(data, 42);
    MovieLensSplit.Result b = MovieLensSplit.reference().split(data, 42);
    assertThat(a).isEqualTo(b);
    // another seed moves users or negatives (20 users, 4 in test: a collision is very unlikely
    // across four seeds)
    boolean anyDiffers = false;
    for (long seed = 43; seed < 47; seed++) {
      anyDiffers |= !MovieLensSplit.reference().split(data, seed).equals(a);
    }
    assertThat(anyDiffers).isTrue();
  }

  @Test
  void readsAndSplitsTheMl100kFixture() throws Exception {
    MovieLensData d = MovieLensReader.read(MovieLensReaderTest.fixture("ml-100k"));
    MovieLensSplit.Result r = MovieLensSplit.reference().split(d, 1);
    Map<String, ReferenceRow> rows = byUser(r);
    // user 1: 1 (5 stars) then 2 (3 stars, last); user 2: 3 (4 stars) then 4 (1 star, last)
    assertThat(rows.get("1").movieId()).isEqualTo("2");
    assertThat(rows.get("1").history()).containsExactly("1");
    assertThat(rows.get("1").negatives()).hasSize(1).first().isIn("3", "4");
    assertThat(rows.get("2").history()).containsExactly("3");
    assertThat(rows.get("2").genres()).containsExactly("unknown");
    assertThat(rows.get("2").occupation()).isEqualTo("other");
    assertThat(r.test()).hasSize(1);
  }
}
