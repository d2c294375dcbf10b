package io.ctrstream.dien.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A golden-vector file of the reference DIEN ({@code dien-<evolution>-<neg|noneg>.json}, format in
 * {@code /work/shared/golden/README.md}), read into the model's own types: the config, the batch,
 * the state dict and the expected outputs of eval and of one train step.
 *
 * @param config the network the file describes (dropout 0)
 * @param batch its one batch, labels included
 * @param stateDict name -> {shape, values}
 * @param evalLogits expected eval-mode logits (B)
 * @param evalAuxLoss expected eval-mode auxiliary loss, or null without negative sampling
 * @param trainLogits expected train-mode logits (B)
 * @param trainBce expected BCE-with-logits (mean)
 * @param trainAuxLoss expected train-mode auxiliary loss, or null
 * @param trainLoss expected bce + aux
 * @param gradients expected gradient of the loss for every parameter that has one
 */
public record GoldenFile(
    DienConfig config,
    EncodedBatch batch,
    JsonNode stateDict,
    float[] evalLogits,
    Double evalAuxLoss,
    float[] trainLogits,
    double trainBce,
    Double trainAuxLoss,
    double trainLoss,
    Map<String, float[]> gradients) {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** Reads a golden file; IOException when it cannot be read or is not this format. */
  public static GoldenFile read(Path path) throws IOException {
    try (InputStream in = Files.newInputStream(path)) {
      return read(in);
    }
  }

  /** Reads a golden file from a stream; IOException when it is not this format. */
  public static GoldenFile read(InputStream in) throws IOException {
    JsonNode root = JSON.readTree(in);
    try {
      return parse(root);
    } catch (RuntimeException e) {
      throw new IOException("not a DIEN golden-vector file: " + e.getMessage(), e);
    }
  }

  private static GoldenFile parse(JsonNode root) {
    for (String key : List.of("config", "inputs", "state_dict", "eval", "train_step")) {
      if (root == null || !root.has(key)) {
        throw new IllegalArgumentException("missing key " + key);
      }
    }
    DienConfig config = DienConfig.fromGolden(root);
    JsonNode inputs = root.get("inputs");
    int b = inputs.get(config.candidateFeature()).size();
    int nNum = config.numericFeatures().size();
    float[] numeric = new float[b * nNum];
    for (int j = 0; j < nNum; j++) {
      JsonNode col = inputs.get(config.numericFeatures().get(j));
      for (int r = 0; r < b; r++) {
        numeric[r * nNum + j] = (float) col.get(r).asDouble();
      }
    }
    int nCat = config.categoricalFeatures().size();
    int[] categorical = new int[b * nCat];
    for (int j = 0; j < nCat; j++) {
      JsonNode col = inputs.get(config.categoricalFeatures().get(j).name());
      for (int r = 0; r < b; r++) {
        categorical[r * nCat + j] = col.get(r).asInt();
      }
    }
    int g = config.pooledSequence().maxLength();
    int t = config.history().maxLength();
    float[] labels = floats(inputs.get("label"));
    EncodedBatch batch =
        new EncodedBatch(
            b, nNum, nCat, g, t, numeric, categorical,
            ids(inputs.get(config.pooledSequence().name()), b, g),
            ids(inputs.get(config.history().name()), b, t),
            ids(inputs.get(config.negatives().name()), b, t),
            labels);
    JsonNode eval = root.get("eval");
    JsonNode train = root.get("train_step");
    Map<String, float[]> grads = new LinkedHashMap<>();
    train.get("grads").properties().forEach(f -> grads.put(f.getKey(), values(f.getValue())));
    return new GoldenFile(
        config,
        batch,
        root.get("state_dict"),
        floats(eval.get("logits")),
        nullableDouble(eval.get("aux_loss")),
        floats(train.get("logits")),
        train.get("bce").asDouble(),
        nullableDouble(train.get("aux_loss")),
        train.get("loss").asDouble(),
        grads);
  }

  private static float[] values(JsonNode tensor) {
    return floats(tensor.has("values") ? tensor.get("values") : tensor);
  }

  private static float[] floats(JsonNode array) {
    float[] out = new float[array.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) array.get(i).asDouble();
    }
    return out;
  }

  private static int[] ids(JsonNode rows, int b, int width) {
    int[] out = new int[b * width];
    for (int r = 0; r < b; r++) {
      JsonNode row = rows.get(r);
      if (row.size() != width) {
        throw new IllegalArgumentException(
            "sequence rows must all have length " + width + ", row " + r + " has " + row.size());
      }
      for (int s = 0; s < width; s++) {
        out[r * width + s] = row.get(s).asInt();
      }
    }
    return out;
  }

  private static Double nullableDouble(JsonNode v) {
    return v == null || v.isNull() ? null : v.asDouble();
  }
}
