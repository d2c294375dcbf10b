package io.ctrstream.dien.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.jni.JniUtils;
import io.ctrstream.dien.model.DienConfig.Evolution;
import java.util.ArrayList;
import java.util.List;

/**
 * The eval-mode forward of an AGRU / AUGRU {@link DienNetwork} with as few native ops as possible:
 * at serving batch sizes every op costs several microseconds of dispatch whatever its size, so
 * the op count, not the arithmetic, sets the throughput. It computes the same function as the
 * network's eval forward (to float rounding) from weights folded once per parameter version:
 *
 * <ul>
 *   <li>eval BatchNorm is affine, so it is folded into the preceding Linear;
 *   <li>Dice in eval is {@code y = z * (alpha + (1 - alpha) * sigmoid(s * z + c))}, and {@code
 *       z (1 - alpha)}, {@code z alpha} and {@code s z + c} are all affine in the layer input, so
 *       one Linear with three stacked weight blocks yields them;
 *   <li>PReLU with one weight is torch's leaky_relu with that slope (one op);
 *   <li>the attention MLP's first Linear over [q, k, q - k, q * k] is {@code q (Wq + Wd) + k (Wk
 *       - Wd) + (q * k) Wm}: the q term once per row, no (B, T, 4E) concat;
 *   <li>the attention scale 1 / sqrt(E) is folded into the score layer;
 *   <li>all embedding tables are one concatenated table, so every lookup of a batch is one op;
 *   <li>AUGRU input projections (with the hidden bias of the gates) are one matmul for all steps;
 *       a step adds its input projection as the bias of the hidden matmul (addmm) and updates in
 *       place, since no gradient is recorded.
 * </ul>
 *
 * <p>Everything runs time-major: T before B, so that per-step slices are contiguous row blocks.
 * The extractor's states past a row's length are not zeroed: their attention score is exactly 0
 * (masked softmax), which freezes the AUGRU state, so they cannot change the result.
 *
 * <p>Shape legend: B = batch, T = history length, G = genres length, E = embedding size, H =
 * hidden size (= E), n = attention layer width, C = categorical columns.
 *
 * <p>Immutable once built and safe to use from several threads; {@link DienNetwork} closes it
 * when parameters change (training steps, loading), which never overlaps with prediction.
 */
final class FastEval implements AutoCloseable {

  private final NDManager manager;
  private final DienConfig config;
  private final boolean augru;
  private final int e;
  private final int nCat;
  private final long[] tableOffsets; // categorical columns, candidate, genres, history
  private final NDArray table; // (sum of vocabularies, E)
  private final NDList extractor;
  private final Layer attentionFirst; // applied to [k, q * k]; the q part is queryFirst
  private final NDArray queryW; // (n', E)
  private final NDArray queryB; // (n')
  private final List<Layer> attentionRest = new ArrayList<>();
  private final NDArray scoreW; // (1, n_last) / sqrt(E)
  private final NDArray scoreB;
  private final NDArray wiGates; // (gH, H)
  private final NDArray biGates; // (gH): input and hidden bias of the gates
  private final NDArray wiNew; // (H, H)
  private final NDArray biNew;
  private final NDArray whGates; // (gH, H)
  private final NDArray whNew; // (H, H)
  private final NDArray bhNew; // (H)
  private final List<Layer> mlp = new ArrayList<>();
  private final NDArray finalW;
  private final NDArray finalB;
  private final DienNetwork.Dense wide; // null without wide features

  /**
   * One folded Linear (+ BatchNorm) + activation. For Dice the weight has three stacked blocks
   * of width n: z (1 - alpha), z alpha, and the Dice BatchNorm's input to the sigmoid.
   */
  private record Layer(NDArray w, NDArray b, DienConfig.Activation act, int width, float slope) {

