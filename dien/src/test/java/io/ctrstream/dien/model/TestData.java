package io.ctrstream.dien.model;

import java.util.List;
import java.util.Random;

/** Small hand-sized configs and random batches for the model tests (not golden data). */
final class TestData {

  private TestData() {}

  /** A small reference-shaped config: embedding 8, attention [8, 4], MLP [16, 8], dropout 0. */
  static DienConfig.Builder smallConfig() {
    return DienConfig.builder()
        .optEmbeddingSize(8)
        .optAttentionHidden(List.of(8, 4))
        .optAttentionDropout(0)
        .optMlpHidden(List.of(16, 8))
        .optMlpDropout(0)
        .optAuxHidden(List.of(12, 6))
        .setNumericFeatures(List.of("age"))
        .addCategoricalFeature("gender", 4)
        .addCategoricalFeature("movieId", 30)
        .addCategoricalFeature("occupation", 7)
        .setCandidateFeature("movieId")
        .setPooledSequence(new DienConfig.SequenceFeature("genres", 9, 4))
        .setHistory(new DienConfig.SequenceFeature("histHighRatedMovieIds", 30, 6))
        .setNegatives(new DienConfig.SequenceFeature("negHistMovieIds", 30, 6));
  }

  /**
   * A random batch for {@code c}: history lengths drawn from {@code lengths} in turn (0 = cold
   * user), padding at the end, labels 0/1.
   */
  static EncodedBatch batch(DienConfig c, int rows, long seed, int... lengths) {
    Random r = new Random(seed);
    int nc = c.categoricalFeatures().size();
    int g = c.pooledSequence().maxLength();
    int t = c.history().maxLength();
    int nn = c.numericFeatures().size();
    float[] num = new float[rows * nn];
    int[] cat = new int[rows * nc];
    int[] gen = new int[rows * g];
    int[] hist = new int[rows * t];
    int[] neg = new int[rows * t];
    float[] y = new float[rows];
    for (int i = 0; i < rows; i++) {
      for (int j = 0; j < nn; j++) {
        num[i * nn + j] = r.nextFloat();
      }
      for (int j = 0; j < nc; j++) {
        cat[i * nc + j] = 1 + r.nextInt(c.categoricalFeatures().get(j).vocabSize() - 1);
      }
      int gl = 1 + r.nextInt(g);
      for (int j = 0; j < gl; j++) {
        gen[i * g + j] = 1 + r.nextInt(c.pooledSequence().vocabSize() - 1);
      }
      int len = lengths.length == 0 ? 1 + r.nextInt(t) : Math.min(lengths[i % lengths.length], t);
      for (int j = 0; j < len; j++) {
        hist[i * t + j] = 1 + r.nextInt(c.history().vocabSize() - 1);
        neg[i * t + j] = 1 + r.nextInt(c.negatives().vocabSize() - 1);
      }
      y[i] = r.nextInt(2);
    }
    return new EncodedBatch(rows, nn, nc, g, t, num, cat, gen, hist, neg, y);
  }

  /** Row {@code i} of {@code b} as a batch of one. */
  static EncodedBatch row(EncodedBatch b, int i) {
    return b.slice(i, i + 1);
  }
}
