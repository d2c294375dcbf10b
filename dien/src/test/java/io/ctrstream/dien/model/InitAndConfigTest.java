package io.ctrstream.dien.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Proves the construction side: the config's JSON round trip, builder validation with messages
 * that name the field, the golden sizes read from a golden file, the reference initialisation
 * (deterministic per seed, each kind of parameter drawn as init_weights draws it, the reference
 * parameter count), and that bad batches are rejected with a message instead of a native crash.
 */
class InitAndConfigTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void configJsonRoundTrip() throws Exception {
    DienConfig c =
        TestData.smallConfig()
            .optEvolution(DienConfig.Evolution.AGRU)
            .optItemTable(DienConfig.ItemTable.SHARED)
            .optMlpActivation(DienConfig.Activation.DICE)
            .build();
    String json = JSON.writeValueAsString(c);
    DienConfig back = JSON.readValue(json, DienConfig.class);
    assertThat(back).isEqualTo(c);
    assertThat(json).contains("\"evolution\":\"AGRU\"").contains("\"itemTable\":\"SHARED\"");
  }

  @Test
  void builderDefaultsAreTheReference() {
    DienConfig c =
        DienConfig.builder()
            .setNumericFeatures(List.of("age"))
            .addCategoricalFeature("gender", 3)
            .addCategoricalFeature("movieId", 10)
            .setCandidateFeature("movieId")
            .setPooledSequence(new DienConfig.SequenceFeature("genres", 5, 6))
            .setHistory(new DienConfig.SequenceFeature("hist", 10, 10))
            .setNegatives(new DienConfig.SequenceFeature("neg", 10, 10))
            .build();
    assertThat(c.embeddingSize()).isEqualTo(16);
    assertThat(c.attentionHidden()).containsExactly(16, 8);
    assertThat(c.attentionActivation()).isEqualTo(DienConfig.Activation.DICE);
    assertThat(c.attentionDropout()).isEqualTo(0.1);
    assertThat(c.mlpHidden()).containsExactly(32, 16);
    assertThat(c.mlpActivation()).isEqualTo(DienConfig.Activation.PRELU);
    assertThat(c.mlpDropout()).isEqualTo(0.25);
    assertThat(c.evolution()).isEqualTo(DienConfig.Evolution.AUGRU);
    assertThat(c.useNegSampling()).isTrue();
    assertThat(c.auxHidden()).containsExactly(100, 50);
    assertThat(c.itemTable()).isEqualTo(DienConfig.ItemTable.SEPARATE);
    assertThat(c.bnEpsMlp()).isEqualTo(1e-5);
    assertThat(c.bnEpsDice()).isEqualTo(1e-8);
    assertThat(c.mlpInputSize()).isEqualTo(1 + 4 * 16);
  }

  @Test
  void builderRejectsBadValuesWithTheFieldName() {
    assertThatThrownBy(() -> TestData.smallConfig().optEmbeddingSize(0).build())
        .hasMessageContaining("embeddingSize must be > 0, got 0");
    assertThatThrownBy(() -> TestData.smallConfig().optAttentionHidden(List.of()).build())
        .hasMessageContaining("attentionHidden");
    assertThatThrownBy(() -> TestData.smallConfig().optMlpDropout(1.0).build())
        .hasMessageContaining("mlpDropout");
    assertThatThrownBy(() -> TestData.smallConfig().setCandidateFeature("nope").build())
        .hasMessageContaining("candidateFeature nope");
    assertThatThrownBy(
            () -> DienConfig.builder().setNumericFeatures(List.of()).build())
        .hasMessageContaining("setCategoricalFeatures");
    assertThatThrownBy(
            () ->
                TestData.smallConfig()
                    .setNegatives(new DienConfig.SequenceFeature("negHistMovieIds", 30, 5))
                    .build())
        .hasMessageContaining("maxLength");
  }

  @Test
  void goldenConfigSizes() throws Exception {
    try (InputStream in = getClass().getResourceAsStream("/golden/dien-gru-noneg.json")) {
      DienConfig c = DienConfig.fromGolden(JSON.readTree(in));
      assertThat(c.embeddingSize()).isEqualTo(4);
      assertThat(c.attentionHidden()).containsExactly(6, 3);
      assertThat(c.mlpHidden()).containsExactly(8, 4);
      assertThat(c.evolution()).isEqualTo(DienConfig.Evolution.GRU);
      assertThat(c.useNegSampling()).isFalse();
      assertThat(c.pooledSequence().maxLength()).isEqualTo(3);
      assertThat(c.history().maxLength()).isEqualTo(5);
      assertThat(c.categoricalFeatures().get(1)).isEqualTo(new DienConfig.CategoricalFeature("movieId", 21));
      assertThat(c.mlpInputSize()).isEqualTo(25);
    }
  }

  @Test
  void parameterCountAndNamesMatchTheReference() throws Exception {
    GoldenFile g = GoldenParityTest.golden("dien-augru-neg.json");
    long torchCount = 0;
    List<String> names = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : g.stateDict().properties()) {
      names.add(e.getKey());
      if (!e.getKey().contains("running_")) {
        torchCount += e.getValue().get("values").size();
      }
    }
    try (DienNetwork net = DienNetwork.create(g.config(), 1)) {
      assertThat(net.parameterCount()).isEqualTo(torchCount);
      assertThat(net.parameterNames()).containsExactlyElementsOf(names);
    }
  }

  @Test
  void initialisationFollowsInitWeights() {
    DienConfig c = TestData.smallConfig().optEmbeddingSize(16).build();
    try (DienNetwork a = DienNetwork.create(c, 42);
        DienNetwork b = DienNetwork.create(c, 42);
        DienNetwork d = DienNetwork.create(c, 43)) {
      String emb = "embedding:movieId.weight";
      assertThat(b.parameterValues(emb)).containsExactly(a.parameterValues(emb));
      assertThat(d.parameterValues(emb)).isNotEqualTo(a.parameterValues(emb));

      float[] e = a.parameterValues(emb); // N(0, 1), padding row zero
      for (int j = 0; j < 16; j++) {
        assertThat(e[j]).isEqualTo(0f);
      }
      assertThat(std(e, 16)).isBetween(0.85, 1.15);

      String dense = "mlp.mlp.dense0.weight"; // kaiming uniform: U(+-sqrt(6 / fan_in))
      long fanIn = a.parameterShape(dense)[1];
      double bound = Math.sqrt(6.0 / fanIn);
      assertThat(maxAbs(a.parameterValues(dense))).isLessThanOrEqualTo(bound).isGreaterThan(0.8 * bound);
      assertThat(std(a.parameterValues("attention_pooling:group1.auxiliary_net.mlp.dense0.bias"), 0))
          .isBetween(0.7, 1.3); // Linear bias N(0, 1)

      float[] bn = a.parameterValues("mlp.mlp.batchnorm0.weight"); // N(1, 0.02)
      for (float v : bn) {
        assertThat(v).isBetween(0.9f, 1.1f);
      }
      assertThat(a.parameterValues("mlp.mlp.batchnorm0.bias")).containsOnly(0f);
      assertThat(a.parameterValues("mlp.mlp.batchnorm0.running_var")).containsOnly(1f);
      assertThat(a.parameterValues("mlp.mlp.activation0.weight")).containsExactly(0.25f);
      assertThat(a.parameterValues("attention_pooling:group1.attention.mlp.mlp.activation0.alpha"))
          .containsOnly(0f);
      float[] diceBn =
          a.parameterValues("attention_pooling:group1.attention.mlp.mlp.activation0.bn.weight");
      assertThat(diceBn[0]).isBetween(0.9f, 1.1f).isNotEqualTo(1f);

      double gruBound = 1 / Math.sqrt(16); // U(+-1/sqrt(H)) = U(+-1/4)
      assertThat(maxAbs(a.parameterValues("attention_pooling:group1.interest_extractor.weight_ih_l0")))
          .isLessThanOrEqualTo(gruBound).isGreaterThan(0.9 * gruBound);
      assertThat(maxAbs(a.parameterValues("attention_pooling:group1.interest_evolution.rnn.bias_hh")))
          .isLessThanOrEqualTo(gruBound);
    }
  }

  @Test
  void badBatchesAreRejectedWithAMessage() {
    DienConfig c = TestData.smallConfig().build();
    EncodedBatch ok = TestData.batch(c, 4, 1);
    int[] badCat = ok.categorical().clone();
    badCat[1] = 30; // movieId vocabulary is 30: ids 0..29
    EncodedBatch bad = new EncodedBatch(4, 1, 3, 4, 6, ok.numeric(), badCat, ok.genres(),
        ok.history(), ok.negatives(), ok.labels());
    EncodedBatch noNeg = new EncodedBatch(4, 1, 3, 4, 6, ok.numeric(), ok.categorical(),
        ok.genres(), ok.history(), null, ok.labels());
    try (DienNetwork net = DienNetwork.create(c, 1);
        NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      assertThatThrownBy(() -> net.predictProbabilities(bad))
          .isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("movieId id 30 in row 0");
      assertThatThrownBy(() -> net.forward(m, noNeg, false))
          .hasMessageContaining("negatives");
      assertThat(net.predictProbabilities(ok)).hasSize(4);
    }
    assertThatThrownBy(() -> new EncodedBatch(2, 1, 3, 4, 6, new float[2], new int[5],
            new int[8], new int[12], null, null))
        .hasMessageContaining("categorical has 5 values, expected 6");
  }

  private static double std(float[] v, int skip) {
    double s = 0;
    double s2 = 0;
    int n = v.length - skip;
    for (int i = skip; i < v.length; i++) {
      s += v[i];
      s2 += (double) v[i] * v[i];
    }
    double mean = s / n;
    return Math.sqrt(s2 / n - mean * mean);
  }

  private static double maxAbs(float[] v) {
    double m = 0;
    for (float x : v) {
      m = Math.max(m, Math.abs(x));
    }
    return m;
  }
}
