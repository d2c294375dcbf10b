package io.ctrstream.dien.train;

import io.ctrstream.dien.bundle.BundleException;
import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.features.Vocabulary;
import io.ctrstream.dien.model.DienNetwork;
import java.util.Arrays;
import java.util.Map;

/**
 * Starts a new network from a live model's weights, across a change of vocabulary: each
 * embedding table's rows are carried over by term (an id both vocabularies know keeps its row, a
 * new id keeps its fresh initialisation, the padding row stays zero), and every other parameter
 * of the same name and shape is copied (GRUs, attention, MLPs, BatchNorm statistics, the wide
 * part). A parameter whose shape changed (e.g. the first MLP layer after a change of numeric
 * columns) keeps its fresh initialisation.
 */
public final class WarmStart {

  private static final String EMBEDDING = "embedding:";
  private static final String WEIGHT = ".weight";

  private WarmStart() {}

  /**
   * Copies what fits from {@code live} into {@code fresh}.
   *
   * @return a one-line account: parameters copied, embedding rows carried over, kept fresh
   */
  public static String apply(DienNetwork fresh, FeatureEncoder freshEncoder, ModelBundle live) {
    Map<String, float[]> target = fresh.stateDict();
    Map<String, float[]> source;
    Map<String, long[]> sourceShapes = new java.util.HashMap<>();
    try (DienNetwork old = live.newNetwork()) {
      source = old.stateDict();
      for (String name : source.keySet()) {
        sourceShapes.put(name, old.parameterShape(name));
      }
    } catch (BundleException e) {
      return "live model " + live.version() + " cannot be loaded (" + e.getMessage()
          + "); started fresh";
    }
    Map<String, Vocabulary> newVocab = freshEncoder.vocabularies();
    Map<String, Vocabulary> oldVocab = live.encoder().vocabularies();
    int e = fresh.config().embeddingSize();
    int copied = 0;
    int keptFresh = 0;
    long rowsCarried = 0;
    long rowsNew = 0;
    for (Map.Entry<String, float[]> p : target.entrySet()) {
      String name = p.getKey();
      float[] from = source.get(name);
      if (from == null) {
        keptFresh++;
        continue;
      }
      String column =
          name.startsWith(EMBEDDING) && name.endsWith(WEIGHT)
              ? name.substring(EMBEDDING.length(), name.length() - WEIGHT.length())
              : null;
      Vocabulary nv = column == null ? null : newVocab.get(column);
      Vocabulary ov = column == null ? null : oldVocab.get(column);
      if (nv != null && ov != null) {
        float[] to = p.getValue();
        for (int i = 1; i < nv.size(); i++) {
          String term = nv.term(i);
          int j = ov.contains(term) ? ov.index(term) : -1;
          if (Vocabulary.UNKNOWN.equals(term)) {
            j = ov.unknownIndex();
          }
          if (j > 0 && (j + 1) * e <= from.length && (i + 1) * e <= to.length) {
            System.arraycopy(from, j * e, to, i * e, e);
            rowsCarried++;
          } else {
            rowsNew++;
          }
        }
        copied++;
      } else if (from.length == p.getValue().length
          && Arrays.equals(fresh.parameterShape(name), sourceShapes.get(name))) {
        p.setValue(from);
        copied++;
      } else {
        keptFresh++;
      }
    }
    fresh.loadStateDict(target);
    return copied + " parameters carried over (" + rowsCarried + " embedding rows by id, "
        + rowsNew + " new ids), " + keptFresh + " started fresh";
  }
}
