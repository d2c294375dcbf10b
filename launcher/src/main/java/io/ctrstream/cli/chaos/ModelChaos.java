package io.ctrstream.cli.chaos;

import io.ctrstream.cli.bench.BenchCluster;
import io.ctrstream.cli.bench.ScoringBenchmark.Progress;
import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.release.Rejection;
import io.ctrstream.dien.release.ReleaseSignature;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.ModelRelease;
import io.ctrstream.schemas.Score;
import io.ctrstream.schemas.TopicSpec;
import io.ctrstream.schemas.Topics;
import io.ctrstream.streams.ScorerApp;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.release.ReleaseLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.KafkaStreams;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code ./ctr chaos model}: proves that no model release stops scoring. On a broker started in
 * this process, or a running cluster (topics with a prefix unique to the run, deleted at the end,
 * as {@link BenchCluster} does), it starts the scorer as {@code serve} does ({@link ScorerApp}
 * with its release follower, exactly_once_v2), configured with a public key of an Ed25519 pair
 * made for the run, a directory of allowed bundle URIs and a small {@code
 * release.max.bundle.bytes}. A valid release of a small real DIEN bundle is served from the
 * start; while impressions arrive at a steady rate it publishes one bad release after another
 * (corrupt and truncated bundle bytes, a wrong sha256, unsigned, signed by another key, NaN
 * weights, a bundle of another feature layout, a bundle over the size bound, a bundle URI
 * outside the allowed directory, a record that is not a release) and waits for each to be refused
 * ({@code ctr.model.rejected{reason}}), then a second valid release. It checks, reading scores
 * read_committed:
 *
 * <ul>
 *   <li>each bad release is refused with its expected reason, and the first model keeps serving:
 *       every impression sent meanwhile is scored by it;
 *   <li>the second valid release is served, and no impression sent around the swap waited longer
 *       than {@code batch.max.wait.ms + commit.interval.ms + latency slack} from its send to its
 *       committed score;
 *   <li>every impression is scored exactly once; the follower is alive, no stream thread died,
 *       Kafka Streams is RUNNING and the scorer ready.
 * </ul>
 */
public final class ModelChaos {
  private static final Logger LOG = LoggerFactory.getLogger(ModelChaos.class);
  static final String V1 = "chaos-model-1";
  static final String V2 = "chaos-model-2";
  private static final int MAX_PROBLEMS_LISTED = 50;

  /**
   * What to run.
   *
   * @param rate impressions sent per second, throughout
   * @param users users published first ({@code u0..})
   * @param movies movies published first ({@code 1..})
   * @param steady how long the first model serves before the first bad release (the baseline)
   * @param afterSwap how long impressions go on after the second valid release is served
   * @param stepTimeout longest wait for one release to be refused or served
   * @param timeout longest wait for the last scores
   * @param latencySlackMs what the latency bound allows beyond batch.max.wait.ms +
   *     commit.interval.ms: the producer's and the reader's round trips and the transaction commit
   */
  public record Options(int rate, int users, int movies, Duration steady, Duration afterSwap,
      Duration stepTimeout, Duration timeout, long latencySlackMs, long seed,
      String bootstrapServers, Path kafkaProperties, Optional<Short> replicationFactor,
      Progress progress) {

    /** Problems with these options; empty when they can run. */
    public List<String> problems() {
      List<String> p = new ArrayList<>();
      if (rate < 1 || rate > 5_000) {
        p.add("rate must be in [1, 5000] impressions per second, got " + rate);
      }
      if (users < 1) {
        p.add("users must be > 0, got " + users);
      }
      if (movies < 1) {
        p.add("movies must be > 0, got " + movies);
      }
      for (Map.Entry<String, Duration> d : Map.of("steady time", steady, "time after the swap",
          afterSwap, "step timeout", stepTimeout, "timeout", timeout).entrySet()) {
        if (d.getValue().isNegative() || d.getValue().isZero()) {
          p.add(d.getKey() + " must be > 0, got " + d.getValue());
        }
      }
      if (latencySlackMs < 0) {
        p.add("latency slack must be >= 0 ms, got " + latencySlackMs);
      }
      ChaosCluster.problems(p, bootstrapServers, kafkaProperties, replicationFactor);
      return p;
    }
  }

  /** One bad release: what it is, the reason it must get, the reason(s) the scorer gave. */
  public record BadRelease(String kind, String expected, String seen) {
    public boolean ok() {
      return expected.equals(seen);
    }
  }

