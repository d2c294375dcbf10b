package io.ctrstream.streams.release;

import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.release.Rejection;
import io.ctrstream.dien.release.ReleaseClaims;
import io.ctrstream.dien.release.ReleaseRejectedException;
import io.ctrstream.dien.release.ReleaseVerifier;
import io.ctrstream.dien.release.ScorerFactory;
import io.ctrstream.dien.release.ServableSpec;
import io.ctrstream.schemas.ModelRelease;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Turns one {@link ModelRelease} into a {@link LoadedModel}, or refuses it. The record validates
 * and names the followed model; then the shared {@link ReleaseVerifier} (the same checks the
 * trainer applies when it picks the live model) gets the bundle bytes, inline or from an allowed
 * {@code bundleUri} within the size bound, and checks SHA-256, signature (when a public key is
 * configured), bundle, feature layout and probe batch.
 *
 * <p>Runs on the follower's thread, never on a stream thread; stateless and thread-safe.
 */
public final class ReleaseLoader {
  private final String modelName;
  private final ReleaseVerifier verifier;

  /**
   * A loader with the default checks: no signature required, no bundle URIs (inline bundles only),
   * bundles up to {@link ReleaseVerifier#DEFAULT_MAX_BUNDLE_BYTES}.
   *
   * @param modelName the model this scorer follows
   * @param servable the feature layouts it can serve
   * @param factory how scorers are made on a bundle ({@link ScorerFactory#DIEN} in production)
   */
  public ReleaseLoader(String modelName, ServableSpec servable, ScorerFactory factory) {
    this(modelName, ReleaseVerifier.builder().setServable(servable).optScorerFactory(factory).build());
  }

  /** A loader with the checks of {@code verifier}. */
  public ReleaseLoader(String modelName, ReleaseVerifier verifier) {
    this.modelName = Objects.requireNonNull(modelName, "modelName");
    this.verifier = Objects.requireNonNull(verifier, "verifier");
  }

  public String modelName() {
    return modelName;
  }

  public ReleaseVerifier verifier() {
    return verifier;
  }

  /**
   * Verifies and loads {@code release}.
   *
   * @throws ReleaseRejectedException naming the first check it fails
   */
  public LoadedModel load(ModelRelease release) throws ReleaseRejectedException {
    long start = System.nanoTime();
    List<String> problems = release.validate();
    if (!problems.isEmpty()) {
      throw new ReleaseRejectedException(Rejection.INVALID, "release record is invalid: " + String.join("; ", problems));
    }
    if (!modelName.equals(release.modelName())) {
      throw new ReleaseRejectedException(Rejection.INVALID,
          "release is for model " + release.modelName() + ", this scorer follows " + modelName);
    }
    byte[] bytes = verifier.bundleBytes(release.bundle(), release.bundleUri());
    ModelBundle bundle = verifier.verify(claims(release), bytes);
    return new LoadedModel(release, bundle, verifier.factory(), Duration.ofNanos(System.nanoTime() - start));
  }

  /** What {@code release} claims about its bundle, for the shared checks. */
  public static ReleaseClaims claims(ModelRelease release) {
    return new ReleaseClaims(release.modelName(), release.version(), release.createdAt(), release.sha256(),
        release.featureSpecHash(), release.signature(), release.signatureAlgorithm(), release.keyId());
  }

  static String sha256Hex(byte[] bytes) {
    return ReleaseVerifier.sha256Hex(bytes);
  }
}
