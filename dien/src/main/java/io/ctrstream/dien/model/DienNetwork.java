package io.ctrstream.dien.model;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.JsonNode;
import io.ctrstream.dien.model.DienConfig.Evolution;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * The DIEN network (Zhou et al., AAAI 2019) exactly as the reference PyTorch implementation
 * computes it, on DJL's PyTorch engine. It owns its parameters (one long-lived {@link NDManager});
 * every forward pass allocates only in the caller's manager.
 *
 * <p>Flow of {@link #forward}: embeddings (one table per feature) -> max-pooled genres -> interest
 * extractor GRU over the history (eq. 1-4) -> auxiliary loss of interest state t against the real
 * and the negative item t+1 (eq. 6) -> attention of the candidate over the interests -> interest
 * evolution (GRU / AIGRU / AGRU / AUGRU, eq. 7-9) -> final MLP over [numeric, categorical
 * embeddings, pooled genres, interest] -> one logit.
 *
 * <p>Shape legend: B = batch, T = history length, G = genres length, E = embedding size, H =
 * hidden size (= E), D = final MLP input width.
 *
 * <p>Parameter names are the reference's PyTorch {@code state_dict} names, so golden vectors load
 * by name and saved bundles are readable next to the reference.
 *
 * <p>Cold users (no history) are defined here, where the reference crashes: their interest vector
 * is zero, their attention scores are zero, and they add nothing to the auxiliary loss.
 *
 * <p>Threads: {@link #predictProbabilities} may run on several threads at once. Training ({@link
 * DienTrainStep}) and loading change parameters in place and must not overlap with anything else.
 */
public final class DienNetwork implements AutoCloseable {

  private static final int FORMAT_MAGIC = 0x4449454E; // "DIEN"
  private static final int FORMAT_VERSION = 1;
  private static final String GROUP = "attention_pooling:group1.";

  private final DienConfig config;
  private final NDManager manager;
  private final Map<String, NDArray> params = new LinkedHashMap<>();
  private final Map<String, NDArray> trainable = new LinkedHashMap<>();

  // Embedding tables; history/negatives alias the candidate table when the item table is SHARED.
  private final NDArray[] categoricalTables;
  private final NDArray genresTable;
  private final NDArray historyTable;
  private final NDArray negativesTable;
  private final NDList extractor;
  private final List<Dense> auxLayers = new ArrayList<>();
  private final List<MlpLayer> attentionLayers = new ArrayList<>();
  private final Dense attentionFc;
  private final NDList evolutionGru; // GRU and AIGRU
  private final Dense evolutionIh; // AGRU and AUGRU cell
  private final Dense evolutionHh;
  private final List<MlpLayer> mlpLayers = new ArrayList<>();
  private final Dense finalLayer;
  private final Dense wideLayer; // null without wide features
  private final Object fastEvalLock = new Object();
  private volatile FastEval fastEval; // null until the first prediction after a change

  private DienNetwork(DienConfig config, long seed) {
    this.config = config;
    this.manager = NDManager.newBaseManager(Device.cpu(), "PyTorch");
    Random rng = new Random(seed);
    int e = config.embeddingSize();
    int h = e;
    List<DienConfig.CategoricalFeature> cats = config.categoricalFeatures();

    // Embeddings, in the reference's registration order (categorical, then sequences).
    categoricalTables = new NDArray[cats.size()];
    for (int i = 0; i < cats.size(); i++) {
      categoricalTables[i] = embeddingTable(cats.get(i).name(), cats.get(i).vocabSize(), e, rng);
    }
    NDArray candidateTable = categoricalTables[config.candidateIndex()];
    genresTable =
        embeddingTable(config.pooledSequence().name(), config.pooledSequence().vocabSize(), e, rng);
    boolean shared = config.itemTable() == DienConfig.ItemTable.SHARED;
    historyTable =
        shared
            ? candidateTable
            : embeddingTable(config.history().name(), config.history().vocabSize(), e, rng);
    negativesTable =
        shared
            ? candidateTable
            : embeddingTable(config.negatives().name(), config.negatives().vocabSize(), e, rng);

    // Interest extractor: nn.GRU(E, H), default init U(-1/sqrt(H), 1/sqrt(H)).
    extractor = gruWeights(GROUP + "interest_extractor.", "_l0", 3, e, h, rng);

    if (config.useNegSampling()) {
      int in = 2 * e;
      List<Integer> sizes = config.auxHidden();
      for (int i = 0; i < sizes.size(); i++) {
        auxLayers.add(dense(GROUP + "auxiliary_net.mlp.dense" + i, in, sizes.get(i), rng));
        in = sizes.get(i);
      }
      auxLayers.add(dense(GROUP + "auxiliary_net.mlp.final_layer", in, 1, rng));
    }

    buildMlp(
        GROUP + "attention.mlp.mlp.", 4 * e, config.attentionHidden(),
        config.attentionActivation(), config.attentionDropout(), attentionLayers, rng);
    List<Integer> att = config.attentionHidden();
    attentionFc = dense(GROUP + "attention.fc", att.get(att.size() - 1), 1, rng);

    Evolution evo = config.evolution();
    if (evo == Evolution.GRU || evo == Evolution.AIGRU) {
      evolutionGru = gruWeights(GROUP + "interest_evolution.", "_l0", 3, h, h, rng);
      evolutionIh = null;
      evolutionHh = null;
    } else {
      int gates = evo == Evolution.AUGRU ? 3 : 2;
      NDList cell = gruWeights(GROUP + "interest_evolution.rnn.", "", gates, h, h, rng);
      evolutionGru = null;
      evolutionIh = new Dense(cell.get(0), cell.get(2));
      evolutionHh = new Dense(cell.get(1), cell.get(3));
    }

    buildMlp(
        "mlp.mlp.", config.mlpInputSize(), config.mlpHidden(), config.mlpActivation(),
        config.mlpDropout(), mlpLayers, rng);
    List<Integer> mlp = config.mlpHidden();
    finalLayer = dense("final_layer", mlp.get(mlp.size() - 1), 1, rng);
    // The wide part (Wide & Deep): the last W numeric columns enter the logit linearly. It starts
    // at zero; DienFitter sets it to a logistic regression's solution before training.
    int w = config.wideFeatures().size();
    wideLayer =
        w == 0
            ? null
            : new Dense(
                register("wide.weight", new Shape(1, w), new float[w], true),
                register("wide.bias", new Shape(1), new float[1], true));

    for (NDArray p : trainable.values()) {
      p.setRequiresGradient(true);
    }
  }

