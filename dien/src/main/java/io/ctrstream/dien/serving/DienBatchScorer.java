package io.ctrstream.dien.serving;

import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.model.DienNetwork;
import java.util.List;
import java.util.Objects;

/**
 * Scores raw rows with a DIEN network: encode with the bundle's encoder, run the network in eval
 * mode ({@link DienNetwork#predictProbabilities}), return probabilities in input order. All native
 * memory of a call is freed before it returns.
 *
 * <p>One scorer per thread (encoding buffers are per call, so nothing is shared but the network,
 * whose eval-mode prediction is safe to run concurrently). Closing it closes the network when the
 * scorer owns it; scoring after close fails.
 */
public final class DienBatchScorer implements BatchScorer {

  private final DienNetwork network;
  private final FeatureEncoder encoder;
  private final String modelVersion;
  private final boolean ownsNetwork;
  private volatile boolean closed;

  /**
   * @param network the network to run
   * @param encoder the encoder its inputs were fitted with
   * @param modelVersion the version every score of this scorer carries
   * @param ownsNetwork whether {@link #close()} closes {@code network}
   */
  public DienBatchScorer(
      DienNetwork network, FeatureEncoder encoder, String modelVersion, boolean ownsNetwork) {
    this.network = Objects.requireNonNull(network, "network must not be null");
    this.encoder = Objects.requireNonNull(encoder, "encoder must not be null");
    this.modelVersion = Objects.requireNonNull(modelVersion, "modelVersion must not be null");
    this.ownsNetwork = ownsNetwork;
  }

  @Override
  public float[] score(List<FeatureRow> rows) {
    if (closed) {
      throw new IllegalStateException("scorer for model " + modelVersion + " is closed");
    }
    if (rows.isEmpty()) {
      return new float[0];
    }
    return network.predictProbabilities(encoder.encode(rows));
  }

  @Override
  public String modelVersion() {
    return modelVersion;
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      if (ownsNetwork) {
        network.close();
      }
    }
  }
}
