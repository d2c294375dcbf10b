package io.ctrstream.streams.release;

import io.ctrstream.dien.bundle.BundleException;
import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.serving.BatchScorer;
import io.ctrstream.schemas.ModelRelease;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns one {@link ModelRelease} into a {@link LoadedModel}, or refuses it. In order: the record
 * validates and names the followed model; the bundle bytes are decoded (inline base64) or fetched
 * ({@code file:}, {@code http:}, {@code https:} URIs); their SHA-256 equals the record's; {@link
 * ModelBundle#fromBytes} accepts them (its own payload checksum and internal consistency); the
 * bundle's version, model name and feature-spec hash equal the record's; the feature layout is one
 * this scorer produces ({@link ServableSpec}); a scorer loads and scores a fixed probe batch (a
 * cold user with an unknown movie, a user whose history holds the model's known movies, a user
 * whose history holds unknown movies) to finite probabilities in [0, 1].
 *
 * <p>Runs on the follower's thread, never on a stream thread; stateless and thread-safe.
 */
public final class ReleaseLoader {
  private static final Logger LOG = LoggerFactory.getLogger(ReleaseLoader.class);
  private static final Duration FETCH_TIMEOUT = Duration.ofMinutes(2);

  private final String modelName;
  private final ServableSpec servable;
  private final ScorerFactory factory;

  /**
   * @param modelName the model this scorer follows
   * @param servable the feature layouts it can serve
   * @param factory how scorers are made on a bundle ({@link ScorerFactory#DIEN} in production)
   */
  public ReleaseLoader(String modelName, ServableSpec servable, ScorerFactory factory) {
    this.modelName = Objects.requireNonNull(modelName, "modelName");
    this.servable = Objects.requireNonNull(servable, "servable");
    this.factory = Objects.requireNonNull(factory, "factory");
  }

  public String modelName() {
    return modelName;
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
    byte[] bytes = bundleBytes(release);
    String actual = sha256Hex(bytes);
    if (!actual.equals(release.sha256())) {
      throw new ReleaseRejectedException(Rejection.CHECKSUM, "bundle bytes hash to " + actual
          + " but the release says " + release.sha256() + " (" + bytes.length + " bytes)");
    }
    ModelBundle bundle;
    try {
      bundle = ModelBundle.fromBytes(bytes);
    } catch (BundleException e) {
      throw new ReleaseRejectedException(Rejection.CORRUPT, e.getMessage(), e);
    }
    if (!bundle.version().equals(release.version()) || !bundle.manifest().modelName().equals(release.modelName())) {
      throw new ReleaseRejectedException(Rejection.INVALID, "release says " + release.modelName() + " "
          + release.version() + " but its bundle is " + bundle.manifest().modelName() + " " + bundle.version());
    }
    if (!bundle.manifest().featureSpecHash().equals(release.featureSpecHash())) {
      throw new ReleaseRejectedException(Rejection.SPEC, "release says feature spec "
          + release.featureSpecHash() + " but its bundle expects " + bundle.manifest().featureSpecHash());
    }
    List<String> unservable = servable.problems(bundle.featureSpec());
    if (!unservable.isEmpty()) {
      throw new ReleaseRejectedException(Rejection.SPEC, "this scorer cannot produce the bundle's features: "
          + String.join("; ", unservable));
    }
    if (servable.historyShorterThan(bundle.featureSpec())) {
      LOG.warn("model {} reads histories of {} but this scorer keeps {} per user (history.length)",
          release.version(), bundle.featureSpec().historyLength(), servable.historyLength());
    }
    probe(bundle);
    return new LoadedModel(release, bundle, factory, Duration.ofNanos(System.nanoTime() - start));
  }