    /** The activation over the folded pre-activation {@code z} (any leading shape). */
    NDArray activate(NDArray z) {
      PtNDArray p = (PtNDArray) z;
      return switch (act) {
        case DICE -> {
          NDList parts = JniUtils.split(p, width, -1); // last axis
          NDArray y = parts.get(0); // z (1 - alpha)
          y.muli(JniUtils.sigmoid((PtNDArray) parts.get(2))); // * p
          yield y.addi(parts.get(1)); // + z alpha
        }
        case PRELU -> JniUtils.leakyRelu(p, slope);
        case RELU -> JniUtils.relu(p);
        case SIGMOID -> JniUtils.sigmoid(p);
      };
    }

    NDArray forward(NDArray x) {
      return activate(Ops.linear(x, w, b));
    }
  }

  FastEval(
      NDManager parent,
      DienConfig config,
      NDArray[] categoricalTables,
      NDArray genresTable,
      NDArray historyTable,
      NDList extractorWeights,
      List<DienNetwork.MlpLayer> attentionLayers,
      DienNetwork.Dense attentionFc,
      DienNetwork.Dense evolutionIh,
      DienNetwork.Dense evolutionHh,
      List<DienNetwork.MlpLayer> mlpLayers,
      DienNetwork.Dense finalLayer,
      DienNetwork.Dense wideLayer) {
    // Its own root manager, not a child of the parameters': the folded copies come and go with
    // parameter versions and are not parameters.
    this.manager = NDManager.newBaseManager(parent.getDevice(), "PyTorch");
    try {
      this.config = config;
      this.augru = config.evolution() == Evolution.AUGRU;
      this.e = config.embeddingSize();
      this.nCat = categoricalTables.length;
      int h = e;

      // One table: categorical tables in column order, then genres, then history. The candidate
      // column is looked up a second time (the attention query), at its own table's offset.
      NDList tables = new NDList();
      tableOffsets = new long[nCat + 3];
      long rows = 0;
      for (int c = 0; c < nCat; c++) {
        tableOffsets[c] = rows;
        tables.add(categoricalTables[c]);
        rows += categoricalTables[c].getShape().get(0);
      }
      tableOffsets[nCat] = tableOffsets[config.candidateIndex()];
      tableOffsets[nCat + 1] = rows;
      tables.add(genresTable);
      rows += genresTable.getShape().get(0);
      tableOffsets[nCat + 2] = rows;
      tables.add(historyTable);
      table = own(JniUtils.cat(tables.toArray(new PtNDArray[0]), 0)); // (V, E)

      extractor = extractorWeights; // used as they are: live parameters

      // Attention MLP. First layer: split W over the [q, k, q-k, q*k] column blocks.
      DienNetwork.MlpLayer first = attentionLayers.get(0);
      Folded f0 = fold(first);
      int rowsOut = f0.rows;
      float[] wq = new float[rowsOut * e];
      float[] wkm = new float[rowsOut * 2 * e];
      for (int r = 0; r < rowsOut; r++) {
        for (int j = 0; j < e; j++) {
          float q = f0.w[r * 4 * e + j];
          float k = f0.w[r * 4 * e + e + j];
          float d = f0.w[r * 4 * e + 2 * e + j];
          float m = f0.w[r * 4 * e + 3 * e + j];
          wq[r * e + j] = q + d;
          wkm[r * 2 * e + j] = k - d;
          wkm[r * 2 * e + e + j] = m;
        }
      }
      queryW = create(wq, rowsOut, e);
      queryB = create(f0.b, rowsOut);
      attentionFirst =
          new Layer(create(wkm, rowsOut, 2 * e), create(new float[rowsOut], rowsOut),
              first.activation(), f0.width, f0.slope);
      for (int i = 1; i < attentionLayers.size(); i++) {
        attentionRest.add(layer(attentionLayers.get(i)));
      }
      float[] fw = attentionFc.w().toFloatArray();
      float[] fb = attentionFc.b().toFloatArray();
      float scale = (float) (1.0 / Math.sqrt(e));
      for (int i = 0; i < fw.length; i++) {
        fw[i] *= scale;
      }
      fb[0] *= scale;
      scoreW = create(fw, 1, fw.length);
      scoreB = create(fb, 1);

      // Attention GRU cell; gate rows AUGRU (update, reset | new), AGRU (reset | new).
      int gates = augru ? 2 * h : h;
      float[] wi = evolutionIh.w().toFloatArray();
      float[] bi = evolutionIh.b().toFloatArray();
      float[] wh = evolutionHh.w().toFloatArray();
      float[] bh = evolutionHh.b().toFloatArray();
      float[] big = new float[gates];
      for (int i = 0; i < gates; i++) {
        big[i] = bi[i] + bh[i];
      }
      wiGates = create(slice(wi, 0, gates * h), gates, h);
      biGates = create(big, gates);
      wiNew = create(slice(wi, gates * h, h * h), h, h);
      biNew = create(slice(bi, gates, h), h);
      whGates = create(slice(wh, 0, gates * h), gates, h);
      whNew = create(slice(wh, gates * h, h * h), h, h);
      bhNew = create(slice(bh, gates, h), h);

      for (DienNetwork.MlpLayer l : mlpLayers) {
        mlp.add(layer(l));
      }
      finalW = finalLayer.w();
      finalB = finalLayer.b();
      wide = wideLayer;
    } catch (RuntimeException ex) {
      manager.close();
      throw ex;
    }
  }

