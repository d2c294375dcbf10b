package io.ctrstream.dien.features;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Maps the raw terms of one column to embedding indices, as the reference DIEN does.
 *
 * <p>Layout: index {@code 0} is the padding (never a term), indices {@code 1..n} are the terms
 * seen at least {@code minCount} times in the column the vocabulary was fitted on, and the last
 * index {@code n + 1} is {@value #UNKNOWN}. Terms are ordered by descending count, ties broken
 * by the term's natural {@link String} order, so fitting the same data twice gives the same
 * indices whatever the row order. Any term that is not in the vocabulary (unseen, or rarer than
 * {@code minCount}, or {@code null}) maps to the unknown index, which is nonzero, so a rare movie
 * in a history still counts toward the history length.
 *
 * <p>Immutable and thread-safe; {@link #index(String)} does not allocate.
 */
public final class Vocabulary {

  /** The term the last index stands for. */
  public static final String UNKNOWN = "__UNKNOWN__";

  /** The padding index: never returned for a term. */
  public static final int PAD = 0;

  /** The reference's minimum count. */
  public static final int DEFAULT_MIN_COUNT = 5;

  private final int minCount;
  private final List<String> terms;
  private final Map<String, Integer> indexByTerm;
  private final int unknownIndex;

  private Vocabulary(int minCount, List<String> terms) {
    if (minCount < 1) {
      throw new IllegalArgumentException("minCount must be >= 1, got " + minCount);
    }
    this.minCount = minCount;
    this.terms = List.copyOf(terms);
    this.indexByTerm = new HashMap<>(terms.size() * 2);
    for (int i = 0; i < this.terms.size(); i++) {
      String term = this.terms.get(i);
      if (UNKNOWN.equals(term)) {
        throw new IllegalArgumentException("the term " + UNKNOWN + " is reserved");
      }
      if (indexByTerm.put(term, i + 1) != null) {
        throw new IllegalArgumentException("duplicate term in vocabulary: " + term);
      }
    }
    this.unknownIndex = this.terms.size() + 1;
  }

  /**
   * Creates a vocabulary from an explicit term list (index {@code i + 1} for {@code terms[i]}),
   * for deserialisation and tests.
   */
  @JsonCreator
  public static Vocabulary of(
      @JsonProperty("minCount") int minCount, @JsonProperty("terms") List<String> terms) {
    Objects.requireNonNull(terms, "terms must not be null");
    return new Vocabulary(minCount, terms);
  }

  /** Fits a vocabulary on counted terms: keeps those with {@code count >= minCount}. */
  public static Vocabulary fromCounts(Map<String, Long> counts, int minCount) {
    if (minCount < 1) {
      throw new IllegalArgumentException("minCount must be >= 1, got " + minCount);
    }
    List<Map.Entry<String, Long>> kept = new ArrayList<>();
    for (Map.Entry<String, Long> e : counts.entrySet()) {
      if (e.getKey() != null && e.getValue() >= minCount && !UNKNOWN.equals(e.getKey())) {
        kept.add(e);
      }
    }
    kept.sort(
        Comparator.comparing((Map.Entry<String, Long> e) -> e.getValue())
            .reversed()
            .thenComparing(Map.Entry::getKey));
    List<String> terms = new ArrayList<>(kept.size());
    for (Map.Entry<String, Long> e : kept) {
      terms.add(e.getKey());
    }
    return new Vocabulary(minCount, terms);
  }

  /** Counts terms for {@link #fromCounts}; {@code null} terms are skipped. */
  public static final class Counter {
    private final Map<String, Long> counts = new HashMap<>();

    /** Counts one occurrence. */
    public Counter add(String term) {
      if (term != null) {
        counts.merge(term, 1L, Long::sum);
      }
      return this;
    }

    /** Counts every element of {@code column}. */
    public Counter addAll(Collection<String> column) {
      for (String term : column) {
        add(term);
      }
      return this;
    }

    /** The vocabulary of the terms counted so far. */
    public Vocabulary build(int minCount) {
      return fromCounts(counts, minCount);
    }
  }

  /** The index of {@code term}: its own index, or {@link #unknownIndex()}; never {@link #PAD}. */
  public int index(String term) {
    if (term == null) {
      return unknownIndex;
    }
    Integer i = indexByTerm.get(term);
    return i == null ? unknownIndex : i;
  }

  /** The term at {@code index}: {@code null} for the pad, {@link #UNKNOWN} for the last. */
  public String term(int index) {
    if (index == PAD) {
      return null;
    }
    if (index == unknownIndex) {
      return UNKNOWN;
    }
    if (index < 0 || index > unknownIndex) {
      throw new IndexOutOfBoundsException(
          "index must be in [0, " + unknownIndex + "], got " + index);
    }
    return terms.get(index - 1);
  }

  /** Whether {@code term} has its own index (was seen at least {@code minCount} times). */
  public boolean contains(String term) {
    return term != null && indexByTerm.containsKey(term);
  }

  /** The index every out-of-vocabulary term maps to: the last one. */
  @JsonIgnore
  public int unknownIndex() {
    return unknownIndex;
  }

  /** Embedding table rows needed: pad + terms + unknown. */
  @JsonIgnore
  public int size() {
    return terms.size() + 2;
  }

  /** The minimum count the vocabulary was fitted with. */
  @JsonProperty("minCount")
  public int minCount() {
    return minCount;
  }

  /** The terms in index order (index {@code i + 1} for element {@code i}). */
  @JsonProperty("terms")
  public List<String> terms() {
    return terms;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Vocabulary v && v.minCount == minCount && v.terms.equals(terms);
  }

  @Override
  public int hashCode() {
    return Objects.hash(minCount, terms);
  }

  @Override
  public String toString() {
    return "Vocabulary{size=" + size() + ", minCount=" + minCount + "}";
  }
}
