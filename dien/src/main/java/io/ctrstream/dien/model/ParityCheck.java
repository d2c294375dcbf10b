package io.ctrstream.dien.model;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Checks this port against one golden-vector file of the reference: loads its state dict, runs
 * its batch in eval mode (logits, auxiliary loss) and through one train-step backward pass
 * (logits, loss, every gradient), and compares.
 *
 * <p>Tolerances: logits, auxiliary loss and train loss within {@value #VALUE_TOLERANCE} absolute;
 * each gradient tensor within {@value #GRADIENT_TOLERANCE} relative. The relative difference of
 * one tensor is {@code max|ours - golden| / max(max|golden|, 0.01 * G)}, where G is the largest
 * |golden gradient| of the whole model. Dividing by the tensor's own scale keeps a near-zero
 * element from blowing it up; the floor at 1% of G exists because some gradients are zero in exact
 * arithmetic (a Linear bias before training-mode BatchNorm, the attention score bias before the
 * softmax): both sides hold only float32 rounding noise there (about 1e-8), which is then compared
 * absolutely at 1e-6 G instead of being divided by itself.
 */
public final class ParityCheck {

  public static final double VALUE_TOLERANCE = 1e-5;
  public static final double GRADIENT_TOLERANCE = 1e-4;
  /** The relative floor, as a share of the largest golden gradient entry. */
  static final double SCALE_FLOOR = 0.01;

  private ParityCheck() {}

  /**
   * Runs the check.
   *
   * @throws IOException when the file cannot be read or is not a golden-vector file
   */
  public static ParityReport run(Path goldenFile) throws IOException {
    return run(GoldenFile.read(goldenFile), goldenFile.toString());
  }

  /** Runs the check on an already parsed golden file. */
  public static ParityReport run(GoldenFile golden, String name) {
    try (DienNetwork net = DienNetwork.create(golden.config(), 0);
        NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
      net.loadStateDict(golden.stateDict());
      ForwardResult eval = net.forward(m, golden.batch(), false);
      double logitDiff = maxAbsDiff(eval.logits().toFloatArray(), golden.evalLogits());
      double auxDiff =
          scalarDiff(
              eval.auxLoss() == null ? null : (double) eval.auxLoss().getFloat(),
              golden.evalAuxLoss());

      DienTrainStep.GradientResult train;
      try (DienTrainStep trainer = DienTrainStep.create(net)) {
        train = trainer.gradients(golden.batch());
      }
      DienTrainStep.StepResult losses = train.losses();
      logitDiff = Math.max(logitDiff, maxAbsDiff(losses.logits(), golden.trainLogits()));
      Double ourTrainAux = net.config().useNegSampling() ? losses.auxLoss() : null;
      auxDiff = Math.max(auxDiff, scalarDiff(ourTrainAux, golden.trainAuxLoss()));
      double lossDiff = Math.abs(losses.loss() - golden.trainLoss());

      double worst = 0;
      String worstName = "";
      for (Map.Entry<String, Double> d :
          gradientDiffs(train.gradients(), golden.gradients()).entrySet()) {
        if (d.getValue() > worst || worstName.isEmpty()) {
          worst = Math.max(worst, d.getValue());
          worstName = d.getKey();
        }
      }
      boolean passed =
          logitDiff <= VALUE_TOLERANCE
              && auxDiff <= VALUE_TOLERANCE
              && lossDiff <= VALUE_TOLERANCE
              && worst <= GRADIENT_TOLERANCE;
      return new ParityReport(name, logitDiff, auxDiff, lossDiff, worst, worstName, passed);
    }
  }

  /** Per-tensor relative difference as documented on the class; infinite when one is missing. */
  static double relativeDiff(float[] ours, float[] golden, double globalScale) {
    if (ours == null || golden == null || ours.length != golden.length) {
      return Double.POSITIVE_INFINITY;
    }
    double scale = 0;
    for (float v : golden) {
      scale = Math.max(scale, Math.abs(v));
    }
    return maxAbsDiff(ours, golden) / Math.max(scale, SCALE_FLOOR * globalScale);
  }

  static double maxAbsDiff(float[] a, float[] b) {
    if (a.length != b.length) {
      return Double.POSITIVE_INFINITY;
    }
    double d = 0;
    for (int i = 0; i < a.length; i++) {
      double x = Math.abs((double) a[i] - b[i]);
      if (Double.isNaN(x)) {
        return Double.POSITIVE_INFINITY;
      }
      d = Math.max(d, x);
    }
    return d;
  }

  private static double scalarDiff(Double ours, Double golden) {
    if (ours == null && golden == null) {
      return 0;
    }
    if (ours == null || golden == null || ours.isNaN()) {
      return Double.POSITIVE_INFINITY;
    }
    return Math.abs(ours - golden);
  }

  /**
   * The relative difference of every gradient, by name (the union of both sides' names: a
   * parameter with a gradient on one side only is infinitely off).
   */
  static Map<String, Double> gradientDiffs(Map<String, float[]> ours, Map<String, float[]> golden) {
    double global = 0;
    for (float[] g : golden.values()) {
      for (float v : g) {
        global = Math.max(global, Math.abs(v));
      }
    }
    Map<String, Double> out = new TreeMap<>();
    Set<String> names = new HashSet<>(golden.keySet());
    names.addAll(ours.keySet());
    for (String p : names) {
      out.put(p, relativeDiff(ours.get(p), golden.get(p), global));
    }
    return out;
  }
}