  /**
   * What a run found; it passed when {@link #problems()} is empty.
   *
   * @param badReleases each bad release in the order sent, with the reason expected and seen
   * @param versionBefore the version served before the bad releases
   * @param versionDuring the version served once every bad release was refused
   * @param versionAfter the version served at the end
   * @param scoresDuringBad scores read from the first bad release until the second valid release
   *     was published
   * @param otherVersionDuringBad of those, scored by another model than the first
   * @param swapSeconds from publishing the second valid release to its being served
   * @param swapMaxLatencyMs the longest send-to-committed-score time of the impressions sent
   *     from 1 s before the second valid release until 2 s after it was served
   * @param baselineMaxLatencyMs the same over the steady phase, before any bad release
   * @param badMaxLatencyMs the same while the bad releases were refused
   * @param latencyBoundMs the larger of batch.max.wait.ms + commit.interval.ms + the slack, and
   *     the steady phase's longest wait + batch.max.wait.ms (a machine slower than the fixed bound
   *     without any release: the swap may cost at most one batch wait more than its jitter)
   * @param warmupSeconds from the first impression sent until the scorer caught up (its first
   *     batches wait longer: the model's first call, the first transactions); not measured
   */
  public record Figures(String broker, List<BadRelease> badReleases, String versionBefore,
      String versionDuring, String versionAfter, int scoresDuringBad, int otherVersionDuringBad,
      double swapSeconds, long swapMaxLatencyMs, long baselineMaxLatencyMs, long badMaxLatencyMs,
      long latencyBoundMs, double warmupSeconds, int impressionsSent, int scored, int lost, int duplicates,
      int threadsDied, boolean followerAlive, String state, boolean ready, double seconds,
      List<String> problems) {

    public boolean passed() {
      return problems.isEmpty();
    }
  }

  /** A bad release to publish: the record's bytes and the reason it must be refused for. */
  private record Bad(String kind, Rejection expected, byte[] value) {}

  private final Options o;

  public ModelChaos(Options options) {
    this.o = Objects.requireNonNull(options);
    List<String> problems = options.problems();
    if (!problems.isEmpty()) {
      throw new IllegalArgumentException(String.join("; ", problems));
    }
  }

  public Figures run() throws IOException, InterruptedException {
    long began = System.nanoTime();
    Path work = Files.createTempDirectory("ctr-chaos-model-");
    o.progress().begin(o.bootstrapServers() == null ? "starting the in-process broker"
        : "connecting to " + o.bootstrapServers(), 1);
    try (BenchCluster kafka = ChaosCluster.open(o.bootstrapServers(), o.kafkaProperties(),
        o.replicationFactor())) {
      o.progress().end();
      LOG.info("chaos model against the {}", kafka.describe());
      Topics topics = Topics.builder().optPrefix(kafka.namePrefix()).build();
      kafka.createTopics(topics);
      return runOn(kafka, topics, work, began);
    } finally {
      ChaosCluster.deleteTree(work);
    }
  }

