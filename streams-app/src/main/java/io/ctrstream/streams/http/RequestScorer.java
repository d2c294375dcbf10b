package io.ctrstream.streams.http;

import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.serving.BatchScorer;
import io.ctrstream.schemas.Score;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.ModelProvider;
import io.ctrstream.streams.model.ScorerSlot;
import io.ctrstream.streams.state.UserState;
import io.ctrstream.streams.topology.FeatureAssembler;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Scores a {@link ScoreRequest} the way the stream path scores impressions: the user's state
 * where this instance holds it ({@link UserStateQuery}, a user it never saw is cold), each
 * candidate's features from {@link FeatureAssembler} (the stream path's own assembly), and one
 * call of the live model for all candidates. A score is the model's float as its shortest
 * decimal, as in {@code scores}.
 *
 * <p>The model: one {@link BatchScorer} of the HTTP side in a {@link ScorerSlot}, made at the
 * first request and swapped before a request when the {@link ModelProvider} has a newer model
 * (as a stream thread swaps between batches). A scorer is not thread-safe, so model calls are
 * serialised: one request at a time is in the model (the HTTP server has two worker threads;
 * reading state and assembling features run in parallel, outside the lock).
 *
 * <p>A score outside [0, 1] (NaN, infinite) or a model failure answers {@link Failed} and marks the
 * model unhealthy, as in the stream path.
 */
public final class RequestScorer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(RequestScorer.class);

  /** The outcome of one request. */
  public sealed interface Result permits Scored, Elsewhere, Unavailable, Failed {}

  /** Scores of the candidates, in their order; {@code prior}: the prior scored them, no model. */
  public record Scored(String userId, String modelVersion, boolean prior, List<String> movieIds,
      double[] scores) implements Result {}

  /** Another instance holds the user; {@code endpoint} is its host:port. */
  public record Elsewhere(String endpoint) implements Result {}

  /** No answer now (starting, rebalancing, restoring). */
  public record Unavailable(String reason) implements Result {}

  /** The model failed or gave no probability. */
  public record Failed(String reason) implements Result {}

  private final UserStateQuery users;
  private final Supplier<FeatureAssembler> features;
  private final ModelProvider models;
  private final ScorerMetrics metrics;
  private final int maxCandidates;
  private final int maxKeyBytes;
  private ScorerSlot slot; // guarded by this
  private boolean closed; // guarded by this

  /**
   * @param features the assembler over the global stores, made per request; may throw {@link
   *     InvalidStateStoreException} while they are not queryable
   * @param metrics request latency and outcomes, model health; null: not measured
   */
  public RequestScorer(UserStateQuery users, Supplier<FeatureAssembler> features, ModelProvider models,
      ScorerMetrics metrics, int maxCandidates, int maxKeyBytes) {
    this.users = Objects.requireNonNull(users, "users");
    this.features = Objects.requireNonNull(features, "features");
    this.models = Objects.requireNonNull(models, "models");
    this.metrics = metrics;
    this.maxCandidates = maxCandidates;
    this.maxKeyBytes = maxKeyBytes;
  }

  /** Validates a body; see {@link ScoreRequest#parse}. */
  public ScoreRequest parse(byte[] body) throws ScoreRequest.Invalid {
    return ScoreRequest.parse(body, maxCandidates, maxKeyBytes);
  }

  /**
   * Bodies larger than this are refused unread (413): room for the largest valid request, every
   * id at {@code max.key.bytes} with JSON quoting, plus 64 KiB.
   */
  public long maxBodyBytes() {
    return 65_536L + 2L * (maxCandidates + 1L) * (maxKeyBytes + 4L);
  }

  /** Records one answered request (its outcome, {@link ScorerMetrics#SCORE_REQUEST_OUTCOMES}). */
  public void observe(String outcome, long nanos) {
    if (metrics != null) {
      metrics.scoreRequest(outcome, nanos);
    }
  }

  public Result score(ScoreRequest request) {
    UserState state;
    UserStateQuery.Result where = users.lookup(request.userId());
    if (where instanceof UserStateQuery.Found f) {
      state = f.state();
    } else if (where instanceof UserStateQuery.Missing) {
      state = UserState.EMPTY; // a cold user, as the stream path scores one
    } else if (where instanceof UserStateQuery.Elsewhere e) {
      return new Elsewhere(e.endpoint());
    } else {
      return new Unavailable(((UserStateQuery.Unavailable) where).reason());
    }
    List<FeatureRow> rows = new ArrayList<>(request.candidates().size());
    try {
      FeatureAssembler assembler = features.get();
      for (String movieId : request.candidates()) {
        rows.add(assembler.assemble(movieId, state).toRow(request.userId(), movieId));
      }
    } catch (InvalidStateStoreException e) {
      return new Unavailable("the catalog and movie stats are not queryable now: " + e.getMessage());
    }
    String version = "unavailable";
    float[] p;
    try {
      synchronized (this) {
        if (closed) {
          return new Unavailable("the scorer is stopping");
        }
        if (slot == null) {
          slot = new ScorerSlot(models);
        }
        BatchScorer model = slot.forNextBatch();
        version = model.modelVersion();
        p = model.score(rows);
      }
    } catch (RuntimeException e) {
      LOG.error("model {} failed on a request of {} candidates", version, rows.size(), e);
      return failed(version, "model " + version + " failed: " + e);
    }
    if (p == null || p.length != rows.size()) {
      return failed(version, "model " + version + " returned " + (p == null ? "null" : p.length)
          + " scores for " + rows.size() + " rows");
    }
    double[] scores = new double[p.length];
    for (int i = 0; i < p.length; i++) {
      // The model computes in float; its shortest decimal is what it meant, as in the scores topic.
      double s = Double.parseDouble(Float.toString(p[i]));
      if (!(s >= 0 && s <= 1)) {
        return failed(version, "model " + version + " gave " + (Double.isFinite(s) ? "" : "non-finite ")
            + "score " + s + "; a served model must give probabilities in [0, 1]");
      }
      scores[i] = s;
    }
    return new Scored(request.userId(), version, Score.PRIOR_VERSION.equals(version), request.candidates(), scores);
  }

  private Failed failed(String version, String reason) {
    if (metrics != null && !"unavailable".equals(version)) {
      metrics.modelUnhealthy(version, reason);
    }
    return new Failed(reason);
  }

  /** Closes the HTTP side's scorer; later requests answer {@link Unavailable}. */
  @Override
  public synchronized void close() {
    closed = true;
    if (slot != null) {
      slot.close();
      slot = null;
    }
  }
}