  /** Click probabilities of {@code x}; every temporary lives in {@code m}. */
  float[] predict(NDManager m, EncodedBatch x) {
    final int b = x.size();
    final int t = x.historyLength();
    final int g = x.genresLength();
    final int h = e;
    int[] lengths = x.historyLengths();
    boolean anyShort = false;
    boolean anyCold = false;
    for (int len : lengths) {
      anyShort |= len < t;
      anyCold |= len == 0;
    }

    // All ids of a row side by side, shifted into the one table: (B, C + 1 + G + T).
    int width = nCat + 1 + g + t;
    long[] ids = new long[b * width];
    int[] cat = x.categorical();
    int[] genres = x.genres();
    int[] history = x.history();
    int candidate = config.candidateIndex();
    for (int r = 0; r < b; r++) {
      int o = r * width;
      for (int c = 0; c < nCat; c++) {
        ids[o + c] = tableOffsets[c] + cat[r * nCat + c];
      }
      ids[o + nCat] = tableOffsets[nCat] + cat[r * nCat + candidate];
      for (int j = 0; j < g; j++) {
        ids[o + nCat + 1 + j] = tableOffsets[nCat + 1] + genres[r * g + j];
      }
      for (int j = 0; j < t; j++) {
        ids[o + nCat + 1 + g + j] = tableOffsets[nCat + 2] + history[r * t + j];
      }
    }
    NDArray emb = Ops.embedding(m.create(ids, new Shape(b, width)), table); // (B, W, E)
    NDList parts = emb.split(new long[] {nCat, nCat + 1, nCat + 1 + g}, 1);
    NDArray catEmb = parts.get(0).reshape(b, (long) nCat * e); // (B, C*E)
    NDArray query = parts.get(1).reshape(1, b, e); // (1, B, E)
    NDArray pooled = parts.get(2).max(new int[] {1}); // (B, E): padding rows take part
    NDArray keys = parts.get(3).transpose(1, 0, 2); // (T, B, E)

    // Interest extractor (eq. 1-4), time-major.
    NDArray interests =
        JniUtils.gru(
                (PtNDArray) keys, (PtNDArray) m.zeros(new Shape(1, b, h)), extractor, true, 1, 0.0,
                false, false, false)
            .get(0); // (T, B, H)

    // Attention (eq. 7 with DIN's MLP): folded first layer over [k, q*k] plus the q term.
    NDArray qk = interests.mul(query); // (T, B, E)
    NDArray kq = JniUtils.cat(new PtNDArray[] {(PtNDArray) interests, (PtNDArray) qk}, 2);
    NDArray z = Ops.linear(kq, attentionFirst.w(), attentionFirst.b()) // (T, B, n')
        .addi(Ops.linear(query, queryW, queryB)); // + (1, B, n')
    z = attentionFirst.activate(z); // (T, B, n)
    for (Layer l : attentionRest) {
      z = l.forward(z); // (T, B, n)
    }
    NDArray scores = Ops.linear(z, scoreW, scoreB).reshape(t, b); // (T, B), already / sqrt(E)
    NDArray rowValid = null;
    if (anyShort) {
      int nFloats = t * b + (anyCold ? b : 0);
      float[] f = new float[nFloats];
      for (int r = 0; r < b; r++) {
        int len = lengths[r];
        for (int s = 0; s < t; s++) {
          // Cold rows stay unmasked so the softmax is finite; rowValid zeroes them after.
          f[s * b + r] = (s < len || len == 0) ? 0f : Float.NEGATIVE_INFINITY;
        }
        if (anyCold) {
          f[t * b + r] = len > 0 ? 1f : 0f;
        }
      }
      NDArray fl = m.create(f, new Shape(nFloats));
      if (anyCold) {
        NDList fp = fl.split(new long[] {(long) t * b}, 0);
        scores.addi(fp.get(0).reshape(t, b));
        rowValid = fp.get(1).reshape(b, 1); // (B, 1)
      } else {
        scores.addi(fl.reshape(t, b));
      }
    }
    scores = scores.softmax(0); // (T, B)
    NDList att = JniUtils.split((PtNDArray) scores.reshape((long) t * b, 1), b, 0); // T x (B, 1)

    // AGRU / AUGRU (eq. 9): h_t = (1 - u'_t) h_{t-1} + u'_t n_t, u'_t = a_t u_t (AUGRU).
    NDArray xs = interests.reshape((long) t * b, h); // (T*B, H)
    // T x (B, gH): gate input projections with both biases
    NDList giGates = JniUtils.split((PtNDArray) Ops.linear(xs, wiGates, biGates), b, 0);
    NDList giNew = JniUtils.split((PtNDArray) Ops.linear(xs, wiNew, biNew), b, 0); // T x (B, H)
    NDArray state = null; // h_0 = 0
    for (int s = 0; s < t; s++) {
      NDArray pre =
          state == null
              ? giGates.get(s)
              : Ops.linear(state, whGates, giGates.get(s)); // (B, gH): addmm
      NDArray gate = JniUtils.sigmoid((PtNDArray) pre); // (B, gH)
      NDArray reset;
      NDArray step;
      if (augru) {
        NDList ur = JniUtils.split((PtNDArray) gate, h, 1); // (B, H) x 2: update, reset
        step = ur.get(0).muli(att.get(s)); // u'_t = a_t u_t, (B, H)
        reset = ur.get(1);
      } else {
        step = att.get(s); // (B, 1)
        reset = gate;
      }
      NDArray cand;
      if (state == null) {
        cand = reset.mul(bhNew); // (B, H): the hidden projection of h_0 = 0 is its bias
      } else {
        cand = Ops.linear(state, whNew, bhNew).muli(reset); // (B, H)
      }
      cand = JniUtils.tanh((PtNDArray) cand.addi(giNew.get(s))); // n_t, (B, H)
      state = state == null ? cand.muli(step) : cand.subi(state).muli(step).addi(state);
    }
    NDArray interest = rowValid == null ? state : state.muli(rowValid); // (B, H)

    NDList mlpInputs = new NDList();
    NDArray numeric = null;
    if (x.numericWidth() > 0) {
      numeric = m.create(x.numeric(), new Shape(b, x.numericWidth())); // (B, nNum)
      mlpInputs.add(numeric);
    }
    mlpInputs.add(catEmb);
    mlpInputs.add(pooled);
    mlpInputs.add(interest);
    NDArray y = JniUtils.cat(mlpInputs.toArray(new PtNDArray[0]), 1); // (B, D)
    for (Layer l : mlp) {
      y = l.forward(y); // (B, hidden)
    }
    NDArray logit = Ops.linear(y, finalW, finalB); // (B, 1)
    if (wide != null) {
      int n = x.numericWidth();
      int w = config.wideFeatures().size();
      NDArray columns = n == w ? numeric : numeric.get(":, " + (n - w) + ":"); // (B, W)
      logit = logit.addi(Ops.linear(columns, wide.w(), wide.b())); // deep + wide, (B, 1)
    }
    if (config.calibrated()) {
      logit = logit.muli(Ops.scalar(m, config.calibrationScale().floatValue()))
          .addi(Ops.scalar(m, config.calibrationShift().floatValue()));
    }
    return JniUtils.sigmoid((PtNDArray) logit).toFloatArray(); // (B, 1)
  }