  private Figures runOn(BenchCluster kafka, Topics topics, Path work, long began)
      throws IOException, InterruptedException {
    // The keys, the allowed directory and one outside it.
    KeyPair trusted = ReleaseSignature.generate();
    KeyPair other = ReleaseSignature.generate();
    Path keys = Files.createDirectories(work.resolve("keys"));
    ReleaseSignature.writeKeyPair(trusted, keys);
    Path allowed = Files.createDirectories(work.resolve("bundles"));
    Path outside = Files.createDirectories(work.resolve("bundles-elsewhere"));

    o.progress().begin("building the models", 1);
    long t0 = System.currentTimeMillis();
    FeatureEncoder encoder = ChaosModels.encoder(o.users(), o.movies());
    ModelBundle first = ChaosModels.bundle(encoder, V1, 1, t0 - 60_000);
    ModelBundle second = ChaosModels.bundle(encoder, V2, 2, t0 + 60_000);
    long maxBundleBytes = Math.max(1024, 2L * second.toBytes().length);
    List<Bad> bads = badReleases(encoder, first, trusted, other, t0, maxBundleBytes, outside);
    o.progress().end();

    Map<String, String> settings = new HashMap<>(ChaosCluster.scorerSettings(kafka, topics,
        work.resolve("state"), o.kafkaProperties()));
    settings.put("release.public.key", keys.resolve(ReleaseSignature.PUBLIC_KEY_FILE).toString());
    settings.put("release.uri.allowed", allowed.toUri().toString());
    settings.put("release.max.bundle.bytes", Long.toString(maxBundleBytes));
    ScorerConfig config = ScorerConfig.fromMap(settings);
    long fixedBoundMs = config.maxBatchWaitMs() + config.commitIntervalMs() + o.latencySlackMs();
    ScorerMetrics metrics = ScorerMetrics.inMemory();

    try (KafkaProducer<byte[], byte[]> producer = ChaosCluster.producer(kafka);
        ScoreReader reader = new ScoreReader(kafka.clientConfig(), topics.scores())) {
      topics.all().forEach(t -> producer.partitionsFor(t.name()));
      o.progress().begin("publishing " + o.users() + " users, " + o.movies() + " movies and " + V1, 1);
      ChaosCluster.publishCatalog(producer, topics, o.users(), o.movies());
      publish(producer, topics, signed(release(first), trusted));
      producer.flush();
      o.progress().end();

      o.progress().begin("starting the scorer", 1);
      try (ScorerApp app = ScorerApp.builder().setConfig(config).optMetrics(metrics)
          .optFollowReleases(true).optHttp(false).build();
          Sender sender = new Sender(kafka, topics.impressions(), o)) {
        app.start();
        ChaosCluster.awaitRunning(app.streams(), o.timeout());
        o.progress().end();
        List<String> problems = new ArrayList<>();
        List<String> states = new ArrayList<>();
        Runnable poll = () -> {
          reader.poll();
          KafkaStreams.State s = app.streams().state();
          if (s != KafkaStreams.State.RUNNING && !states.contains(s.name())) {
            states.add(s.name());
          }
        };

        // Warm-up: the first batches (the model's first call, the first transactions) wait
        // longer; the backlog they leave is cleared once an impression sent after the first
        // score was read is scored. Steady: the first model serves a stream of impressions.
        sender.start();
        o.progress().begin("warming up", 1);
        long warmFrom = System.nanoTime();
        long warmDeadline = warmFrom + o.timeout().toNanos();
        String marker = null;
        while (System.nanoTime() < warmDeadline && (marker == null || !reader.seen.containsKey(marker))) {
          poll.run();
          if (marker == null && reader.count() > 0) {
            marker = sender.next();
          }
        }
        o.progress().end();
        if (marker == null || !reader.seen.containsKey(marker)) {
          problems.add("the scorer did not catch up with the impressions within " + o.timeout().toSeconds() + " s");
        }
        o.progress().begin("steady scoring with " + V1, o.steady().toMillis());
        long steadyFrom = System.nanoTime();
        double warmSeconds = Math.round((steadyFrom - warmFrom) / 1e8) / 10.0;
        while (System.nanoTime() - steadyFrom < o.steady().toNanos()) {
          poll.run();
          o.progress().update((System.nanoTime() - steadyFrom) / 1_000_000);
        }
        o.progress().end();
        String versionBefore = app.modelVersion();
        if (!V1.equals(versionBefore)) {
          problems.add("the first valid release is not served: the scorer serves " + versionBefore);
        }

        // The bad releases, one at a time, each until it is refused.
        long badFrom = System.nanoTime();
        List<BadRelease> seen = new ArrayList<>();
        o.progress().begin("publishing " + bads.size() + " bad releases", bads.size());
        for (Bad bad : bads) {
          Map<String, Double> counts = rejections(metrics);
          producer.send(new ProducerRecord<>(topics.modelReleases().name(),
              ChaosModels.MODEL.getBytes(StandardCharsets.UTF_8), bad.value()));
          producer.flush();
          long deadline = System.nanoTime() + o.stepTimeout().toNanos();
          List<String> reasons = List.of();
          while (System.nanoTime() < deadline && reasons.isEmpty()) {
            poll.run();
            reasons = increased(counts, rejections(metrics));
          }
          String got = reasons.isEmpty() ? "none" : String.join(",", reasons);
          BadRelease r = new BadRelease(bad.kind(), bad.expected().wireName(), got);
          seen.add(r);
          LOG.info("bad release {}: refused as {} (expected {})", r.kind(), got, r.expected());
          if (!r.ok()) {
            problems.add("bad release " + bad.kind() + ": refused as " + got + ", expected "
                + bad.expected().wireName());
          }
          if (!V1.equals(app.modelVersion())) {
            problems.add("after bad release " + bad.kind() + " the scorer serves " + app.modelVersion());
          }
          o.progress().update(seen.size());
        }
        o.progress().end();
        String versionDuring = app.modelVersion();

        // The second valid release swaps in while impressions flow.
        o.progress().begin("publishing " + V2, 1);
        long swapPublished = System.nanoTime();
        publish(producer, topics, signed(release(second), trusted));
        producer.flush();
        long swapServed = -1;
        long deadline = swapPublished + o.stepTimeout().toNanos();
        while (System.nanoTime() < deadline && swapServed < 0) {
          poll.run();
          if (V2.equals(app.modelVersion())) {
            swapServed = System.nanoTime();
          }
        }
        o.progress().end();
        if (swapServed < 0) {
          problems.add(V2 + " was not served within " + o.stepTimeout().toSeconds() + " s; the scorer serves "
              + app.modelVersion());
          swapServed = System.nanoTime();
        }
        long afterUntil = swapServed + o.afterSwap().toNanos();
        o.progress().begin("scoring with " + V2, o.afterSwap().toMillis());
        while (System.nanoTime() < afterUntil) {
          poll.run();
          o.progress().update((System.nanoTime() - swapServed) / 1_000_000);
        }
        o.progress().end();
        sender.stop();

        // The last scores.
        o.progress().begin("waiting for the last scores", sender.sent());
        deadline = System.nanoTime() + o.timeout().toNanos();
        while (System.nanoTime() < deadline && !reader.scoredAll(sender.sentAt.keySet())) {
          poll.run();
          o.progress().update(reader.count());
        }
        long settle = System.nanoTime() + 1_000_000_000L;
        while (System.nanoTime() < settle) {
          poll.run();
        }
        o.progress().end();

        // Figures.
        int lost = 0;
        int duplicates = 0;
        int duringBad = 0;
        int otherDuringBad = 0;
        long baselineMax = 0;
        long badMax = 0;
        long swapMax = 0;
        long swapFrom = swapPublished - 1_000_000_000L;
        long swapTo = swapServed + 2_000_000_000L;
        for (Map.Entry<String, Long> e : sender.sentAt.entrySet()) {
          List<Seen> got = reader.seen.getOrDefault(e.getKey(), List.of());
          long at = e.getValue();
          if (got.isEmpty()) {
            lost++;
            if (lost <= 10) {
              problems.add("impression " + e.getKey() + " was never scored");
            }
            continue;
          }
          if (got.size() > 1) {
            duplicates++;
            problems.add("impression " + e.getKey() + " was scored " + got.size() + " times");
          }
          Seen s = got.get(0);
          long latency = (s.receivedNanos() - at) / 1_000_000;
          if (at < steadyFrom) {
            // warm-up
          } else if (at < badFrom) {
            baselineMax = Math.max(baselineMax, latency);
          } else if (at < swapPublished) {
            badMax = Math.max(badMax, latency);
          }
          // What served while the bad releases came: the scores read before the second valid
          // release was published (one sent just before it may rightly be scored by it).
          if (s.receivedNanos() >= badFrom && s.receivedNanos() < swapPublished) {
            duringBad++;
            if (!V1.equals(s.version())) {
              otherDuringBad++;
            }
          }
          if (at >= swapFrom && at <= swapTo) {
            swapMax = Math.max(swapMax, latency);
          }
          if (!V1.equals(s.version()) && !V2.equals(s.version())) {
            problems.add("impression " + e.getKey() + " was scored by " + s.version());
          }
        }
        if (lost > 10) {
          problems.add((lost - 10) + " more impressions were never scored");
        }
        int unexpected = reader.count() - reader.seen.keySet().stream()
            .filter(sender.sentAt::containsKey).mapToInt(k -> reader.seen.get(k).size()).sum();
        if (unexpected > 0) {
          problems.add(unexpected + " scores of no impression sent");
        }
        if (sender.failed.get() > 0) {
          problems.add(sender.failed.get() + " impressions could not be sent");
        }
        if (duringBad == 0) {
          problems.add("no impression was scored while the bad releases were published");
        }
        if (otherDuringBad > 0) {
          problems.add(otherDuringBad + " impressions sent during the bad releases were scored by another model than " + V1);
        }
        // The swap may cost at most one batch wait more than the machine's own jitter: the bound
        // is the fixed one, or the steady phase's longest wait + batch.max.wait.ms when the
        // machine is already slower than that without any release.
        long boundMs = Math.max(fixedBoundMs, baselineMax + config.maxBatchWaitMs());
        if (swapMax > boundMs) {
          problems.add("an impression sent around the swap waited " + swapMax + " ms for its score, over the bound of "
              + boundMs + " ms (the larger of batch.max.wait.ms + commit.interval.ms + " + o.latencySlackMs()
              + " ms, and the steady longest wait " + baselineMax + " ms + batch.max.wait.ms)");
        }
        String versionAfter = app.modelVersion();
        if (!V2.equals(versionAfter)) {
          problems.add("the scorer serves " + versionAfter + " at the end, not " + V2);
        }
        int threadsDied = (int) Math.round(metrics.streamThreadFailures());
        boolean followerAlive = app.releaseFollowerAlive().orElse(false);
        KafkaStreams.State state = app.streams().state();
        boolean ready = app.health().ready().ok();
        if (threadsDied > 0) {
          problems.add(threadsDied + " stream threads died");
        }
        if (!followerAlive) {
          problems.add("the release follower is not alive");
        }
        if (state != KafkaStreams.State.RUNNING || !ready) {
          problems.add("Kafka Streams is " + state + (ready ? "" : ", not ready: " + app.health().ready().checks()));
        }
        if (!states.stream().allMatch("REBALANCING"::equals)) {
          problems.add("Kafka Streams left RUNNING for " + states);
        }
        double seconds = Math.round((System.nanoTime() - began) / 1e8) / 10.0;
        return new Figures(kafka.inProcess() ? "in-process" : "external", List.copyOf(seen),
            versionBefore, versionDuring, versionAfter, duringBad, otherDuringBad,
            Math.round((swapServed - swapPublished) / 1e7) / 100.0, swapMax, baselineMax, badMax,
            boundMs, warmSeconds, sender.sent(), reader.seen.size(), lost, duplicates, threadsDied,
            followerAlive, state.name(), ready, seconds,
            List.copyOf(problems.size() <= MAX_PROBLEMS_LISTED ? problems
                : problems.subList(0, MAX_PROBLEMS_LISTED)));
      }
    }
  }