  private void probe(ModelBundle bundle) throws ReleaseRejectedException {
    List<FeatureRow> rows = probeRows(bundle);
    BatchScorer scorer;
    try {
      scorer = factory.newScorer(bundle);
    } catch (BundleException e) {
      throw new ReleaseRejectedException(Rejection.PROBE, e.getMessage(), e);
    } catch (RuntimeException e) {
      throw new ReleaseRejectedException(Rejection.PROBE, "model " + bundle.version() + " does not load: " + e, e);
    }
    try (scorer) {
      float[] scores;
      try {
        scores = scorer.score(rows);
      } catch (RuntimeException e) {
        throw new ReleaseRejectedException(Rejection.PROBE, "model " + bundle.version()
            + " fails on the probe batch: " + e, e);
      }
      if (scores == null || scores.length != rows.size()) {
        throw new ReleaseRejectedException(Rejection.PROBE, "model " + bundle.version() + " returned "
            + (scores == null ? "null" : scores.length) + " scores for a probe batch of " + rows.size());
      }
      for (int i = 0; i < scores.length; i++) {
        if (!(Float.isFinite(scores[i]) && scores[i] >= 0f && scores[i] <= 1f)) {
          throw new ReleaseRejectedException(Rejection.PROBE, String.format(Locale.ROOT,
              "model %s scores probe row %d (%s) to %s; a probability in [0, 1] is required",
              bundle.version(), i, rows.get(i).userId(), scores[i]));
        }
      }
    }
  }

  /** A cold user with an unknown movie, a user with the model's own movies, one with unknown movies. */
  static List<FeatureRow> probeRows(ModelBundle bundle) {
    int t = Math.max(1, bundle.featureSpec().historyLength());
    List<String> known = bundle.encoder().vocabulary(FeatureEncoder.HISTORY).terms();
    List<String> history = new ArrayList<>(known.subList(0, Math.min(known.size(), t)));
    List<String> negatives = new ArrayList<>();
    List<String> unknownHistory = new ArrayList<>();
    List<String> unknownNegatives = new ArrayList<>();
    for (int i = 0; i < history.size(); i++) {
      negatives.add(history.get(history.size() - 1 - i));
    }
    for (int i = 0; i < t; i++) {
      unknownHistory.add("probe-unknown-movie-" + i);
      unknownNegatives.add("probe-unknown-negative-" + i);
    }
    String candidate = known.isEmpty() ? "probe-unknown-movie" : known.get(0);
    return List.of(
        new FeatureRow("probe-cold", null, null, null, null, "probe-unknown-movie", List.of(), List.of(), List.of()),
        new FeatureRow("probe-warm", 35.0, "F", "writer", "12345", candidate, List.of("Drama", "Comedy"),
            history, negatives),
        new FeatureRow("probe-unknown", 200.0, "?", "?", "?", "probe-unknown-movie",
            List.of("probe-unknown-genre"), unknownHistory, unknownNegatives));
  }

  private static byte[] bundleBytes(ModelRelease release) throws ReleaseRejectedException {
    if (release.bundle() != null) {
      try {
        return release.bundleBytes();
      } catch (IllegalArgumentException e) {
        throw new ReleaseRejectedException(Rejection.CORRUPT, "inline bundle is not valid base64: " + e.getMessage(), e);
      }
    }
    return fetch(release.bundleUri());
  }

  /** The bytes behind a bundle URI: {@code file:}, {@code http:} or {@code https:}. */
  static byte[] fetch(String uri) throws ReleaseRejectedException {
    URI u;
    try {
      u = new URI(uri);
    } catch (URISyntaxException e) {
      throw new ReleaseRejectedException(Rejection.FETCH, "bundleUri " + uri + " is not a URI: " + e.getMessage(), e);
    }
    String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
    try {
      switch (scheme) {
        case "file" -> {
          return Files.readAllBytes(Path.of(u));
        }
        case "http", "https" -> {
          HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
              .followRedirects(HttpClient.Redirect.NORMAL).build();
          HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(u).timeout(FETCH_TIMEOUT).GET().build(),
              HttpResponse.BodyHandlers.ofByteArray());
          if (r.statusCode() != 200) {
            throw new ReleaseRejectedException(Rejection.FETCH, "GET " + uri + " answered " + r.statusCode());
          }
          return r.body();
        }
        default -> throw new ReleaseRejectedException(Rejection.FETCH, "bundleUri " + uri
            + " has an unsupported scheme; use file:, http: or https:");
      }
    } catch (NoSuchFileException e) {
      throw new ReleaseRejectedException(Rejection.FETCH, "bundle file " + uri + " does not exist", e);
    } catch (IOException | IllegalArgumentException | SecurityException e) {
      throw new ReleaseRejectedException(Rejection.FETCH, "bundle " + uri + " cannot be read: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ReleaseRejectedException(Rejection.FETCH, "interrupted while fetching " + uri, e);
    }
  }

  static String sha256Hex(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
