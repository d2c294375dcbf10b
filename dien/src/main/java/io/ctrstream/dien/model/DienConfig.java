package io.ctrstream.dien.model;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * Everything that fixes the shape of a {@link DienNetwork}: layer sizes, activations, dropout,
 * the interest-evolution variant, whether the auxiliary loss is used, and the feature layout with
 * its vocabulary sizes. It is stored as JSON inside model bundles, so every field is plain data and
 * the record validates itself on construction (also when Jackson reads it back).
 *
 * <p>Vocabulary sizes include the padding index 0. Sizes always come from here, never from
 * constants: the golden vectors use tiny sizes (embedding 4, attention [6, 3]).
 *
 * @param embeddingSize E, the size of every embedding (and of the GRU hidden state, H = E)
 * @param attentionHidden hidden sizes of the attention MLP over [q, k, q-k, q*k]
 * @param attentionActivation activation of the attention MLP (the reference uses Dice)
 * @param attentionDropout dropout after each attention MLP layer, training only
 * @param mlpHidden hidden sizes of the final MLP
 * @param mlpActivation activation of the final MLP (the reference uses PReLU)
 * @param mlpDropout dropout after each final MLP layer, training only
 * @param evolution the interest-evolution variant
 * @param useNegSampling whether the auxiliary loss over negative samples is computed
 * @param auxHidden hidden sizes of the auxiliary network (the reference uses 100, 50)
 * @param itemTable whether candidate, history and negatives have their own tables or share one
 * @param bnEpsMlp epsilon of the BatchNorm layers of both MLPs (PyTorch default 1e-5)
 * @param bnEpsDice epsilon of the BatchNorm inside Dice (the reference uses 1e-8)
 * @param numericFeatures numeric feature names, in model order
 * @param categoricalFeatures categorical features with vocabulary sizes, in model order
 * @param candidateFeature which categorical feature is the candidate item (the attention query)
 * @param pooledSequence the multi-valued feature that is max-pooled (genres)
 * @param history the behaviour sequence (highly rated movies, oldest first)
 * @param negatives the negative samples aligned with {@code history}
 * @param wideFeatures the numeric features that also enter the final logit linearly (the wide
 *     part of Wide &amp; Deep), beside the deep logit; they must be the last numeric features, in
 *     order; empty in the reference's layout (no wide parameters at all)
 * @param calibrationScale Platt scaling of the logit when predicting probabilities: {@code p =
 *     sigmoid(calibrationScale * logit + calibrationShift)}; 1 (null) leaves the logit as it is.
 *     Training sees the raw logit
 * @param calibrationShift the shift of that scaling; 0 (null) by default
 */