  /** The bad releases, in the order sent, each newer than the first model (never stale). */
  private static List<Bad> badReleases(FeatureEncoder encoder, ModelBundle live, KeyPair trusted,
      KeyPair other, long t0, long maxBundleBytes, Path outside) throws IOException {
    List<Bad> bads = new ArrayList<>();
    long at = t0;
    ModelBundle good = ChaosModels.bundle(encoder, "chaos-bad", 3, at);
    byte[] bytes = good.toBytes();

    byte[] corrupt = bytes.clone();
    for (int i = corrupt.length / 3; i < 2 * corrupt.length / 3; i++) {
      corrupt[i] ^= (byte) 0x5a;
    }
    bads.add(new Bad("corrupt-bytes", Rejection.CORRUPT,
        value(signed(withBytes(release(good, "chaos-corrupt", ++at), corrupt), trusted))));
    byte[] truncated = Arrays.copyOf(bytes, bytes.length / 2);
    bads.add(new Bad("truncated", Rejection.CORRUPT,
        value(signed(withBytes(release(good, "chaos-truncated", ++at), truncated), trusted))));
    ModelRelease wrongSha = release(good, "chaos-bad", ++at);
    wrongSha = new ModelRelease(wrongSha.modelName(), wrongSha.version(), null, wrongSha.createdAt(),
        sha256(live.toBytes()), wrongSha.featureSpecHash(), Map.of(), wrongSha.bundle(), null);
    bads.add(new Bad("wrong-sha256", Rejection.CHECKSUM, value(signed(wrongSha, trusted))));
    bads.add(new Bad("unsigned", Rejection.UNSIGNED, value(release(good, "chaos-bad", ++at))));
    bads.add(new Bad("signed-by-another-key", Rejection.SIGNATURE,
        value(signed(release(good, "chaos-bad", ++at), other))));
    ModelBundle nan = ChaosModels.nanWeights(encoder, "chaos-nan", ++at);
    bads.add(new Bad("nan-weights", Rejection.PROBE, value(signed(release(nan), trusted))));
    // Another feature layout (a shorter history: other shapes) under the live model's spec hash.
    FeatureEncoder otherLayout = ChaosModels.encoder(10, 10, 8);
    ModelBundle incompatible = ChaosModels.bundle(otherLayout, "chaos-incompatible", 4, ++at);
    ModelRelease inc = release(incompatible);
    inc = new ModelRelease(inc.modelName(), inc.version(), null, inc.createdAt(), inc.sha256(),
        live.manifest().featureSpecHash(), Map.of(), inc.bundle(), null);
    bads.add(new Bad("incompatible-features", Rejection.SPEC, value(signed(inc, trusted))));
    byte[] big = Arrays.copyOf(bytes, (int) maxBundleBytes + 1024);
    bads.add(new Bad("oversized", Rejection.TOO_LARGE,
        value(signed(withBytes(release(good, "chaos-oversized", ++at), big), trusted))));
    Path elsewhere = outside.resolve("chaos-bad.bundle");
    Files.write(elsewhere, bytes);
    ModelRelease byUri = release(good, "chaos-bad", ++at);
    byUri = new ModelRelease(byUri.modelName(), byUri.version(), null, byUri.createdAt(),
        byUri.sha256(), byUri.featureSpecHash(), Map.of(), null, elsewhere.toUri().toString());
    bads.add(new Bad("uri-outside-allowed", Rejection.DISALLOWED, value(signed(byUri, trusted))));
    bads.add(new Bad("not-a-release", Rejection.INVALID,
        "{\"modelName\":".getBytes(StandardCharsets.UTF_8)));
    return bads;
  }