  /**
   * A new network initialised as the reference's {@code init_weights}: Linear weights
   * kaiming-uniform and biases N(0, 1); BatchNorm weights N(1, 0.02) and biases 0 (Dice's too);
   * embeddings N(0, 1) with a zero padding row; GRU and attention-GRU weights U(+-1/sqrt(H));
   * PReLU 0.25; Dice alpha 0. The same seed gives the same weights.
   */
  public static DienNetwork create(DienConfig config, long seed) {
    return new DienNetwork(config, seed);
  }

  /**
   * A network for {@code config} with the parameters {@link #saveParameters} wrote.
   *
   * @throws IOException when the stream is not such parameters or belongs to another config
   */
  public static DienNetwork fromParameters(DienConfig config, InputStream parameters)
      throws IOException {
    DienNetwork net = new DienNetwork(config, 0);
    try {
      net.loadParameters(parameters);
      return net;
    } catch (IOException | RuntimeException e) {
      net.close();
      throw e;
    }
  }

  public DienConfig config() {
    return config;
  }

  /** Number of trainable scalars (BatchNorm running statistics excluded, as torch counts). */
  public long parameterCount() {
    long n = 0;
    for (NDArray p : trainable.values()) {
      n += p.size();
    }
    return n;
  }

  /** Every parameter and buffer name, in state_dict order. */
  public List<String> parameterNames() {
    return List.copyOf(params.keySet());
  }

  /** A copy of one parameter's values, row-major. */
  /** Every parameter's values by name, in registration order (a copy; see {@link #loadStateDict}). */
  public Map<String, float[]> stateDict() {
    Map<String, float[]> out = new LinkedHashMap<>();
    for (String name : params.keySet()) {
      out.put(name, parameterValues(name));
    }
    return out;
  }

  public float[] parameterValues(String name) {
    return lookup(name).toFloatArray();
  }

  /** The shape of one parameter. */
  public long[] parameterShape(String name) {
    return lookup(name).getShape().getShape();
  }

  /** Trainable parameters by name (live arrays; for {@link DienTrainStep}). */
  Map<String, NDArray> trainableParameters() {
    return Collections.unmodifiableMap(trainable);
  }

  NDManager parameterManager() {
    return manager;
  }

  /**
   * One forward pass. Everything it creates is attached to {@code m}. In training mode BatchNorm
   * uses batch statistics (and updates its running statistics) and dropout is active; call it
   * under a {@code GradientCollector} to get gradients, or see {@link DienTrainStep}. In eval mode
   * ({@code training == false}) autograd is off for the call: no graph is recorded.
   *
   * @throws IllegalArgumentException when the batch does not fit this config (widths, id ranges)
   */
  public ForwardResult forward(NDManager m, EncodedBatch batch, boolean training) {
    if (training) {
      parametersChanged(); // running statistics move; the caller then updates parameters
      return forward(m, batch, true, true);
    }
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      return forward(m, batch, false, true);
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }

  /**
   * Click probabilities in eval mode (running statistics, no dropout, no auxiliary loss, no
   * autograd). Creates and closes its own native memory: nothing outlives the call except, for
   * AGRU / AUGRU, the folded eval weights of {@link FastEval}, built once per parameter version
   * and equal to the plain eval forward up to float rounding (about half the native ops).
   */
  public float[] predictProbabilities(EncodedBatch batch) {
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try (NDManager m = manager.newSubManager()) {
      Evolution evo = config.evolution();
      if (evo == Evolution.AUGRU || evo == Evolution.AGRU) {
        checkBatch(batch);
        return fastEval().predict(m, batch);
      }
      NDArray logits = forward(m, batch, false, false).logits();
      if (config.calibrated()) {
        logits = logits.mul(Ops.scalar(m, config.calibrationScale().floatValue()))
            .add(Ops.scalar(m, config.calibrationShift().floatValue()));
      }
      return Activation.sigmoid(logits).toFloatArray();
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }

  /**
   * The folded eval weights of the current parameters, built on first use after a change. Call
   * with autograd off.
   */
  private FastEval fastEval() {
    FastEval f = fastEval;
    if (f != null) {
      return f;
    }
    synchronized (fastEvalLock) {
      if (fastEval == null) {
        fastEval =
            new FastEval(
                manager, config, categoricalTables, genresTable, historyTable, extractor,
                attentionLayers, attentionFc, evolutionIh, evolutionHh, mlpLayers, finalLayer,
                wideLayer);
      }
      return fastEval;
    }
  }

  /**
   * Drops the folded eval weights: parameters or BatchNorm statistics are about to change
   * (training forward, optimiser step, loading). Never concurrent with prediction (class
   * contract), so closing here cannot pull weights from under a running call.
   */
  void parametersChanged() {
    synchronized (fastEvalLock) {
      if (fastEval != null) {
        fastEval.close();
        fastEval = null;
      }
    }
  }

  private ForwardResult forward(NDManager m, EncodedBatch x, boolean training, boolean withAux) {
    checkBatch(x);
    final int b = x.size();
    final int t = x.historyLength();
    final int e = config.embeddingSize();
    final int h = e;
    int[] lengths = x.historyLengths();
    boolean anyCold = false;
    for (int len : lengths) {
      anyCold |= len == 0;
    }
    boolean withNeg = withAux && config.useNegSampling();
    Inputs in = inputs(m, x, lengths, anyCold, withNeg);

    // Embeddings.
    NDList mlpInputs = new NDList();
    if (in.numeric != null) {
      mlpInputs.add(in.numeric); // (B, nNum)
    }
    NDArray query = null;
    for (int c = 0; c < in.categorical.length; c++) {
      NDArray emb = Ops.embedding(in.categorical[c], categoricalTables[c]); // (B, E)
      mlpInputs.add(emb);
      if (c == config.candidateIndex()) {
        query = emb;
      }
    }
    NDArray genres =
        Ops.embedding(in.genres, genresTable) // (B, G, E)
            .max(new int[] {1}); // (B, E): padding rows are zero vectors and take part
    mlpInputs.add(genres);
    NDArray keys = Ops.embedding(in.history, historyTable); // (B, T, E)
    NDArray validMask = in.valid; // (B, T, 1)

    // Interest extractor (eq. 1-4); states past each row's length are zeroed, as
    // pad_packed_sequence does, because the attention BatchNorm sees them.
    NDArray interests =
        Ops.gru(keys, m.zeros(new Shape(1, b, h)), extractor, training) // (B, T, H)
            .mul(validMask); // (B, T, H)

    NDArray aux = null;
    if (withNeg) {
      NDArray negKeys = Ops.embedding(in.negatives, negativesTable); // (B, T, E)
      aux = auxiliaryLoss(m, interests, keys, negKeys, lengths);
    }

    NDArray maskAddArr = in.maskAdd; // (B, T)
    NDArray rowValidArr = in.rowValid; // (B, 1) or null when no row is cold
    NDArray interest;
    switch (config.evolution()) {
      case GRU -> {
        NDArray evolved =
            Ops.gru(interests, m.zeros(new Shape(1, b, h)), evolutionGru, training) // (B, T, H)
                .mul(validMask); // (B, T, H)
        NDArray scores = attention(query, evolved, maskAddArr, rowValidArr, training); // (B, T)
        interest = scores.reshape(b, 1, t).matMul(evolved).reshape(b, h); // (B, H)
      }
      case AIGRU -> {
        NDArray scores = attention(query, interests, maskAddArr, rowValidArr, training); // (B, T)
        // i'_t = a_t * i_t, then a plain GRU; the state at each row's last valid step.
        NDArray scaled = interests.mul(scores.reshape(b, t, 1)); // (B, T, H)
        NDArray states = Ops.gru(scaled, m.zeros(new Shape(1, b, h)), evolutionGru, training);
        long[] last = new long[b * h];
        for (int r = 0; r < b; r++) {
          Arrays.fill(last, r * h, (r + 1) * h, Math.max(lengths[r] - 1, 0));
        }
        interest =
            states.gather(m.create(last, new Shape(b, 1, h)), 1).reshape(b, h); // (B, H)
        if (rowValidArr != null) {
          interest = interest.mul(rowValidArr); // (B, H)
        }
      }
      case AGRU, AUGRU -> {
        NDArray scores = attention(query, interests, maskAddArr, rowValidArr, training); // (B, T)
        interest = attentionalGru(m, interests, scores, b, t, h); // (B, H)
      }
      default -> throw new IllegalStateException("unknown evolution " + config.evolution());
    }
    mlpInputs.add(interest);

    NDArray z = NDArrays.concat(mlpInputs, 1); // (B, D)
    for (MlpLayer layer : mlpLayers) {
      z = layer.forward(z, training); // (B, hidden)
    }
    NDArray logits = Ops.linear(z, finalLayer.w, finalLayer.b); // (B, 1)
    if (wideLayer != null) {
      logits = logits.add(wide(in.numeric, b)); // deep + wide, (B, 1)
    }
    return new ForwardResult(logits.reshape(b), aux);
  }

  /** The wide part's logit: the last W numeric columns times the wide weights, (B, 1). */
  private NDArray wide(NDArray numeric, int b) {
    int w = config.wideFeatures().size();
    int n = config.numericFeatures().size();
    NDArray columns = n == w ? numeric : numeric.get(":, " + (n - w) + ":"); // (B, W)
    return Ops.linear(columns, wideLayer.w, wideLayer.b); // (B, 1)
  }

  /** The batch as tensors: all ids in one int64 tensor, all floats in one float32 tensor. */
  private record Inputs(
      NDArray numeric,
      NDArray[] categorical,
      NDArray genres,
      NDArray history,
      NDArray negatives,
      NDArray valid,
      NDArray maskAdd,
      NDArray rowValid) {}

  /**
   * Creating a tensor from Java costs far more than slicing one, so the ids go over in one int64
   * array (categorical columns first, column by column, then genres, history, negatives) and the
   * floats in one float32 array (numeric, valid mask, additive attention mask, row-valid), each
   * split into views with one op.
   */
  private static Inputs inputs(
      NDManager m, EncodedBatch x, int[] lengths, boolean anyCold, boolean withNeg) {
    int b = x.size();
    int t = x.historyLength();
    int g = x.genresLength();
    int nCat = x.categoricalWidth();
    int nNum = x.numericWidth();
    int nIds = b * (nCat + g + t + (withNeg ? t : 0));
    long[] ids = new long[nIds];
    int o = 0;
    int[] cat = x.categorical();
    for (int c = 0; c < nCat; c++) {
      for (int r = 0; r < b; r++) {
        ids[o++] = cat[r * nCat + c];
      }
    }
    for (int v : x.genres()) {
      ids[o++] = v;
    }
    for (int v : x.history()) {
      ids[o++] = v;
    }
    if (withNeg) {
      for (int v : x.negatives()) {
        ids[o++] = v;
      }
    }
    long[] idCuts = new long[nCat + (withNeg ? 2 : 1)];
    long cut = 0;
    for (int c = 0; c < nCat; c++) {
      cut += b;
      idCuts[c] = cut;
    }
    idCuts[nCat] = cut + (long) b * g;
    if (withNeg) {
      idCuts[nCat + 1] = cut + (long) b * (g + t);
    }
    NDList idParts = m.create(ids, new Shape(nIds)).split(idCuts, 0);
    NDArray[] categorical = new NDArray[nCat];
    for (int c = 0; c < nCat; c++) {
      categorical[c] = idParts.get(c); // (B)
    }
    NDArray genres = idParts.get(nCat).reshape(b, g); // (B, G)
    NDArray history = idParts.get(nCat + 1).reshape(b, t); // (B, T)
    NDArray negatives = withNeg ? idParts.get(nCat + 2).reshape(b, t) : null; // (B, T)

    int nFloats = b * nNum + 2 * b * t + (anyCold ? b : 0);
    float[] f = new float[nFloats];
    System.arraycopy(x.numeric(), 0, f, 0, b * nNum);
    int valid = b * nNum;
    int mask = valid + b * t;
    int rows = mask + b * t;
    for (int r = 0; r < b; r++) {
      int len = lengths[r];
      for (int s = 0; s < t; s++) {
        f[valid + r * t + s] = s < len ? 1f : 0f;
        // A cold row keeps every position unmasked so its softmax stays finite; rowValid then
        // zeroes its scores.
        f[mask + r * t + s] = (s < len || len == 0) ? 0f : Float.NEGATIVE_INFINITY;
      }
      if (anyCold) {
        f[rows + r] = len > 0 ? 1f : 0f;
      }
    }
    long[] floatCuts = anyCold ? new long[] {valid, mask, rows} : new long[] {valid, mask};
    NDList fParts = m.create(f, new Shape(nFloats)).split(floatCuts, 0);
    return new Inputs(
        nNum > 0 ? fParts.get(0).reshape(b, nNum) : null, // (B, nNum)
        categorical,
        genres,
        history,
        negatives,
        fParts.get(1).reshape(b, t, 1), // (B, T, 1)
        fParts.get(2).reshape(b, t), // (B, T)
        anyCold ? fParts.get(3).reshape(b, 1) : null); // (B, 1)
  }

  /**
   * Attention scores of the candidate over the keys (DIEN eq. 7 with DIN's MLP): an MLP over [q,
   * k, q-k, q*k], a linear layer to one score, / sqrt(E), masked past each length, softmax over
   * time. Returns (B, T); zero past each length and for cold rows.
   */
  private NDArray attention(
      NDArray query, NDArray keys, NDArray maskAdd, NDArray rowValid, boolean training) {
    Shape ks = keys.getShape();
    long b = ks.get(0);
    long t = ks.get(1);
    long e = ks.get(2);
    NDArray q = query.reshape(b, 1, e); // (B, 1, E)
    NDArray din =
        NDArrays.concat(
            new NDList(q.broadcast(b, t, e), keys, q.sub(keys), q.mul(keys)), 2); // (B, T, 4E)
    NDArray z = din.reshape(b * t, 4 * e); // (B*T, 4E): padded positions take part in BatchNorm
    for (MlpLayer layer : attentionLayers) {
      z = layer.forward(z, training); // (B*T, hidden)
    }
    NDArray scores =
        Ops.linear(z, attentionFc.w, attentionFc.b) // (B*T, 1)
            .reshape(b, t) // (B, T)
            .div(Ops.scalar(query.getManager(), (float) Math.sqrt(e))) // see Ops.scalar
            .add(maskAdd)
            .softmax(1); // (B, T)
    return rowValid == null ? scores : scores.mul(rowValid); // (B, T)
  }

  /**
   * AGRU / AUGRU over the interests, one step per time slot. Input projections of all steps are
   * one matmul. Past a row's length its score is 0, which freezes the state (u' = 0), so the final
   * state is the state at the last valid step, as the reference's packed loop gives.
   */
  private NDArray attentionalGru(
      NDManager m, NDArray interests, NDArray scores, int b, int t, int h) {
    boolean augru = config.evolution() == Evolution.AUGRU;
    // Gate blocks as separate weights, so that every per-step tensor is contiguous: AUGRU rows
    // (update, reset | new), AGRU rows (reset | new).
    long[] cut = {augru ? 2L * h : h};
    NDList wi = evolutionIh.w.split(cut, 0); // (gH, H), (H, H)
    NDList bi = evolutionIh.b.split(cut, 0);
    NDList wh = evolutionHh.w.split(cut, 0);
    NDList bh = evolutionHh.b.split(cut, 0);
    for (NDList views : List.of(wi, bi, wh, bh)) {
      views.attach(m); // views of parameters: free them with this call's manager
    }
    NDArray xs = interests.transpose(1, 0, 2); // (T, B, H)
    NDList giGates = Ops.linear(xs, wi.get(0), bi.get(0)).split(t, 0); // T x (1, B, gH)
    NDList giNew = Ops.linear(xs, wi.get(1), bi.get(1)).split(t, 0); // T x (1, B, H)
    NDList att = scores.transpose().reshape(t, b, 1).split(t, 0); // T x (1, B, 1)
    NDArray state = m.zeros(new Shape(1, b, h)); // (1, B, H)
    for (int s = 0; s < t; s++) {
      NDArray gates =
          Activation.sigmoid(
              giGates.get(s).add(Ops.linear(state, wh.get(0), bh.get(0)))); // (1, B, gH)
      NDArray hNew = Ops.linear(state, wh.get(1), bh.get(1)); // (1, B, H)
      NDArray reset;
      NDArray step; // the weight of the new state
      if (augru) {
        NDList ur = gates.split(2, 2); // (1, B, H) x 2: update, reset
        reset = ur.get(1);
        step = ur.get(0).mul(att.get(s)); // AUGRU: u'_t = a_t * u_t
      } else {
        reset = gates;
        step = att.get(s); // AGRU: the attention score replaces the update gate
      }
      NDArray candidate = giNew.get(s).add(reset.mul(hNew)).tanh(); // (1, B, H)
      // h_t = (1 - u'_t) * h_{t-1} + u'_t * n_t
      state = state.add(step.mul(candidate.sub(state))); // (1, B, H)
    }
    return state.reshape(b, h); // (B, H)
  }

  /**
   * Auxiliary loss (DIEN eq. 6): interest state t against the real item t+1 (label 1) and the
   * negative t+1 (label 0), through the auxiliary MLP with sigmoid output; binary cross-entropy
   * (log clamped at -100 like torch) averaged over the valid positions of all rows together. A
   * row of length L has L-1 of them; when no row has any the loss is 0.
   */
  private NDArray auxiliaryLoss(
      NDManager m, NDArray interests, NDArray keys, NDArray negKeys, int[] lengths) {
    long b = keys.getShape().get(0);
    int t = (int) keys.getShape().get(1);
    long e = keys.getShape().get(2);
    if (t < 2) {
      return m.zeros(new Shape());
    }
    int steps = t - 1;
    NDIndex head = new NDIndex().addAllDim().addSliceDim(0, steps);
    NDIndex tail = new NDIndex().addAllDim().addSliceDim(1, t);
    NDArray states = interests.get(head); // (B, T-1, H)
    NDArray clickInput = NDArrays.concat(new NDList(states, keys.get(tail)), 2); // (B, T-1, 2E)
    NDArray noClickInput = NDArrays.concat(new NDList(states, negKeys.get(tail)), 2);
    NDArray z =
        NDArrays.concat(new NDList(clickInput, noClickInput), 0) // (2B, T-1, 2E)
            .reshape(2 * b * steps, 2 * e); // (2B*(T-1), 2E)
    for (int i = 0; i < auxLayers.size(); i++) {
      Dense d = auxLayers.get(i);
      z = Ops.linear(z, d.w, d.b); // (2B*(T-1), hidden), last: (2B*(T-1), 1)
      if (i < auxLayers.size() - 1) {
        z = Activation.sigmoid(z);
      }
    }
    int n = 0;
    for (int len : lengths) {
      n += Math.max(len - 1, 0);
    }
    int rows = (int) (2 * b * steps);
    // One float array, three columns of (2B*(T-1), 1): sign, offset, weight.
    float[] consts = new float[3 * rows];
    float w = n == 0 ? 0f : -1f / (2f * n);
    for (int half = 0; half < 2; half++) {
      for (int r = 0; r < b; r++) {
        for (int s = 0; s < steps; s++) {
          int i = (int) ((half * b + r) * steps + s);
          // q = p for the real item, 1 - p for the negative: q = p * sign + offset.
          consts[i] = half == 0 ? 1f : -1f;
          consts[rows + i] = half == 0 ? 0f : 1f;
          consts[2 * rows + i] = s < lengths[r] - 1 ? w : 0f;
        }
      }
    }
    NDList columns = m.create(consts, new Shape(3L * rows, 1)).split(3, 0); // 3 x (2B*(T-1), 1)
    NDArray signArr = columns.get(0);
    NDArray offsetArr = columns.get(1);
    NDArray weightArr = columns.get(2);
    // The value is torch's: p = sigmoid(z), -clamp(log(q), -100) with q = p or 1 - p. Its
    // gradient through log(q) is 0 * inf = NaN wherever p saturates to exactly 0 or 1 (masked
    // positions included), so the gradient comes from the stable BCE-with-logits form
    // softplus(-z * sign) instead, whose derivative sigmoid(z) - y is what torch's BCE backward
    // computes: aux = value (no gradient) + stable - stable (no gradient).
    NDArray zd = z.stopGradient(); // (2B*(T-1), 1)
    NDArray value =
        Activation.sigmoid(zd)
            .mul(signArr)
            .add(offsetArr) // q
            .log()
            .clip(-100f, Float.MAX_VALUE)
            .mul(weightArr)
            .sum(); // ()
    NDArray stable = Activation.softPlus(z.mul(signArr).neg()).mul(weightArr.neg()).sum(); // ()
    return value.add(stable.sub(stable.stopGradient())); // (): exactly value, since b - b = 0
  }

  // ---------------------------------------------------------------------------------------------
  // Loading and saving

  /**
   * Loads parameters by their PyTorch state_dict names (golden-vector files): every parameter
   * and running statistic of this network must be present with the same shape.
   *
   * @param stateDict name -> {shape: [..], values: [..] row-major}
   */
  public void loadStateDict(JsonNode stateDict) {
    Map<String, float[]> values = new LinkedHashMap<>();
    for (String name : params.keySet()) {
      JsonNode entry = stateDict.get(name);
      if (entry == null) {
        throw new IllegalArgumentException(
            "state_dict has no " + name + "; does the file match this config ("
                + config.evolution() + ", negsampling " + config.useNegSampling() + ")?");
      }
      long[] shape = new long[entry.get("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        shape[i] = entry.get("shape").get(i).asLong();
      }
      checkShape(name, shape);
      JsonNode v = entry.get("values");
      float[] data = new float[v.size()];
      for (int i = 0; i < data.length; i++) {
        data[i] = (float) v.get(i).asDouble();
      }
      values.put(name, data);
    }
    loadStateDict(values);
  }

  /**
   * Loads parameters by name from flat row-major arrays; every parameter of this network must be
   * present with the right number of values. Extra names are ignored.
   */
  public void loadStateDict(Map<String, float[]> values) {
    for (String name : params.keySet()) {
      float[] v = values.get(name);
      if (v == null) {
        throw new IllegalArgumentException("state dict has no value for " + name);
      }
      if (v.length != params.get(name).size()) {
        throw new IllegalArgumentException(
            name + " needs " + params.get(name).size() + " values, got " + v.length);
      }
    }
    parametersChanged();
    boolean gradMode = JniUtils.isGradMode();
    JniUtils.setGradMode(false);
    try {
      // Copied into each parameter's own memory: NDArray.set(float[]) would point the parameter
      // at a direct buffer that only that Java object keeps alive (see Ops.owned).
      for (Map.Entry<String, NDArray> p : params.entrySet()) {
        NDArray target = p.getValue();
        try (NDArray value = Ops.owned(manager.create(values.get(p.getKey()), target.getShape()))) {
          target.set(new NDIndex(":"), value);
        }
      }
    } finally {
      JniUtils.setGradMode(gradMode);
    }
  }

  /**
   * Writes every parameter and running statistic (names, shapes, float32 values) in a small
   * binary format; {@link #loadParameters} restores them bit for bit.
   */
  public void saveParameters(OutputStream out) throws IOException {
    DataOutputStream data = new DataOutputStream(out);
    data.writeInt(FORMAT_MAGIC);
    data.writeInt(FORMAT_VERSION);
    data.writeInt(params.size());
    for (Map.Entry<String, NDArray> p : params.entrySet()) {
      data.writeUTF(p.getKey());
      long[] shape = p.getValue().getShape().getShape();
      data.writeInt(shape.length);
      for (long d : shape) {
        data.writeLong(d);
      }
      float[] v = p.getValue().toFloatArray();
      ByteBuffer buf = ByteBuffer.allocate(v.length * 4).order(ByteOrder.BIG_ENDIAN);
      buf.asFloatBuffer().put(v);
      data.writeInt(v.length);
      data.write(buf.array());
    }
    data.flush();
  }

  /**
   * Reads what {@link #saveParameters} wrote. The names and shapes must be exactly this network's
   * (same config); nothing changes unless the whole stream is valid.
   *
   * @throws IOException when the stream is truncated, not this format, or for another network
   */
  public void loadParameters(InputStream in) throws IOException {
    DataInputStream data = new DataInputStream(in);
    if (data.readInt() != FORMAT_MAGIC) {
      throw new IOException("not a DIEN parameter stream (bad magic)");
    }
    int version = data.readInt();
    if (version != FORMAT_VERSION) {
      throw new IOException("unsupported DIEN parameter format version " + version);
    }
    int count = data.readInt();
    if (count != params.size()) {
      throw new IOException(
          "parameter stream has " + count + " tensors, this network has " + params.size()
              + "; was it saved from another config?");
    }
    Map<String, float[]> values = new LinkedHashMap<>();
    for (int i = 0; i < count; i++) {
      String name = data.readUTF();
      NDArray target = params.get(name);
      if (target == null) {
        throw new IOException("parameter stream has " + name + ", unknown to this network");
      }
      int rank = data.readInt();
      if (rank < 0 || rank > 8) {
        throw new IOException("bad rank " + rank + " for " + name);
      }
      long[] shape = new long[rank];
      for (int d = 0; d < rank; d++) {
        shape[d] = data.readLong();
      }
      try {
        checkShape(name, shape);
      } catch (IllegalArgumentException ex) {
        throw new IOException(ex.getMessage(), ex);
      }
      int n = data.readInt();
      if (n != target.size()) {
        throw new IOException(name + " has " + n + " values, expected " + target.size());
      }
      byte[] bytes = new byte[n * 4];
      data.readFully(bytes);
      float[] v = new float[n];
      ByteBuffer.wrap(bytes).order(ByteOrder.BIG_ENDIAN).asFloatBuffer().get(v);
      values.put(name, v);
    }
    loadStateDict(values);
  }

  @Override
  public void close() {
    parametersChanged();
    manager.close();
  }

  // ---------------------------------------------------------------------------------------------
  // Construction helpers

  private NDArray register(String name, Shape shape, float[] init, boolean isTrainable) {
    NDArray a = Ops.owned(manager.create(init, shape));
    a.setName(name);
    params.put(name, a);
    if (isTrainable) {
      trainable.put(name, a);
    }
    return a;
  }

  private NDArray embeddingTable(String feature, int rows, int e, Random rng) {
    float[] w = normal(rng, rows * e, 0, 1);
    Arrays.fill(w, 0, e, 0f); // padding_idx=0
    return register("embedding:" + feature + ".weight", new Shape(rows, e), w, true);
  }

  private Dense dense(String prefix, int in, int out, Random rng) {
    float bound = (float) Math.sqrt(6.0 / in); // kaiming_uniform_, a=0
    NDArray w = register(prefix + ".weight", new Shape(out, in), uniform(rng, out * in, bound), true);
    NDArray b = register(prefix + ".bias", new Shape(out), normal(rng, out, 0, 1), true);
    return new Dense(w, b);
  }

  private Norm norm(String prefix, int n, double eps, Random rng) {
    NDArray gamma = register(prefix + ".weight", new Shape(n), normal(rng, n, 1, 0.02), true);
    NDArray beta = register(prefix + ".bias", new Shape(n), new float[n], true);
    NDArray mean = register(prefix + ".running_mean", new Shape(n), new float[n], false);
    float[] ones = new float[n];
    Arrays.fill(ones, 1f);
    NDArray var = register(prefix + ".running_var", new Shape(n), ones, false);
    return new Norm(gamma, beta, mean, var, eps);
  }

  private NDList gruWeights(String prefix, String suffix, int gates, int in, int h, Random rng) {
    float bound = (float) (1.0 / Math.sqrt(h));
    NDArray wih =
        register(prefix + "weight_ih" + suffix, new Shape(gates * h, in),
            uniform(rng, gates * h * in, bound), true);
    NDArray whh =
        register(prefix + "weight_hh" + suffix, new Shape(gates * h, h),
            uniform(rng, gates * h * h, bound), true);
    NDArray bih =
        register(prefix + "bias_ih" + suffix, new Shape(gates * h), uniform(rng, gates * h, bound),
            true);
    NDArray bhh =
        register(prefix + "bias_hh" + suffix, new Shape(gates * h), uniform(rng, gates * h, bound),
            true);
    return new NDList(wih, whh, bih, bhh);
  }

  private void buildMlp(
      String prefix, int in, List<Integer> sizes, DienConfig.Activation act, double dropout,
      List<MlpLayer> out, Random rng) {
    int prev = in;
    for (int i = 0; i < sizes.size(); i++) {
      int n = sizes.get(i);
      Dense d = dense(prefix + "dense" + i, prev, n, rng);
      Norm bn = norm(prefix + "batchnorm" + i, n, config.bnEpsMlp(), rng);
      NDArray prelu = null;
      NDArray alpha = null;
      Norm diceBn = null;
      switch (act) {
        case PRELU -> {
          float[] w = {0.25f};
          prelu = register(prefix + "activation" + i + ".weight", new Shape(1), w, true);
        }
        case DICE -> {
          alpha = register(prefix + "activation" + i + ".alpha", new Shape(n), new float[n], true);
          diceBn = norm(prefix + "activation" + i + ".bn", n, config.bnEpsDice(), rng);
        }
        default -> {}
      }
      out.add(new MlpLayer(d, bn, act, prelu, alpha, diceBn, dropout));
      prev = n;
    }
  }

  private static float[] normal(Random rng, int n, double mean, double std) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) (mean + std * rng.nextGaussian());
    }
    return v;
  }

  private static float[] uniform(Random rng, int n, float bound) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) ((rng.nextDouble() * 2 - 1) * bound);
    }
    return v;
  }

  private NDArray lookup(String name) {
    NDArray a = params.get(name);
    if (a == null) {
      throw new IllegalArgumentException("no parameter " + name + "; known: " + params.keySet());
    }
    return a;
  }

  private void checkShape(String name, long[] shape) {
    long[] expected = params.get(name).getShape().getShape();
    if (!Arrays.equals(expected, shape)) {
      throw new IllegalArgumentException(
          name + " has shape " + Arrays.toString(shape) + ", this network needs "
              + Arrays.toString(expected));
    }
  }

  private void checkBatch(EncodedBatch x) {
    if (x.numericWidth() != config.numericFeatures().size()) {
      throw new IllegalArgumentException(
          "batch has " + x.numericWidth() + " numeric columns, the model needs "
              + config.numericFeatures().size());
    }
    List<DienConfig.CategoricalFeature> cats = config.categoricalFeatures();
    if (x.categoricalWidth() != cats.size()) {
      throw new IllegalArgumentException(
          "batch has " + x.categoricalWidth() + " categorical columns, the model needs "
              + cats.size());
    }
    for (float v : x.numeric()) {
      if (!Float.isFinite(v)) {
        throw new IllegalArgumentException("numeric features must be finite, got " + v);
      }
    }
    int nCat = cats.size();
    int[] cat = x.categorical();
    for (int i = 0; i < cat.length; i++) {
      DienConfig.CategoricalFeature f = cats.get(i % nCat);
      checkId(f.name(), cat[i], f.vocabSize(), i / nCat);
    }
    checkIds(config.pooledSequence().name(), x.genres(), config.pooledSequence().vocabSize(),
        x.genresLength());
    checkIds(config.history().name(), x.history(), config.history().vocabSize(),
        x.historyLength());
    if (config.useNegSampling()) {
      if (x.negatives() == null) {
        throw new IllegalArgumentException(
            "this model uses negative sampling: the batch needs negatives");
      }
      checkIds(config.negatives().name(), x.negatives(), config.negatives().vocabSize(),
          x.historyLength());
    }
  }

  private static void checkIds(String feature, int[] ids, int vocab, int width) {
    for (int i = 0; i < ids.length; i++) {
      checkId(feature, ids[i], vocab, i / width);
    }
  }

  private static void checkId(String feature, int id, int vocab, int row) {
    if (id < 0 || id >= vocab) {
      throw new IllegalArgumentException(
          feature + " id " + id + " in row " + row + " is outside [0, " + vocab + ")");
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Layers

  record Dense(NDArray w, NDArray b) {}

  /** BatchNorm1d: affine, running statistics, torch momentum 0.1. */
  record Norm(NDArray gamma, NDArray beta, NDArray mean, NDArray var, double eps) {
    NDArray apply(NDArray x, boolean training) {
      return Ops.batchNorm(x, gamma, beta, mean, var, eps, training);
    }
  }

  /** Linear -> BatchNorm -> activation -> dropout, the reference MLP's layer. */
  record MlpLayer(
      Dense dense,
      Norm norm,
      DienConfig.Activation activation,
      NDArray prelu,
      NDArray diceAlpha,
      Norm diceNorm,
      double dropout) {

    NDArray forward(NDArray x, boolean training) {
      NDArray z = norm.apply(Ops.linear(x, dense.w, dense.b), training); // (N, out)
      NDArray y =
          switch (activation) {
            case DICE -> {
              // Dice: p = sigmoid(BN(z)); y = alpha * (1 - p) * z + p * z = z * (p - p*alpha + alpha)
              NDArray p = Activation.sigmoid(diceNorm.apply(z, training));
              yield z.mul(p.sub(p.mul(diceAlpha)).add(diceAlpha));
            }
            case PRELU -> {
              // PReLU with one weight: relu(z) + w * min(z, 0), and min(z, 0) = z - relu(z).
              NDArray r = Activation.relu(z);
              yield r.add(z.sub(r).mul(prelu));
            }
            case RELU -> Activation.relu(z);
            case SIGMOID -> Activation.sigmoid(z);
          };
      return Ops.dropout(y, dropout, training);
    }
  }
}
