package io.ctrstream.streams.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.ctrstream.dien.bundle.Manifest;
import io.ctrstream.schemas.Json;
import io.ctrstream.schemas.Score;
import io.ctrstream.streams.state.UserState;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scorer's HTTP endpoint (JDK {@code com.sun.net.httpserver}; GET, and POST for {@code
 * /score}). Two worker threads answer health, metrics, model and user queries; {@code /score}
 * requests are handed to a pool of their own ({@link #SCORE_THREADS} threads, at most {@link
 * #SCORE_QUEUE} waiting, 503 beyond), so that model calls never hold up a readiness probe or a
 * metrics scrape:
 *
 * <ul>
 *   <li>{@code GET /health/live}: 200 unless the scorer is dead (Kafka Streams in ERROR,
 *       PENDING_ERROR or NOT_RUNNING, or the release follower died), else 503; see {@link
 *       ScorerHealth}.
 *   <li>{@code GET /health/ready} (and its alias {@code /health}): 200 only while the scorer
 *       serves: RUNNING (or REBALANCING within the grace period), no stream thread dying again and
 *       again, the follower alive, the model not marked unhealthy; else 503. Body {@code
 *       {"state":..,"modelVersion":..,"checks":{..}}}, each check with {@code ok} and {@code detail}.
 *   <li>{@code GET /metrics}: Prometheus text exposition of the scorer's registry.
 *   <li>{@code GET /model}: the served model's manifest as JSON with its {@code release} (version,
 *       parent, releasedAt, ageSeconds, pinned), or {@code {"version":"prior"}}.
 *   <li>{@code GET /users/{userId}}: the user's profile, history and aligned negatives (200), 404
 *       when this instance hosts the user but knows nothing of them, 307 to the instance that
 *       hosts them (its host:port in {@code Location} and the body), 503 while no one can answer.
 *   <li>{@code POST /score} (when a {@link RequestScorer} is set): {@code {"userId":..,
 *       "candidates":[movieId..]}} scored in one model call from the user's state on the
 *       instance that holds it: 200 {@code {"userId","modelVersion","prior","scores":[{"movieId",
 *       "score"}..]}} in candidate order (a user never seen is cold, still scored), 400 with a
 *       reason for a bad body ({@link ScoreRequest}), 413 over {@code score.max.candidates} or an
 *       oversized body, 307 to the holder's {@code /score} (as {@code /users}), 503 while no one
 *       can answer, 500 when the model fails, 405 for any other method.
 * </ul>
 *
 * Errors answer JSON {@code {"error":..}}; a failing handler never stops the server.
 */
public final class ScorerHttpServer implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ScorerHttpServer.class);
  private static final ObjectMapper JSON = Json.mapper();
  private static final String USERS = "/users/";
  private static final String SCORE = "/score";
  /** Threads that answer /score (its model calls run one at a time; reads and features do not). */
  static final int SCORE_THREADS = 2;
  /** /score requests waiting for a thread; more are answered 503 at once. */
  static final int SCORE_QUEUE = 64;
  /** Most of an oversized /score body read and dropped before the 413. */
  private static final long DRAIN_MAX_BYTES = 16L << 20;

  private final HttpServer server;
  private final ExecutorService executor;
  private final ExecutorService scoreExecutor;
  private final Supplier<KafkaStreams.State> state;
  private final Supplier<String> modelVersion;
  private final Supplier<Optional<Manifest>> manifest;
  private final Supplier<Optional<Map<String, Object>>> release;
  private final Supplier<String> metrics;
  private final UserStateQuery users;
  private final RequestScorer scoring;
  private final ScorerHealth health;

  private ScorerHttpServer(Builder b) throws IOException {
    this.health = b.health != null ? b.health : ScorerHealth.builder().setState(b.state).build();
    this.state = b.state;
    this.modelVersion = b.modelVersion;
    this.manifest = b.manifest;
    this.release = b.release;
    this.metrics = b.metrics;
    this.users = b.users;
    this.scoring = b.scoring;
    this.server = HttpServer.create(new InetSocketAddress(b.host, b.port), 64);
    AtomicInteger n = new AtomicInteger();
    this.executor = Executors.newFixedThreadPool(2, r -> {
      Thread t = new Thread(r, "ctr-http-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
    AtomicInteger m = new AtomicInteger();
    this.scoreExecutor = new java.util.concurrent.ThreadPoolExecutor(SCORE_THREADS, SCORE_THREADS, 0L,
        java.util.concurrent.TimeUnit.MILLISECONDS, new java.util.concurrent.ArrayBlockingQueue<>(SCORE_QUEUE),
        r -> {
          Thread t = new Thread(r, "ctr-score-" + m.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    server.setExecutor(executor);
    server.createContext("/", this::handle);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** Starts answering; the socket is already bound, see {@link #port()}. */
  public void start() {
    server.start();
    LOG.info("HTTP endpoint on http://{}:{} (/health/live, /health/ready, /metrics, /model, /users/<userId>{})",
        server.getAddress().getHostString(), port(), scoring == null ? "" : ", POST /score");
  }

  /** The bound port (the chosen one when built with port 0). */
  public int port() {
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    server.stop(1);
    executor.shutdownNow();
    scoreExecutor.shutdownNow();
  }

  private void handle(HttpExchange ex) throws IOException {
    if (SCORE.equals(ex.getRequestURI().getPath()) && scoring != null) {
      try {
        scoreExecutor.execute(() -> {
          try (ex) {
            score(ex);
          } catch (IOException | RuntimeException e) {
            LOG.warn("POST /score failed: {}", e.toString());
          }
        });
      } catch (java.util.concurrent.RejectedExecutionException busy) {
        try (ex) {
          sendJson(ex, 503, Map.of("error", "too many /score requests waiting (" + SCORE_QUEUE
              + "); retry shortly"));
        }
      }
      return;
    }
    try (ex) {
      if (!"GET".equals(ex.getRequestMethod()) && !"HEAD".equals(ex.getRequestMethod())) {
        ex.getResponseHeaders().add("Allow", "GET, HEAD");
        sendJson(ex, 405, Map.of("error", "only GET is supported"));
        return;
      }
      String path = ex.getRequestURI().getPath();
      if ("/health".equals(path) || "/health/ready".equals(path)) {
        health(ex, health.ready());
      } else if ("/health/live".equals(path)) {
        health(ex, health.live());
      } else if ("/metrics".equals(path)) {
        metrics(ex);
      } else if ("/model".equals(path)) {
        model(ex);
      } else if (path.startsWith(USERS) && path.length() > USERS.length()) {
        user(ex, path.substring(USERS.length()));
      } else {
        sendJson(ex, 404, Map.of("error", "no such resource " + path
            + "; try /health/live, /health/ready, /metrics, /model, /users/{userId} or POST /score"));
      }
    } catch (RuntimeException e) {
      LOG.warn("HTTP {} {} failed", ex.getRequestMethod(), ex.getRequestURI(), e);
      try {
        sendJson(ex, 500, Map.of("error", String.valueOf(e)));
      } catch (IOException | RuntimeException ignored) {
        // The response was already under way; the client sees a cut connection.
      }
    }
  }

  private void health(HttpExchange ex, ScorerHealth.Report report) throws IOException {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("state", state.get().name());
    body.put("modelVersion", modelVersion.get());
    body.put("checks", report.checks());
    sendJson(ex, report.ok() ? 200 : 503, body);
  }

  private void metrics(HttpExchange ex) throws IOException {
    send(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.get().getBytes(StandardCharsets.UTF_8));
  }

  private void model(HttpExchange ex) throws IOException {
    Optional<Manifest> m = manifest.get();
    if (m.isPresent()) {
      Map<String, Object> body = JSON.convertValue(m.get(), new TypeReference<LinkedHashMap<String, Object>>() {});
      release.get().ifPresent(r -> body.put("release", r));
      sendJson(ex, 200, body);
    } else {
      sendJson(ex, 200, Map.of("version", Score.PRIOR_VERSION));
    }
  }

  private void user(HttpExchange ex, String userId) throws IOException {
    UserStateQuery.Result r = users.lookup(userId);
    if (r instanceof UserStateQuery.Found f) {
      sendJson(ex, 200, userJson(userId, f.state()));
    } else if (r instanceof UserStateQuery.Missing) {
      sendJson(ex, 404, Map.of("userId", userId, "error", "no state for this user (never seen: a cold user)"));
    } else if (r instanceof UserStateQuery.Elsewhere e) {
      ex.getResponseHeaders().add("Location", "http://" + e.endpoint() + ex.getRequestURI().getRawPath());
      sendJson(ex, 307, Map.of("userId", userId, "instance", e.endpoint(),
          "error", "this user is hosted by instance " + e.endpoint()));
    } else if (r instanceof UserStateQuery.Unavailable u) {
      sendJson(ex, 503, Map.of("userId", userId, "error", u.reason()));
    }
  }

  private void score(HttpExchange ex) throws IOException {
    long start = System.nanoTime();
    String outcome = "error";
    try {
      outcome = answerScore(ex);
    } finally {
      scoring.observe(outcome, System.nanoTime() - start);
    }
  }

  /** Answers one /score exchange; returns its outcome for the metrics. */
  private String answerScore(HttpExchange ex) throws IOException {
    if (!"POST".equals(ex.getRequestMethod())) {
      ex.getResponseHeaders().add("Allow", "POST");
      sendJson(ex, 405, Map.of("error", "/score takes POST with {\"userId\":..., \"candidates\":[...]}"));
      return "bad_request";
    }
    long limit = scoring.maxBodyBytes();
    byte[] body;
    long beyond;
    try (var in = ex.getRequestBody()) {
      body = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 8, limit + 1));
      // An oversized body is read on (up to a bound) and dropped, so the client gets the 413
      // instead of a connection reset; a still larger one does get the reset.
      beyond = body.length > limit ? discard(in, DRAIN_MAX_BYTES) : 0;
    }
    if (body.length > limit) {
      sendJson(ex, 413, Map.of("error", "the body is " + (beyond >= DRAIN_MAX_BYTES ? "far " : "") + "more than "
          + limit + " bytes (score.max.candidates ids of max.key.bytes)"));
      return "too_large";
    }
    ScoreRequest request;
    try {
      request = scoring.parse(body);
    } catch (ScoreRequest.Invalid e) {
      sendJson(ex, e.tooLarge() ? 413 : 400, Map.of("error", e.getMessage()));
      return e.tooLarge() ? "too_large" : "bad_request";
    }
    RequestScorer.Result r = scoring.score(request);
    if (r instanceof RequestScorer.Scored s) {
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("userId", s.userId());
      out.put("modelVersion", s.modelVersion());
      out.put("prior", s.prior());
      List<Map<String, Object>> scores = new ArrayList<>(s.movieIds().size());
      for (int i = 0; i < s.movieIds().size(); i++) {
        Map<String, Object> one = new LinkedHashMap<>();
        one.put("movieId", s.movieIds().get(i));
        one.put("score", s.scores()[i]);
        scores.add(one);
      }
      out.put("scores", scores);
      sendJson(ex, 200, out);
      return "ok";
    } else if (r instanceof RequestScorer.Elsewhere e) {
      ex.getResponseHeaders().add("Location", "http://" + e.endpoint() + SCORE);
      sendJson(ex, 307, Map.of("userId", request.userId(), "instance", e.endpoint(),
          "error", "this user is hosted by instance " + e.endpoint()));
      return "redirect";
    } else if (r instanceof RequestScorer.Unavailable u) {
      sendJson(ex, 503, Map.of("userId", request.userId(), "error", u.reason()));
      return "unavailable";
    } else {
      sendJson(ex, 500, Map.of("userId", request.userId(), "error", ((RequestScorer.Failed) r).reason()));
      return "error";
    }
  }

  /** Reads and drops up to {@code max} bytes; returns how many. */
  private static long discard(java.io.InputStream in, long max) throws IOException {
    byte[] buf = new byte[8192];
    long n = 0;
    int r;
    while (n < max && (r = in.read(buf, 0, (int) Math.min(buf.length, max - n))) >= 0) {
      n += r;
    }
    return n;
  }

  private static Map<String, Object> userJson(String userId, UserState s) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("userId", userId);
    body.put("profile", s.profile());
    List<Map<String, Object>> history = new ArrayList<>();
    s.history().forEach(h -> {
      Map<String, Object> e = new LinkedHashMap<>();
      e.put("movieId", h.movieId());
      e.put("timestamp", h.timestamp());
      e.put("negative", h.negative());
      history.add(e);
    });
    body.put("history", history);
    body.put("negatives", s.negativeIds());
    return body;
  }

  private static void sendJson(HttpExchange ex, int status, Object body) throws IOException {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("response body does not serialise", e);
    }
    send(ex, status, "application/json", bytes);
  }

  private static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
    ex.getResponseHeaders().set("Content-Type", contentType);
    boolean head = "HEAD".equals(ex.getRequestMethod());
    ex.sendResponseHeaders(status, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** Builder: every source is required; host and port come from the scorer configuration. */
  public static final class Builder {
    private String host = "127.0.0.1";
    private int port = 8080;
    private Supplier<KafkaStreams.State> state;
    private Supplier<String> modelVersion;
    private Supplier<Optional<Manifest>> manifest;
    private Supplier<Optional<Map<String, Object>>> release = Optional::empty;
    private Supplier<String> metrics;
    private UserStateQuery users;
    private RequestScorer scoring;
    private ScorerHealth health;

    private Builder() {}

    /** Liveness and readiness; default: from the Streams state alone. */
    public Builder optHealth(ScorerHealth health) {
      this.health = health;
      return this;
    }

    /** Address to bind; default 127.0.0.1 (0.0.0.0 only when configured). */
    public Builder optHost(String host) {
      this.host = host;
      return this;
    }

    /** Port to bind; 0 picks a free one. Default 8080. */
    public Builder optPort(int port) {
      this.port = port;
      return this;
    }

    public Builder setState(Supplier<KafkaStreams.State> state) {
      this.state = state;
      return this;
    }

    public Builder setModelVersion(Supplier<String> modelVersion) {
      this.modelVersion = modelVersion;
      return this;
    }

    /**
     * What the release of the served model says (version, parent, releasedAt, ageSeconds,
     * pinned), added to {@code GET /model} as {@code release}; default none.
     */
    public Builder optRelease(Supplier<Optional<Map<String, Object>>> release) {
      this.release = Objects.requireNonNull(release, "release");
      return this;
    }

    /** The served model's manifest; empty while the prior is served. */
    public Builder setManifest(Supplier<Optional<Manifest>> manifest) {
      this.manifest = manifest;
      return this;
    }

    /** The Prometheus text exposition (e.g. {@code PrometheusMeterRegistry::scrape}). */
    public Builder setMetrics(Supplier<String> metrics) {
      this.metrics = metrics;
      return this;
    }

    public Builder setUsers(UserStateQuery users) {
      this.users = users;
      return this;
    }

    /** Answers {@code POST /score} with it; default none (then /score is 404). The caller closes it. */
    public Builder optScoring(RequestScorer scoring) {
      this.scoring = scoring;
      return this;
    }

    /**
     * Binds the socket (not yet answering: {@link ScorerHttpServer#start}).
     *
     * @throws IOException when the address cannot be bound (in use, not local)
     */
    public ScorerHttpServer build() throws IOException {
      List<String> missing = new ArrayList<>();
      if (state == null) {
        missing.add("setState");
      }
      if (modelVersion == null) {
        missing.add("setModelVersion");
      }
      if (manifest == null) {
        missing.add("setManifest");
      }
      if (metrics == null) {
        missing.add("setMetrics");
      }
      if (users == null) {
        missing.add("setUsers");
      }
      if (!missing.isEmpty()) {
        throw new IllegalStateException("HTTP server needs " + String.join(", ", missing));
      }
      if (host == null || host.isBlank() || port < 0 || port > 65535) {
        throw new IllegalStateException("HTTP host must be set and port 0..65535, got " + host + ":" + port);
      }
      return new ScorerHttpServer(this);
    }
  }
}