  private static ModelRelease release(ModelBundle b) {
    return new ModelRelease(b.manifest().modelName(), b.version(), null, b.manifest().createdAt(),
        b.sha256(), b.manifest().featureSpecHash(), Map.of(),
        Base64.getEncoder().encodeToString(b.toBytes()), null);
  }

  /** The release of {@code b}'s bytes under another version and time (the bundle disagrees). */
  private static ModelRelease release(ModelBundle b, String version, long createdAt) {
    ModelRelease r = release(b);
    return new ModelRelease(r.modelName(), version, null, createdAt, r.sha256(), r.featureSpecHash(),
        Map.of(), r.bundle(), null);
  }

  /** {@code r} with other bundle bytes, whose sha256 it carries. */
  private static ModelRelease withBytes(ModelRelease r, byte[] bytes) {
    return new ModelRelease(r.modelName(), r.version(), null, r.createdAt(), sha256(bytes),
        r.featureSpecHash(), Map.of(), Base64.getEncoder().encodeToString(bytes), null);
  }

  private static ModelRelease signed(ModelRelease r, KeyPair key) {
    return r.withSignature(ReleaseSignature.sign(ReleaseLoader.claims(r), key.getPrivate()),
        ReleaseSignature.ALGORITHM, ReleaseSignature.keyId(key.getPublic()));
  }

