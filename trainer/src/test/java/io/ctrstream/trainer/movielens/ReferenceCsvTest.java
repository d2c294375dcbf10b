package io.ctrstream.trainer.movielens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstream.dien.features.LabeledRow;
import java.io.StringReader;
import java.io.StringWriter;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the reference CSV round trip (including titles with commas and quotes, empty histories,
 * missing demographics and half stars), that pandas-style files (reordered columns, floats for
 * integers, {@code nan}) read correctly, and the mapping to model rows.
 */
class ReferenceCsvTest {

  static final ReferenceRow FULL =
      new ReferenceRow(
          "7", "11", 4, 978300760L, List.of("3", "1", "2"), List.of("40", "41", "42"), "F", 25.0,
          "10", "48067", "American President, The (1995)", List.of("Comedy", "Drama"), 1);
  static final ReferenceRow SPARSE =
      new ReferenceRow(
          "8", "12", 3.5, 5L, List.of(), List.of(), null, null, null, null,
          "Movie \"Quoted\", A (2001)", List.of(), 0);

  @Test
  void roundTripsThroughAFile(@TempDir Path dir) throws Exception {
    Path file = dir.resolve("sub/train.csv");
    ReferenceCsv.write(file, List.of(FULL, SPARSE));
    assertThat(ReferenceCsv.read(file)).containsExactly(FULL, SPARSE);
  }

  @Test
  void writesTheReferenceHeaderAndQuotesOnlyWhenNeeded() throws Exception {
    StringWriter w = new StringWriter();
    ReferenceCsv.write(w, List.of(FULL, SPARSE));
    String[] lines = w.toString().split("\n");
    assertThat(lines[0])
        .isEqualTo(
            "userId,movieId,ratting,timestamp,last,histHighRatedMovieIds,negHistMovieIds,gender,"
                + "age,occupation,zipCode,title,genres,label");
    assertThat(lines[1])
        .isEqualTo(
            "7,11,4,978300760,1,3|1|2,40|41|42,F,25,10,48067,\"American President, The (1995)\","
                + "Comedy|Drama,1");
    assertThat(lines[2]).isEqualTo("8,12,3.5,5,1,,,,,,,\"Movie \"\"Quoted\"\", A (2001)\",,0");
  }

  @Test
  void readsPandasStyleFiles() {
    String text =
        "label,userId,movieId,histHighRatedMovieIds,negHistMovieIds,age,gender,title,genres\r\n"
            + "1.0,5,33.0,1|2,9|8,nan,M,\"A, B\",Drama\r\n"
            + "0,6,34,nan,nan,31.5,,C,\r\n"
            + "oops,6,34,,,,,,\r\n";
    List<ReferenceRow> rows = ReferenceCsv.read(new StringReader(text), "test");
    // the row with label "oops" is skipped
    assertThat(rows).hasSize(2);
    assertThat(rows.get(0).movieId()).isEqualTo("33");
    assertThat(rows.get(0).label()).isEqualTo(1);
    assertThat(rows.get(0).history()).containsExactly("1", "2");
    assertThat(rows.get(0).age()).isNull();
    assertThat(rows.get(0).title()).isEqualTo("A, B");
    assertThat(rows.get(1).history()).isEmpty();
    assertThat(rows.get(1).age()).isEqualTo(31.5);
    assertThat(rows.get(1).gender()).isNull();
  }

  @Test
  void rejectsAFileWithoutTheReferenceColumns() {
    assertThatThrownBy(() -> ReferenceCsv.read(new StringReader("a,b\n1,2\n"), "x.csv"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("x.csv")
        .hasMessageContaining("userId");
  }

  @Test
  void mapsToModelRows() {
    LabeledRow row = FULL.toLabeledRow();
    assertThat(row.label()).isEqualTo(1);
    assertThat(row.timestamp()).isEqualTo(978300760_000L);
    assertThat(row.features().movieId()).isEqualTo("11");
    assertThat(row.features().history()).containsExactly("3", "1", "2");
    assertThat(row.features().negatives()).containsExactly("40", "41", "42");
    assertThat(row.features().age()).isEqualTo(25.0);
    assertThat(row.features().occupation()).isEqualTo("10");
    assertThat(row.features().genres()).containsExactly("Comedy", "Drama");
  }
}