  @Override
  public void close() {
    manager.close();
  }

  // ---------------------------------------------------------------------------------------------
  // Folding

  /** A folded layer in Java arrays: rows = width (x 3 for Dice). */
  private record Folded(float[] w, float[] b, int rows, int width, float slope) {}

  private Layer layer(DienNetwork.MlpLayer l) {
    Folded f = fold(l);
    int in = (int) l.dense().w().getShape().get(1);
    return new Layer(create(f.w, f.rows, in), create(f.b, f.rows), l.activation(), f.width,
        f.slope);
  }

  /** Linear + eval BatchNorm (+ the affine parts of Dice), in double precision. */
  private static Folded fold(DienNetwork.MlpLayer l) {
    float[] w = l.dense().w().toFloatArray();
    float[] b = l.dense().b().toFloatArray();
    int n = b.length;
    int in = w.length / n;
    double[] s = scale(l.norm());
    float[] mean = l.norm().mean().toFloatArray();
    float[] beta = l.norm().beta().toFloatArray();
    double[] fw = new double[n * in];
    double[] fb = new double[n];
    for (int r = 0; r < n; r++) {
      for (int j = 0; j < in; j++) {
        fw[r * in + j] = w[r * in + j] * s[r];
      }
      fb[r] = (b[r] - mean[r]) * s[r] + beta[r];
    }
    if (l.activation() != DienConfig.Activation.DICE) {
      boolean prelu = l.activation() == DienConfig.Activation.PRELU;
      float slope = prelu ? l.prelu().toFloatArray()[0] : 0f;
      return new Folded(toFloat(fw), toFloat(fb), n, n, slope);
    }
    double[] ds = scale(l.diceNorm());
    float[] dMean = l.diceNorm().mean().toFloatArray();
    float[] dBeta = l.diceNorm().beta().toFloatArray();
    float[] alpha = l.diceAlpha().toFloatArray();
    float[] ow = new float[3 * n * in];
    float[] ob = new float[3 * n];
    for (int r = 0; r < n; r++) {
      double keep = 1.0 - alpha[r];
      for (int j = 0; j < in; j++) {
        double v = fw[r * in + j];
        ow[r * in + j] = (float) (v * keep);
        ow[(n + r) * in + j] = (float) (v * alpha[r]);
        ow[(2 * n + r) * in + j] = (float) (v * ds[r]);
      }
      ob[r] = (float) (fb[r] * keep);
      ob[n + r] = (float) (fb[r] * alpha[r]);
      ob[2 * n + r] = (float) (fb[r] * ds[r] + dBeta[r] - dMean[r] * ds[r]);
    }
    return new Folded(ow, ob, 3 * n, n, 0f);
  }

  /** gamma / sqrt(running_var + eps), per channel. */
  private static double[] scale(DienNetwork.Norm norm) {
    float[] gamma = norm.gamma().toFloatArray();
    float[] var = norm.var().toFloatArray();
    double[] s = new double[gamma.length];
    for (int i = 0; i < s.length; i++) {
      s[i] = gamma[i] / Math.sqrt(var[i] + norm.eps());
    }
    return s;
  }

  private static float[] toFloat(double[] v) {
    float[] f = new float[v.length];
    for (int i = 0; i < v.length; i++) {
      f[i] = (float) v[i];
    }
    return f;
  }

  private static float[] slice(float[] v, int from, int n) {
    float[] out = new float[n];
    System.arraycopy(v, from, out, 0, n);
    return out;
  }

  private NDArray create(float[] v, long... shape) {
    return Ops.owned(manager.create(v, new Shape(shape)));
  }

  private NDArray own(NDArray a) {
    a.attach(manager);
    return a;
  }
}