  private static byte[] value(ModelRelease r) {
    return Topics.defaults().modelReleases().valueSerde().serialize(r);
  }

  private static void publish(KafkaProducer<byte[], byte[]> producer, Topics topics, ModelRelease r) {
    producer.send(new ProducerRecord<>(topics.modelReleases().name(),
        r.modelName().getBytes(StandardCharsets.UTF_8), value(r)));
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Map<String, Double> rejections(ScorerMetrics metrics) {
    Map<String, Double> m = new LinkedHashMap<>();
    for (Rejection r : Rejection.values()) {
      m.put(r.wireName(), metrics.modelRejections(r.wireName()));
    }
    return m;
  }

  private static List<String> increased(Map<String, Double> before, Map<String, Double> now) {
    return now.entrySet().stream().filter(e -> e.getValue() > before.get(e.getKey()))
        .map(Map.Entry::getKey).toList();
  }

  /** A score read: the version that gave it and when it was read. */
  record Seen(String version, double score, long receivedNanos) {}

  /** Reads scores read_committed from the beginning, in the caller's thread. */
  static final class ScoreReader implements AutoCloseable {
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final TopicSpec<String, Score> topic;
    final Map<String, List<Seen>> seen = new HashMap<>();
    final Map<String, Score> byId = new HashMap<>();
    private int count;

    ScoreReader(Map<String, Object> clientConfig, TopicSpec<String, Score> topic) {
      Map<String, Object> c = new HashMap<>(clientConfig);
      c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
      c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      c.put(ConsumerConfig.FETCH_MAX_WAIT_MS_CONFIG, 20);
      this.topic = topic;
      this.consumer = new KafkaConsumer<>(c, new ByteArrayDeserializer(), new ByteArrayDeserializer());
      List<TopicPartition> partitions = new ArrayList<>();
      for (int p = 0; p < topic.partitions(); p++) {
        partitions.add(new TopicPartition(topic.name(), p));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
    }

    void poll() {
      for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(20))) {
        long now = System.nanoTime();
        count++;
        Score s;
        try {
          s = topic.valueSerde().deserialize(r.value());
        } catch (RuntimeException e) {
          continue; // counted, matches no impression: an unexpected score
        }
        seen.computeIfAbsent(s.impressionId(), k -> new ArrayList<>())
            .add(new Seen(s.modelVersion(), s.score() == null ? Double.NaN : s.score(), now));
        byId.put(s.impressionId(), s);
      }
    }

    int count() {
      return count;
    }

    boolean scoredAll(java.util.Collection<String> ids) {
      return seen.keySet().containsAll(ids);
    }

    @Override
    public void close() {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }

  /**
   * Sends impressions of random users and movies at a steady rate on a thread of its own; keeps
   * when each was sent (nanoTime, just before the send).
   */
  static final class Sender implements AutoCloseable {
    final Map<String, Long> sentAt = new ConcurrentHashMap<>();
    final AtomicInteger failed = new AtomicInteger();
    private final KafkaProducer<byte[], byte[]> producer;
    private final TopicSpec<String, Impression> topic;
    private final int rate;
    private final int users;
    private final int movies;
    private final Random random;
    private final String prefix;
    private final AtomicBoolean running = new AtomicBoolean();
    private final java.util.concurrent.atomic.AtomicLong sequence = new java.util.concurrent.atomic.AtomicLong();
    private Thread thread;

    Sender(BenchCluster kafka, TopicSpec<String, Impression> topic, Options o) {
      this(kafka, topic, o.rate(), o.users(), o.movies(), o.seed(), "i");
    }

    Sender(BenchCluster kafka, TopicSpec<String, Impression> topic, int rate, int users, int movies,
        long seed, String prefix) {
      Map<String, Object> c = new HashMap<>(ChaosCluster.producerConfig(kafka));
      c.put(ProducerConfig.LINGER_MS_CONFIG, 0);
      this.producer = new KafkaProducer<>(c, new ByteArraySerializer(), new ByteArraySerializer());
      this.topic = topic;
      this.rate = rate;
      this.users = users;
      this.movies = movies;
      this.random = new Random(seed);
      this.prefix = prefix;
    }

    synchronized void start() {
      running.set(true);
      thread = new Thread(this::loop, "ctr-chaos-sender");
      thread.setDaemon(true);
      thread.start();
    }

    private void loop() {
      long period = 1_000_000_000L / rate;
      long from = System.nanoTime();
      for (long n = 0; running.get(); n++) {
        String id = prefix + n;
        sequence.set(n + 1);
        String user = "u" + random.nextInt(users);
        String movie = Integer.toString(1 + random.nextInt(movies));
        Impression i = new Impression(id, user, movie, System.currentTimeMillis());
        sentAt.put(id, System.nanoTime());
        try {
          producer.send(new ProducerRecord<>(topic.name(), user.getBytes(StandardCharsets.UTF_8),
              topic.valueSerde().serialize(i)), (md, e) -> {
                if (e != null) {
                  sentAt.remove(id);
                  failed.incrementAndGet();
                  LOG.warn("impression {} not sent: {}", id, e.toString());
                }
              });
        } catch (RuntimeException e) {
          sentAt.remove(id);
          failed.incrementAndGet();
        }
        long next = from + (n + 1) * period;
        long wait = next - System.nanoTime();
        if (wait > 0) {
          LockSupport.parkNanos(wait);
        }
      }
      producer.flush();
    }

    int sent() {
      return sentAt.size();
    }

    /** The id the next impression will get. */
    String next() {
      return prefix + sequence.get();
    }

    /** Stops sending; every impression sent is acknowledged (or failed) on return. */
    synchronized void stop() throws InterruptedException {
      running.set(false);
      if (thread != null) {
        thread.join(TimeUnit.SECONDS.toMillis(60));
        thread = null;
      }
    }

    @Override
    public void close() throws InterruptedException {
      stop();
      producer.close(Duration.ofSeconds(5));
    }
  }
}
