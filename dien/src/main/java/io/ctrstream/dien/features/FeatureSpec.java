package io.ctrstream.dien.features;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.ctrstream.dien.model.DienConfig;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;

/**
 * The feature layout a model's weights expect: which raw columns feed it, in which order, how
 * long the sequences are, how the numeric column is transformed and whether the item ids share
 * one embedding table. Two bundles with the same spec accept the same {@link FeatureRow}s and
 * lay them out the same way; vocabulary contents are not part of it (they travel with each
 * bundle's encoder).
 *
 * <p>{@link #hash()} is the SHA-256 of the canonical JSON (properties sorted by name, no
 * whitespace, UTF-8), so it is stable across JVMs and field declaration order.
 *
 * @param specVersion version of this description's own format
 * @param numeric numeric column names, in model order
 * @param numericTransform how numeric columns are preprocessed
 * @param categorical categorical column names, in model order (the candidate included)
 * @param candidate the categorical column that is the candidate item (the attention query)
 * @param genres the pooled multi-valued column
 * @param genresLength its max length (padded/truncated)
 * @param history the behaviour sequence column
 * @param negatives the negative-sample sequence column, aligned with {@code history}
 * @param historyLength max length of history and negatives (the most recent entries are kept)
 * @param itemTable {@code PER_COLUMN} (candidate, history and negatives each have their own
 *     vocabulary and table, as the reference) or {@code SHARED} (one item vocabulary and table)
 */
public record FeatureSpec(
    int specVersion,
    List<String> numeric,
    String numericTransform,
    List<String> categorical,
    String candidate,
    String genres,
    int genresLength,
    String history,
    String negatives,
    int historyLength,
    String itemTable) {

  /** The current {@link #specVersion()}. */
  public static final int VERSION = 1;

  /** The numeric transform this project implements ({@link QuantileTransform}). */
  public static final String MEAN_IMPUTE_QUANTILE_UNIFORM = "mean-impute+quantile-uniform";

  private static final ObjectMapper CANONICAL =
      JsonMapper.builder()
          .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .disable(SerializationFeature.INDENT_OUTPUT)
          .build();

  public FeatureSpec {
    numeric = List.copyOf(Objects.requireNonNull(numeric, "numeric must not be null"));
    categorical = List.copyOf(Objects.requireNonNull(categorical, "categorical must not be null"));
    Objects.requireNonNull(numericTransform, "numericTransform must not be null");
    Objects.requireNonNull(candidate, "candidate must not be null");
    Objects.requireNonNull(genres, "genres must not be null");
    Objects.requireNonNull(history, "history must not be null");
    Objects.requireNonNull(negatives, "negatives must not be null");
    Objects.requireNonNull(itemTable, "itemTable must not be null");
    if (!categorical.contains(candidate)) {
      throw new IllegalArgumentException(
          "candidate " + candidate + " must be one of the categorical columns " + categorical);
    }
    if (genresLength <= 0) {
      throw new IllegalArgumentException("genresLength must be > 0, got " + genresLength);
    }
    if (historyLength <= 0) {
      throw new IllegalArgumentException("historyLength must be > 0, got " + historyLength);
    }
  }

  /** The layout a network config consumes (vocabulary sizes are not part of a spec). */
  public static FeatureSpec of(DienConfig config) {
    return new FeatureSpec(
        VERSION,
        config.numericFeatures(),
        MEAN_IMPUTE_QUANTILE_UNIFORM,
        config.categoricalFeatures().stream().map(DienConfig.CategoricalFeature::name).toList(),
        config.candidateFeature(),
        config.pooledSequence().name(),
        config.pooledSequence().maxLength(),
        config.history().name(),
        config.negatives().name(),
        config.history().maxLength(),
        config.itemTable().name());
  }

  /** The canonical JSON the hash is taken over. */
  public String canonicalJson() {
    try {
      return CANONICAL.writeValueAsString(this);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a FeatureSpec always serialises", e);
    }
  }

  /** Lowercase hex SHA-256 of {@link #canonicalJson()}. */
  public String hash() {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      return HexFormat.of().formatHex(sha.digest(canonicalJson().getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
