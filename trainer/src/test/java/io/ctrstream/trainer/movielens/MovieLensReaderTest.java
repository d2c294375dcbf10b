package io.ctrstream.trainer.movielens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves that each official MovieLens layout is detected and read field by field from tiny
 * hand-written fixtures: separators, latin-1 versus UTF-8 titles, genre flags and names, half
 * stars, missing demographics, quoted CSV titles and CRLF line ends, and skipped bad lines.
 */
class MovieLensReaderTest {

  static Path fixture(String name) {
    try {
      return Path.of(MovieLensReaderTest.class.getResource("/movielens/" + name).toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void readsMl100k() throws Exception {
    MovieLensData d = MovieLensReader.read(fixture("ml-100k"));
    assertThat(d.format()).isEqualTo(MovieLensFormat.ML_100K);
    // the line "not a rating line" is skipped
    assertThat(d.ratings())
        .containsExactly(
            new Rating(1, 1, 5f, 881250949L),
            new Rating(1, 2, 3f, 881250950L),
            new Rating(2, 3, 4f, 891717742L),
            new Rating(2, 4, 1f, 891717743L));
    assertThat(d.users().get(1)).isEqualTo(new MovieLensUser(1, "M", 24.0, "technician", "85711"));
    assertThat(d.users().get(2)).isEqualTo(new MovieLensUser(2, "F", 53.0, "other", "94043"));
    assertThat(d.movies().keySet()).containsExactly(1, 2, 3, 4);
    assertThat(d.movies().get(1).genres()).containsExactly("Animation", "Children's", "Comedy");
    assertThat(d.movies().get(3).title()).isEqualTo("Misérables, Les (1995)");
    assertThat(d.movies().get(3).genres()).containsExactly("Drama", "Musical");
    assertThat(d.movies().get(4).genres()).containsExactly("unknown");
  }

  @Test
  void readsMl1mWithDemographicCodes() throws Exception {
    MovieLensData d = MovieLensReader.read(fixture("ml-1m"));
    assertThat(d.format()).isEqualTo(MovieLensFormat.DAT);
    assertThat(d.ratings()).hasSize(3).contains(new Rating(2, 2, 4f, 978301968L));
    assertThat(d.users().get(1)).isEqualTo(new MovieLensUser(1, "F", 1.0, "10", "48067"));
    assertThat(d.users().get(2)).isEqualTo(new MovieLensUser(2, "M", 56.0, "16", "70072"));
    // ml-1m's movies.dat is latin-1
    assertThat(d.movies().get(3))
        .isEqualTo(new Movie(3, "Misérables, Les (1995)", List.of("Drama", "Musical")));
    assertThat(d.movies().get(2).genres()).containsExactly("Adventure", "Children's", "Fantasy");
  }

  @Test
  void readsMl10mWithoutUsersAndWithHalfStars() throws Exception {
    MovieLensData d = MovieLensReader.read(fixture("ml-10m"));
    assertThat(d.format()).isEqualTo(MovieLensFormat.DAT);
    assertThat(d.users()).isEmpty();
    assertThat(d.ratings())
        .containsExactly(
            new Rating(1, 1, 5f, 838985046L),
            new Rating(1, 2, 3.5f, 838983525L),
            new Rating(7, 5, 4.5f, 838983392L));
    // this catalog is UTF-8
    assertThat(d.movies().get(2).title()).isEqualTo("Misérables, Les (1995)");
    assertThat(d.movies().get(5).genres()).isEmpty();
  }

  @Test
  void readsCsvWithQuotedTitlesAndCrlf() throws Exception {
    MovieLensData d = MovieLensReader.read(fixture("ml-latest"));
    assertThat(d.format()).isEqualTo(MovieLensFormat.CSV);
    assertThat(d.users()).isEmpty();
    assertThat(d.ratings())
        .containsExactly(
            new Rating(1, 1, 4f, 964982703L),
            new Rating(1, 11, 0.5f, 964981247L),
            new Rating(3, 12, 5f, 1445714835L));
    assertThat(d.movies().get(11))
        .isEqualTo(
            new Movie(11, "American President, The (1995)", List.of("Comedy", "Drama", "Romance")));
    assertThat(d.movies().get(12).title()).isEqualTo("Movie \"Quoted\", A (2001)");
    assertThat(d.movies().get(12).genres()).isEmpty();
    assertThat(d.movies().get(1).genres())
        .containsExactly("Adventure", "Animation", "Children", "Comedy", "Fantasy");
  }

  @Test
  void rejectsAFolderWithoutRatings(@TempDir Path dir) throws Exception {
    Files.writeString(dir.resolve("README"), "nothing");
    assertThatThrownBy(() -> MovieLensReader.read(dir))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("u.data")
        .hasMessageContaining("ratings.csv");
  }
}