@JsonIgnoreProperties(ignoreUnknown = true)
public record DienConfig(
    int embeddingSize,
    List<Integer> attentionHidden,
    Activation attentionActivation,
    double attentionDropout,
    List<Integer> mlpHidden,
    Activation mlpActivation,
    double mlpDropout,
    Evolution evolution,
    boolean useNegSampling,
    List<Integer> auxHidden,
    ItemTable itemTable,
    double bnEpsMlp,
    double bnEpsDice,
    List<String> numericFeatures,
    List<CategoricalFeature> categoricalFeatures,
    String candidateFeature,
    SequenceFeature pooledSequence,
    SequenceFeature history,
    SequenceFeature negatives,
    List<String> wideFeatures,
    Double calibrationScale,
    Double calibrationShift) {

  /** Activation of an MLP layer. */
  public enum Activation {
    /** DIN's data-adaptive activation: BatchNorm (own eps), sigmoid gate, per-unit alpha. */
    DICE,
    /** PReLU with one shared weight (PyTorch's {@code nn.PReLU()}). */
    PRELU,
    RELU,
    SIGMOID
  }

  /** How the attention score enters the interest-evolution layer (DIEN paper, section 4.3). */
  public enum Evolution {
    /** A second plain GRU over the extracted interests, then attention pooling over its outputs. */
    GRU,
    /** Attention scales the GRU input: i'_t = a_t * i_t. */
    AIGRU,
    /** Attention replaces the update gate: h_t = (1 - a_t) * h_{t-1} + a_t * n_t. */
    AGRU,
    /** Attention scales the update gate: u'_t = a_t * u_t. */
    AUGRU
  }

  /** Embedding tables of the item ids. */
  public enum ItemTable {
    /** Candidate, history and negatives each have their own table (the reference). */
    SEPARATE,
    /** One item table (the candidate's) serves candidate, history and negatives. */
    SHARED
  }

  /**
   * A categorical feature.
   *
   * @param name the feature (column) name
   * @param vocabSize number of rows of its embedding table, padding index 0 included
   */
  public record CategoricalFeature(String name, int vocabSize) {
    public CategoricalFeature {
      Objects.requireNonNull(name, "categorical feature name must not be null");
      if (vocabSize < 2) {
        throw new IllegalArgumentException(
            "vocabSize of " + name + " must be >= 2 (padding + one id), got " + vocabSize);
      }
    }
  }

  /**
   * A sequence feature.
   *
   * @param name the feature (column) name
   * @param vocabSize number of rows of its embedding table, padding index 0 included
   * @param maxLength the length the encoder pads or truncates to
   */
  public record SequenceFeature(String name, int vocabSize, int maxLength) {
    public SequenceFeature {
      Objects.requireNonNull(name, "sequence feature name must not be null");
      if (vocabSize < 2) {
        throw new IllegalArgumentException(
            "vocabSize of " + name + " must be >= 2 (padding + one id), got " + vocabSize);
      }
      if (maxLength < 1) {
        throw new IllegalArgumentException(
            "maxLength of " + name + " must be > 0, got " + maxLength);
      }
    }
  }

  public DienConfig {
    wideFeatures = wideFeatures == null ? List.of() : List.copyOf(wideFeatures);
    calibrationScale = calibrationScale == null ? 1.0 : calibrationScale;
    calibrationShift = calibrationShift == null ? 0.0 : calibrationShift;
    if (!Double.isFinite(calibrationScale) || !(calibrationScale > 0)
        || !Double.isFinite(calibrationShift)) {
      throw new IllegalArgumentException("calibration must be a finite scale > 0 and a finite shift,"
          + " got " + calibrationScale + " and " + calibrationShift);
    }
    attentionHidden = copyPositive("attentionHidden", attentionHidden);
    mlpHidden = copyPositive("mlpHidden", mlpHidden);
    auxHidden = copyPositive("auxHidden", auxHidden);
    numericFeatures =
        List.copyOf(Objects.requireNonNull(numericFeatures, "numericFeatures must not be null"));
    categoricalFeatures =
        List.copyOf(
            Objects.requireNonNull(categoricalFeatures, "categoricalFeatures must not be null"));
    Objects.requireNonNull(attentionActivation, "attentionActivation must not be null");
    Objects.requireNonNull(mlpActivation, "mlpActivation must not be null");
    Objects.requireNonNull(evolution, "evolution must not be null");
    Objects.requireNonNull(itemTable, "itemTable must not be null");
    Objects.requireNonNull(candidateFeature, "candidateFeature must not be null: setCandidateFeature");
    Objects.requireNonNull(pooledSequence, "pooledSequence must not be null: setPooledSequence");
    Objects.requireNonNull(history, "history must not be null: setHistory");
    Objects.requireNonNull(negatives, "negatives must not be null: setNegatives");
    if (embeddingSize < 1) {
      throw new IllegalArgumentException("embeddingSize must be > 0, got " + embeddingSize);
    }
    checkDropout("attentionDropout", attentionDropout);
    checkDropout("mlpDropout", mlpDropout);
    if (!(bnEpsMlp > 0) || !(bnEpsDice > 0)) {
      throw new IllegalArgumentException(
          "bnEpsMlp and bnEpsDice must be > 0, got " + bnEpsMlp + " and " + bnEpsDice);
    }
    if (categoricalFeatures.isEmpty()) {
      throw new IllegalArgumentException(
          "categoricalFeatures must hold at least the candidate feature " + candidateFeature);
    }
    Set<String> names = new HashSet<>();
    for (String n : numericFeatures) {
      if (!names.add(Objects.requireNonNull(n, "numeric feature name must not be null"))) {
        throw new IllegalArgumentException("feature name " + n + " is used twice");
      }
    }
    boolean candidateFound = false;
    for (CategoricalFeature c : categoricalFeatures) {
      if (!names.add(c.name())) {
        throw new IllegalArgumentException("feature name " + c.name() + " is used twice");
      }
      candidateFound |= c.name().equals(candidateFeature);
    }
    if (!candidateFound) {
      throw new IllegalArgumentException(
          "candidateFeature " + candidateFeature + " must be one of the categorical features "
              + categoricalFeatures.stream().map(CategoricalFeature::name).toList());
    }
    for (SequenceFeature s : List.of(pooledSequence, history, negatives)) {
      if (!names.add(s.name())) {
        throw new IllegalArgumentException("feature name " + s.name() + " is used twice");
      }
    }
    if (!wideFeatures.isEmpty()) {
      int n = numericFeatures.size();
      int w = wideFeatures.size();
      if (w > n || !numericFeatures.subList(n - w, n).equals(wideFeatures)) {
        throw new IllegalArgumentException("wideFeatures must be the last numeric features, in"
            + " order: got " + wideFeatures + " for numeric features " + numericFeatures);
      }
    }
    if (negatives.maxLength() != history.maxLength()) {
      throw new IllegalArgumentException(
          "negatives.maxLength must equal history.maxLength (one negative per history entry), got "
              + negatives.maxLength() + " and " + history.maxLength());
    }
    if (itemTable == ItemTable.SHARED) {
      int v = categoricalFeatures.get(candidateIndexOf(categoricalFeatures, candidateFeature))
          .vocabSize();
      if (history.vocabSize() != v || negatives.vocabSize() != v) {
        throw new IllegalArgumentException(
            "itemTable SHARED needs one item vocabulary: candidate, history and negatives vocabSize"
                + " must be equal, got " + v + ", " + history.vocabSize() + ", "
                + negatives.vocabSize());
      }
    }
  }

  /** Index of {@link #candidateFeature()} among the categorical columns. */
  public int candidateIndex() {
    return candidateIndexOf(categoricalFeatures, candidateFeature);
  }

  /** Whether predicted logits are rescaled ({@link #calibrationScale}, {@link #calibrationShift}). */
  public boolean calibrated() {
    return calibrationScale != 1.0 || calibrationShift != 0.0; // unboxed: never null after construction
  }

  /** Width of the final MLP input: numeric, categorical embeddings, pooled sequence, interest. */
  public int mlpInputSize() {
    return numericFeatures.size() + (categoricalFeatures.size() + 2) * embeddingSize;
  }

  /** A builder holding every field of this config, to derive a changed copy. */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.embeddingSize = embeddingSize;
    b.attentionHidden = attentionHidden;
    b.attentionActivation = attentionActivation;
    b.attentionDropout = attentionDropout;
    b.mlpHidden = mlpHidden;
    b.mlpActivation = mlpActivation;
    b.mlpDropout = mlpDropout;
    b.evolution = evolution;
    b.useNegSampling = useNegSampling;
    b.auxHidden = auxHidden;
    b.itemTable = itemTable;
    b.bnEpsMlp = bnEpsMlp;
    b.bnEpsDice = bnEpsDice;
    b.numericFeatures = numericFeatures;
    b.categoricalFeatures = new ArrayList<>(categoricalFeatures);
    b.candidateFeature = candidateFeature;
    b.pooledSequence = pooledSequence;
    b.history = history;
    b.negatives = negatives;
    b.wideFeatures = wideFeatures;
    b.calibrationScale = calibrationScale;
    b.calibrationShift = calibrationShift;
    return b;
  }

  /**
   * A builder whose optional fields hold the reference defaults: embedding 16, attention [16, 8]
   * Dice with dropout 0.1, MLP [32, 16] PReLU with dropout 0.25, AUGRU with the auxiliary loss
   * (aux net 100, 50), separate item tables, BatchNorm eps 1e-5 (MLPs) and 1e-8 (Dice). The
   * feature layout ({@code setX}) is required.
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The config a golden-vector file describes ({@code /work/shared/golden/README.md}): sizes from
   * its {@code config}, sequence lengths from its {@code inputs}, dropout 0 (the golden train step
   * runs without dropout).
   *
   * @param golden the whole golden JSON document (keys {@code config} and {@code inputs})
   */
  public static DienConfig fromGolden(JsonNode golden) {
    JsonNode config = golden.has("config") ? golden.get("config") : golden;
    JsonNode inputs = golden.get("inputs");
    JsonNode nums = required(config, "cat_nums");
    List<String> seq = strings(required(config, "seq_features"));
    if (seq.size() != 3) {
      throw new IllegalArgumentException(
          "golden seq_features must be [pooled, history, negatives], got " + seq);
    }
    List<CategoricalFeature> cats = new ArrayList<>();
    for (String c : strings(required(config, "cat_features"))) {
      cats.add(new CategoricalFeature(c, required(nums, c).asInt()));
    }
    int genresLen = seqLength(inputs, seq.get(0), 6);
    int histLen = seqLength(inputs, seq.get(1), 10);
    JsonNode eps = config.get("bn_eps");
    return builder()
        .optEmbeddingSize(required(config, "embedding_size").asInt())
        .optAttentionHidden(ints(required(config, "attention_hidden")))
        .optAttentionActivation(activation(config.path("attention_activation").asText("dice")))
        .optAttentionDropout(0)
        .optMlpHidden(ints(required(config, "mlp_hidden")))
        .optMlpActivation(activation(config.path("mlp_activation").asText("prelu")))
        .optMlpDropout(0)
        .optEvolution(Evolution.valueOf(required(config, "gru_type").asText()))
        .optUseNegSampling(required(config, "use_negsampling").asBoolean())
        .optBnEpsMlp(eps == null ? 1e-5 : eps.path("mlp").asDouble(1e-5))
        .optBnEpsDice(eps == null ? 1e-8 : eps.path("dice").asDouble(1e-8))
        .setNumericFeatures(strings(required(config, "num_features")))
        .setCategoricalFeatures(cats)
        .setCandidateFeature("movieId")
        .setPooledSequence(
            new SequenceFeature(seq.get(0), required(nums, seq.get(0)).asInt(), genresLen))
        .setHistory(new SequenceFeature(seq.get(1), required(nums, seq.get(1)).asInt(), histLen))
        .setNegatives(
            new SequenceFeature(seq.get(2), required(nums, seq.get(2)).asInt(), histLen))
        .build();
  }

  /** Builder: {@code setX} for the required feature layout, {@code optX} for the rest. */
  public static final class Builder {
    private int embeddingSize = 16;
    private List<Integer> attentionHidden = List.of(16, 8);
    private Activation attentionActivation = Activation.DICE;
    private double attentionDropout = 0.1;
    private List<Integer> mlpHidden = List.of(32, 16);
    private Activation mlpActivation = Activation.PRELU;
    private double mlpDropout = 0.25;
    private Evolution evolution = Evolution.AUGRU;
    private boolean useNegSampling = true;
    private List<Integer> auxHidden = List.of(100, 50);
    private ItemTable itemTable = ItemTable.SEPARATE;
    private double bnEpsMlp = 1e-5;
    private double bnEpsDice = 1e-8;
    private List<String> numericFeatures;
    private List<CategoricalFeature> categoricalFeatures;
    private String candidateFeature;
    private SequenceFeature pooledSequence;
    private SequenceFeature history;
    private SequenceFeature negatives;
    private List<String> wideFeatures = List.of();
    private double calibrationScale = 1;
    private double calibrationShift = 0;

    private Builder() {}

    /** Numeric feature names in model order (may be empty; the reference has ["age"]). */
    public Builder setNumericFeatures(List<String> names) {
      this.numericFeatures = names;
      return this;
    }

    /** Categorical features in model order, the candidate included. */
    public Builder setCategoricalFeatures(List<CategoricalFeature> features) {
      this.categoricalFeatures = new ArrayList<>(features);
      return this;
    }

    /** Appends one categorical feature (an alternative to {@link #setCategoricalFeatures}). */
    public Builder addCategoricalFeature(String name, int vocabSize) {
      if (categoricalFeatures == null) {
        categoricalFeatures = new ArrayList<>();
      }
      categoricalFeatures.add(new CategoricalFeature(name, vocabSize));
      return this;
    }

    /** The categorical feature that is the candidate item ("movieId"). */
    public Builder setCandidateFeature(String name) {
      this.candidateFeature = name;
      return this;
    }

    /** The max-pooled sequence feature ("genres", max length 6). */
    public Builder setPooledSequence(SequenceFeature feature) {
      this.pooledSequence = feature;
      return this;
    }

    /** The behaviour sequence ("histHighRatedMovieIds", max length 10). */
    public Builder setHistory(SequenceFeature feature) {
      this.history = feature;
      return this;
    }

    /** The negative samples, one per history entry ("negHistMovieIds"). */
    public Builder setNegatives(SequenceFeature feature) {
      this.negatives = feature;
      return this;
    }

    public Builder optEmbeddingSize(int size) {
      this.embeddingSize = size;
      return this;
    }

    public Builder optAttentionHidden(List<Integer> sizes) {
      this.attentionHidden = sizes;
      return this;
    }

    public Builder optAttentionActivation(Activation activation) {
      this.attentionActivation = activation;
      return this;
    }

    public Builder optAttentionDropout(double rate) {
      this.attentionDropout = rate;
      return this;
    }

    public Builder optMlpHidden(List<Integer> sizes) {
      this.mlpHidden = sizes;
      return this;
    }

    public Builder optMlpActivation(Activation activation) {
      this.mlpActivation = activation;
      return this;
    }

    public Builder optMlpDropout(double rate) {
      this.mlpDropout = rate;
      return this;
    }

    public Builder optEvolution(Evolution evolution) {
      this.evolution = evolution;
      return this;
    }

    public Builder optUseNegSampling(boolean use) {
      this.useNegSampling = use;
      return this;
    }

    public Builder optAuxHidden(List<Integer> sizes) {
      this.auxHidden = sizes;
      return this;
    }

    public Builder optItemTable(ItemTable table) {
      this.itemTable = table;
      return this;
    }

    public Builder optBnEpsMlp(double eps) {
      this.bnEpsMlp = eps;
      return this;
    }

    public Builder optBnEpsDice(double eps) {
      this.bnEpsDice = eps;
      return this;
    }

    /**
     * Numeric features that also enter the final logit linearly (Wide &amp; Deep); they must be
     * the last of {@link #setNumericFeatures}, in order. Default none.
     */
    public Builder optWideFeatures(List<String> names) {
      this.wideFeatures = List.copyOf(names);
      return this;
    }

    /** Platt scaling of the predicted logit: {@code sigmoid(scale * logit + shift)}. */
    public Builder optCalibration(double scale, double shift) {
      this.calibrationScale = scale;
      this.calibrationShift = shift;
      return this;
    }

    /** Validates and builds; messages say which field is wrong and which setter fixes it. */
    public DienConfig build() {
      if (numericFeatures == null) {
        throw new IllegalStateException("numericFeatures not set: call setNumericFeatures");
      }
      if (categoricalFeatures == null) {
        throw new IllegalStateException("categoricalFeatures not set: call setCategoricalFeatures");
      }
      if (candidateFeature == null) {
        throw new IllegalStateException("candidateFeature not set: call setCandidateFeature");
      }
      if (pooledSequence == null || history == null || negatives == null) {
        throw new IllegalStateException(
            "sequence features not set: call setPooledSequence, setHistory and setNegatives");
      }
      return new DienConfig(
          embeddingSize,
          attentionHidden,
          attentionActivation,
          attentionDropout,
          mlpHidden,
          mlpActivation,
          mlpDropout,
          evolution,
          useNegSampling,
          auxHidden,
          itemTable,
          bnEpsMlp,
          bnEpsDice,
          numericFeatures,
          categoricalFeatures,
          candidateFeature,
          pooledSequence,
          history,
          negatives,
          wideFeatures,
          calibrationScale,
          calibrationShift);
    }
  }

  private static int candidateIndexOf(List<CategoricalFeature> cats, String candidate) {
    for (int i = 0; i < cats.size(); i++) {
      if (cats.get(i).name().equals(candidate)) {
        return i;
      }
    }
    return -1;
  }

  private static List<Integer> copyPositive(String field, List<Integer> sizes) {
    Objects.requireNonNull(sizes, field + " must not be null");
    if (sizes.isEmpty()) {
      throw new IllegalArgumentException(field + " must hold at least one layer size");
    }
    for (Integer s : sizes) {
      if (s == null || s < 1) {
        throw new IllegalArgumentException(field + " sizes must be > 0, got " + sizes);
      }
    }
    return List.copyOf(sizes);
  }

  private static void checkDropout(String field, double rate) {
    if (!(rate >= 0 && rate < 1)) {
      throw new IllegalArgumentException(field + " must be in [0, 1), got " + rate);
    }
  }

  private static JsonNode required(JsonNode node, String field) {
    JsonNode v = node == null ? null : node.get(field);
    if (v == null || v.isNull()) {
      throw new IllegalArgumentException("golden config has no field " + field);
    }
    return v;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  private static List<Integer> ints(JsonNode array) {
    List<Integer> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asInt()));
    return out;
  }

  private static Activation activation(String name) {
    return Activation.valueOf(name.toUpperCase(Locale.ROOT));
  }

  private static int seqLength(JsonNode inputs, String feature, int fallback) {
    JsonNode rows = inputs == null ? null : inputs.get(feature);
    if (rows == null || !rows.isArray() || rows.isEmpty()) {
      return fallback;
    }
    return rows.get(0).size();
  }
}
