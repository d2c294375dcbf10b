package io.ctrstream.dien.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Proves the vocabulary layout the reference uses: pad 0, terms with count >= minCount ordered
 * by descending count then term, unknown last and nonzero, and a lossless JSON round trip.
 */
class VocabularyTest {

  private static List<String> column() {
    List<String> c = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      c.add("b");
    }
    for (int i = 0; i < 5; i++) {
      c.add("c");
      c.add("a");
    }
    for (int i = 0; i < 4; i++) {
      c.add("rare");
    }
    c.add("once");
    return c;
  }

  @Test
  void keepsTermsAtMinCountOrderedByCountThenTerm() {
    Vocabulary v = new Vocabulary.Counter().addAll(column()).build(5);
    // b (7) first; a and c (5 each) tie and are ordered by term; rare (4) and once (1) dropped.
    assertThat(v.terms()).containsExactly("b", "a", "c");
    assertThat(v.index("b")).isEqualTo(1);
    assertThat(v.index("a")).isEqualTo(2);
    assertThat(v.index("c")).isEqualTo(3);
    assertThat(v.size()).isEqualTo(5);
    assertThat(v.unknownIndex()).isEqualTo(4);
    assertThat(v.term(0)).isNull();
    assertThat(v.term(4)).isEqualTo(Vocabulary.UNKNOWN);
  }

  @Test
  void rareUnseenAndNullTermsMapToNonzeroUnknown() {
    Vocabulary v = new Vocabulary.Counter().addAll(column()).build(5);
    assertThat(v.index("rare")).isEqualTo(v.unknownIndex()).isNotEqualTo(Vocabulary.PAD);
    assertThat(v.index("once")).isEqualTo(v.unknownIndex());
    assertThat(v.index("never-seen")).isEqualTo(v.unknownIndex());
    assertThat(v.index(null)).isEqualTo(v.unknownIndex());
    assertThat(v.contains("rare")).isFalse();
  }

  @Test
  void lowerMinCountKeepsMore() {
    Vocabulary v = new Vocabulary.Counter().addAll(column()).build(1);
    assertThat(v.terms()).containsExactly("b", "a", "c", "rare", "once");
  }

  @Test
  void orderDoesNotDependOnRowOrder() {
    List<String> shuffled = column();
    Collections.shuffle(shuffled, new Random(7));
    assertThat(new Vocabulary.Counter().addAll(shuffled).build(1))
        .isEqualTo(new Vocabulary.Counter().addAll(column()).build(1));
  }

  @Test
  void jsonRoundTripKeepsEveryIndex() throws Exception {
    ObjectMapper json = new ObjectMapper();
    Vocabulary v = new Vocabulary.Counter().addAll(column()).build(5);
    Vocabulary back = json.readValue(json.writeValueAsBytes(v), Vocabulary.class);
    assertThat(back).isEqualTo(v);
    for (String t : List.of("a", "b", "c", "rare")) {
      assertThat(back.index(t)).isEqualTo(v.index(t));
    }
    assertThat(back.unknownIndex()).isEqualTo(v.unknownIndex());
  }

  @Test
  void rejectsBadInput() {
    assertThatThrownBy(() -> new Vocabulary.Counter().build(0))
        .hasMessageContaining("minCount must be >= 1, got 0");
    assertThatThrownBy(() -> Vocabulary.of(5, List.of("x", "x")))
        .hasMessageContaining("duplicate term");
    assertThatThrownBy(() -> Vocabulary.of(5, List.of(Vocabulary.UNKNOWN)))
        .hasMessageContaining("reserved");
  }
}
