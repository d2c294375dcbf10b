package io.ctrstream.streams.release;

import io.ctrstream.dien.release.BundleUriPolicy;
import io.ctrstream.dien.release.Rejection;
import io.ctrstream.dien.release.ReleaseRejectedException;
import io.ctrstream.dien.release.ReleaseSignature;
import io.ctrstream.dien.release.ReleaseVerifier;
import io.ctrstream.dien.release.ScorerFactory;
import io.ctrstream.dien.release.ServableSpec;
import io.ctrstream.schemas.Decoded;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.ModelRelease;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.SwappableModelProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.security.PublicKey;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.InterruptException;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Follows the compacted {@code model-releases} topic on its own thread and installs each new,
 * verified release of the configured model into a {@link SwappableModelProvider}.
 *
 * <p>Input: {@code model-releases}, key model name, value {@link ModelRelease} (read as bytes and
 * decoded here, so a bad record is refused, never fatal). Read from the beginning with {@code
 * read_committed} and no consumer group (every instance reads every release), so a restarted
 * scorer finds the latest release. At start it first catches up to the end offsets and loads only
 * the newest record for its model (falling back to older ones when that one is refused); after
 * that every record for its model is loaded as it arrives. Other models' records are skipped; a
 * tombstone is logged and the current model kept. While catching up it holds only the newest
 * record of its model; older ones are remembered by offset and read again, one at a time, only
 * when every newer one was refused (a topic not yet compacted may hold many large releases).
 *
 * <p>A release is installed by {@link SwappableModelProvider#release}; every stream task swaps to it
 * before its next batch and closes its old scorer after its last batch. A release that fails a
 * check of {@link ReleaseLoader}, or is older ({@code createdAt}) than the model served, is refused
 * with one log line naming the reason and {@code ctr.model.rejected{reason}}; the served model
 * keeps serving. The same version again is ignored, but for its {@code pinned} flag, which {@link
 * #live()} then carries. The checks (bundle URI policy, size bound,
 * signature, checksum, spec, probe) are the shared {@link ReleaseVerifier}'s.
 *
 * <p>The follower never dies silently: any exception or {@link Error} (an {@link
 * OutOfMemoryError} from a huge bundle included) while loading a release refuses that release
 * ({@code error}); one while polling is logged and the loop goes on after a pause (a failure while
 * catching up starts the catch-up again). Each is counted in {@code ctr.release.follower.errors}.
 * Only a {@link VirtualMachineError} other than running out of memory or stack (an internal JVM
 * error) ends the thread, with an error log. {@link #isAlive()} and
 * {@code ctr.release.follower.alive} say whether the loop runs, for health checks.
 *
 * <p>Thread-safety: {@link #start}, {@link #close}, {@link #live}, {@link #isAlive} and {@link
 * #awaitCaughtUp} may be
 * called from any thread; the consumer is used only by the follower's thread.
 */
public final class ModelReleaseFollower implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(ModelReleaseFollower.class);
  private static final JsonSerde<ModelRelease> SERDE = JsonSerde.of(ModelRelease.class);
  private static final Duration REREAD_TIMEOUT = Duration.ofSeconds(30);

  private final Consumer<String, byte[]> consumer;
  private final String topic;
  private final ReleaseLoader loader;
  private final SwappableModelProvider provider;
  private final ScorerMetrics metrics;
  private final Duration pollTimeout;
  private final Duration retryBackoff;
  private final CountDownLatch caughtUp = new CountDownLatch(1);
  private final CountDownLatch closing = new CountDownLatch(1);
  private volatile LoadedModel live;
  private volatile boolean closed;
  private volatile boolean alive;
  private Thread thread;

  private ModelReleaseFollower(Builder b) {
    this.consumer = b.consumer;
    this.topic = b.topic;
    this.loader = b.loader;
    this.provider = b.provider;
    this.metrics = b.metrics;
    this.pollTimeout = b.pollTimeout;
    this.retryBackoff = b.retryBackoff;
    metrics.releaseFollowerAlive(this::isAlive);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The production follower of {@code config}: its own Kafka consumer on {@code model-releases},
   * DIEN scorers, the scorer's feature layout.
   */
  public static ModelReleaseFollower create(ScorerConfig config, SwappableModelProvider provider, ScorerMetrics metrics) {
    ReleaseLoader loader = new ReleaseLoader(config.modelName(), verifier(config));
    LOG.info("model releases: bundle URIs allowed {}, bundles up to {} bytes, signatures {}",
        loader.verifier().uriPolicy(), loader.verifier().maxBundleBytes(),
        config.releasePublicKey().isEmpty() ? "not checked (release.public.key is empty)"
            : "required (key " + config.releasePublicKey() + ")");
    return builder()
        .setConsumer(new KafkaConsumer<>(consumerProperties(config), new StringDeserializer(), new ByteArrayDeserializer()))
        .setTopic(config.topics().modelReleases().name())
        .setLoader(loader)
        .setProvider(provider)
        .setMetrics(metrics)
        .build();
  }

  /**
   * The release checks {@code config} asks for: its URI policy, bundle bound and public key.
   *
   * @throws UncheckedIOException when the public key file cannot be read as an Ed25519 key
   */
  public static ReleaseVerifier verifier(ScorerConfig config) {
    PublicKey key = null;
    if (!config.releasePublicKey().isEmpty()) {
      try {
        key = ReleaseSignature.readPublicKey(Path.of(config.releasePublicKey()));
      } catch (IOException e) {
        throw new UncheckedIOException("release.public.key: " + e.getMessage(), e);
      }
    }
    return ReleaseVerifier.builder()
        .setServable(new ServableSpec(config.historyLength()))
        .optScorerFactory(ScorerFactory.DIEN)
        .optPublicKey(key)
        .optUriPolicy(BundleUriPolicy.parse(config.releaseUriAllowed()))
        .optMaxBundleBytes(config.releaseMaxBundleBytes())
        .build();
  }

  /** The follower's consumer settings: no group, from the beginning, committed releases only. */
  public static Properties consumerProperties(ScorerConfig config) {
    Properties p = new Properties();
    p.putAll(config.kafkaClientProperties());
    p.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, config.bootstrapServers());
    p.put(ConsumerConfig.CLIENT_ID_CONFIG, config.applicationId() + "-model-follower");
    p.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
    p.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    p.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
    // An inline bundle may be as large as the topic allows (64 MiB by default).
    p.put(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 128 << 20);
    p.put(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 128 << 20);
    return p;
  }

  /** Starts following on a thread of its own ({@code ctr-model-follower}). */
  public synchronized void start() {
    if (thread != null) {
      throw new IllegalStateException("follower already started");
    }
    thread = new Thread(this::run, "ctr-model-follower");
    thread.setDaemon(true);
    thread.start();
  }

  /**
   * Waits until the releases present at start have been read (and the newest loaded or refused).
   *
   * @return whether that happened within {@code timeout}
   */
  public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
    return caughtUp.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  /**
   * Whether the follower's thread is running its loop: false before {@link #start}, after {@link
   * #close} and after a fatal JVM error ended it. Exceptions and errors it survives (counted in
   * {@code ctr.release.follower.errors}) leave it alive.
   */
  public boolean isAlive() {
    Thread t = thread;
    return alive && t != null && t.isAlive();
  }

  /** Whether the follower's thread runs its loop ({@link #isAlive()}; health reads it). */
  public boolean isRunning() {
    return isAlive();
  }

  /** The release being served, if one was installed by this follower. */
  public Optional<LoadedModel> live() {
    return Optional.ofNullable(live);
  }

  /** Stops following and closes the consumer; the served model stays in the provider. */
  @Override
  public void close() {
    Thread t;
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      t = thread;
    }
    closing.countDown();
    if (t == null) {
      consumer.close();
      return;
    }
    consumer.wakeup();
    try {
      t.join(Duration.ofSeconds(30).toMillis());
      if (t.isAlive()) {
        LOG.warn("model follower did not stop within 30 s (still loading a model?)");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void run() {
    alive = true;
    boolean following = false;
    try {
      while (!closed) {
        try {
          if (!following) {
            if (!assign()) {
              LOG.warn("topic {} not found; waiting for it (serving {})", topic, provider.currentVersion());
              closing.await(retryBackoff.toMillis(), TimeUnit.MILLISECONDS);
              continue;
            }
            catchUp();
            following = true;
          } else {
            pollOnce();
          }
        } catch (WakeupException e) {
          if (!closed) {
            survive(e, following);
          }
        } catch (InterruptedException | InterruptException e) {
          Thread.currentThread().interrupt();
          if (!closed) {
            LOG.error("model follower interrupted; no further releases will be loaded, serving {}",
                provider.currentVersion());
          }
          return;
        } catch (Throwable e) {
          if (fatal(e)) {
            // isAlive() and ctr.release.follower.alive now say so; health reports it
            LOG.error("model follower stopped by a fatal JVM error; no further releases will be loaded, serving {}",
                provider.currentVersion(), e);
            return;
          }
          // a failure while catching up starts the catch-up again from the beginning (following
          // stays false); one while following goes on from the current position
          survive(e, following);
          try {
            closing.await(retryBackoff.toMillis(), TimeUnit.MILLISECONDS);
          } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
            return;
          }
        }
      }
    } finally {
      alive = false;
      caughtUp.countDown();
      consumer.close();
    }
  }

  /** Errors the follower does not survive: the JVM itself is broken (not memory or stack). */
  static boolean fatal(Throwable e) {
    return e instanceof VirtualMachineError && !(e instanceof OutOfMemoryError) && !(e instanceof StackOverflowError);
  }

  private static String kind(Throwable e) {
    if (e instanceof OutOfMemoryError) {
      return "out_of_memory";
    }
    return e instanceof Error ? "error" : "exception";
  }

  private void survive(Throwable e, boolean following) {
    metrics.releaseFollowerError(kind(e));
    LOG.error("model follower failed {} ({}); it goes on after {} ms, serving {}",
        following ? "while polling" : "while catching up", e.toString(), retryBackoff.toMillis(),
        provider.currentVersion(), e);
  }

  /** Assigns every partition of the topic, from the beginning; false while the topic is missing. */
  boolean assign() {
    List<PartitionInfo> partitions = consumer.partitionsFor(topic, Duration.ofSeconds(10));
    if (partitions == null || partitions.isEmpty()) {
      return false;
    }
    List<TopicPartition> tps = partitions.stream().map(p -> new TopicPartition(p.topic(), p.partition())).toList();
    consumer.assign(tps);
    consumer.seekToBeginning(tps);
    return true;
  }

  /**
   * Reads up to the end offsets found now and loads the newest release of the model; when that
   * one is refused, the one before it, and so on (compaction may not have removed them yet). Only
   * the newest record is held while reading; older ones are read again by offset when needed.
   */
  void catchUp() {
    Set<TopicPartition> assigned = consumer.assignment();
    Map<TopicPartition, Long> end = new HashMap<>(consumer.endOffsets(assigned));
    List<TopicPartition> olderPartitions = new ArrayList<>();
    List<Long> olderOffsets = new ArrayList<>();
    ConsumerRecord<String, byte[]> newest = null;
    int read = 0;
    while (!closed && !reached(end)) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(pollTimeout)) {
        if (loader.modelName().equals(r.key())) {
          if (newest != null) {
            olderPartitions.add(new TopicPartition(newest.topic(), newest.partition()));
            olderOffsets.add(newest.offset());
          }
          newest = r;
          read++;
        }
      }
    }
    LOG.info("model follower read {} release record(s) of {} present at start", read, loader.modelName());
    boolean served = newest != null && !closed && apply(newest);
    newest = null; // the newest bundle may be large: let it go before reading older ones
    if (!served && !olderOffsets.isEmpty() && !closed) {
      Map<TopicPartition, Long> resume = new HashMap<>();
      for (TopicPartition tp : assigned) {
        resume.put(tp, consumer.position(tp));
      }
      for (int i = olderOffsets.size() - 1; i >= 0 && !served && !closed; i--) {
        ConsumerRecord<String, byte[]> r = reread(olderPartitions.get(i), olderOffsets.get(i));
        served = r != null && apply(r);
      }
      resume.forEach(consumer::seek);
    }
    if (live == null) {
      LOG.info("no usable release of {} yet; serving {}", loader.modelName(), provider.currentVersion());
    }
    caughtUp.countDown();
  }

  /** The record at {@code offset} of {@code tp}, read again; null when it is gone (compacted). */
  private ConsumerRecord<String, byte[]> reread(TopicPartition tp, long offset) {
    consumer.seek(tp, offset);
    long deadline = System.nanoTime() + REREAD_TIMEOUT.toNanos();
    while (!closed && System.nanoTime() < deadline) {
      for (ConsumerRecord<String, byte[]> r : consumer.poll(pollTimeout).records(tp)) {
        if (r.offset() >= offset) {
          return r.offset() == offset && loader.modelName().equals(r.key()) ? r : null;
        }
      }
      if (consumer.position(tp) > offset) {
        return null;
      }
    }
    LOG.warn("could not read {} offset {} again within {}; skipping it", tp, offset, REREAD_TIMEOUT);
    return null;
  }

  private boolean reached(Map<TopicPartition, Long> end) {
    for (Map.Entry<TopicPartition, Long> e : end.entrySet()) {
      if (consumer.position(e.getKey()) < e.getValue()) {
        return false;
      }
    }
    return true;
  }

  /** One poll: every new record of the model is applied in order. */
  void pollOnce() {
    for (ConsumerRecord<String, byte[]> r : consumer.poll(pollTimeout)) {
      if (loader.modelName().equals(r.key())) {
        apply(r);
      }
    }
  }

  /**
   * Loads and installs one record; refuses it with a log line and a metric when it must not be
   * served.
   *
   * @return whether the record's model is now served (installed now, or already)
   */
  private boolean apply(ConsumerRecord<String, byte[]> record) {
    String at = record.topic() + "-" + record.partition() + "@" + record.offset();
    if (record.value() == null) {
      LOG.info("release of {} withdrawn at {} (tombstone); still serving {}", record.key(), at, provider.currentVersion());
      return false;
    }
    Decoded<ModelRelease> decoded = SERDE.decode(record.value());
    if (decoded instanceof Decoded.Failed<ModelRelease> f) {
      return refuse(Rejection.INVALID, "(undecodable)", at, f.kind().wireName() + ": " + f.reason());
    }
    ModelRelease release = ((Decoded.Ok<ModelRelease>) decoded).value();
    LoadedModel current = live;
    if (current != null && current.version().equals(release.version())) {
      if (current.release().markedPinned() != release.markedPinned()
          && Objects.equals(current.release().sha256(), release.sha256())) {
        // a pin or an unpin: only the flag is taken (it is not signed; the served record keeps
        // its own createdAt, so an unsigned copy cannot make later releases look stale)
        live = new LoadedModel(current.release().withPinned(release.markedPinned()), current.bundle(),
            current.factory(), current.loadTime());
        LOG.info("model {} {} {} at {}", loader.modelName(), release.version(),
            release.markedPinned() ? "pinned" : "unpinned", at);
      } else {
        LOG.debug("release {} at {} is already served", release.version(), at);
      }
      return true;
    }
    if (current != null && release.createdAt() != null && release.createdAt() < current.createdAt()) {
      return refuse(Rejection.STALE, release.version(), at, "created at " + release.createdAt()
          + ", before the served " + current.version() + " (" + current.createdAt() + ")");
    }
    LoadedModel loaded;
    try {
      loaded = loader.load(release);
    } catch (ReleaseRejectedException e) {
      return refuse(e.reason(), release.version(), at, e.getMessage());
    } catch (Throwable e) {
      if (fatal(e)) {
        throw e;
      }
      // an Error here (out of memory from a huge bundle, a native library) refuses this release only
      metrics.releaseFollowerError(kind(e));
      LOG.debug("unexpected failure loading {}", release.version(), e);
      return refuse(Rejection.ERROR, release.version(), at, e instanceof OutOfMemoryError
          ? e + " (raise the heap or lower release.max.bundle.bytes)" : e.toString());
    }
    provider.release(loaded.version(), loaded::newScorer);
    live = loaded;
    metrics.modelSwapped(loaded.loadTime());
    LOG.info("model {} {} from {} verified and loaded in {} ms (parent {}, metrics {}); stream tasks swap before their next batch",
        loader.modelName(), loaded.version(), at, loaded.loadTime().toMillis(), release.parentVersion(), release.metrics());
    return true;
  }

  private boolean refuse(Rejection reason, String version, String at, String message) {
    metrics.modelRejected(reason.wireName());
    LOG.warn("model release {} at {} rejected ({}): {}; still serving {}", version, at, reason.wireName(), message,
        provider.currentVersion());
    return false;
  }

  /** Builder: {@code setX} required, {@code optX} optional. */
  public static final class Builder {
    private Consumer<String, byte[]> consumer;
    private String topic;
    private ReleaseLoader loader;
    private SwappableModelProvider provider;
    private ScorerMetrics metrics;
    private Duration pollTimeout = Duration.ofSeconds(1);
    private Duration retryBackoff = Duration.ofSeconds(5);

    private Builder() {}

    /** The consumer the follower owns and closes (a {@code MockConsumer} in tests). */
    public Builder setConsumer(Consumer<String, byte[]> consumer) {
      this.consumer = consumer;
      return this;
    }

    /** The {@code model-releases} topic name (from the topic registry). */
    public Builder setTopic(String topic) {
      this.topic = topic;
      return this;
    }

    public Builder setLoader(ReleaseLoader loader) {
      this.loader = loader;
      return this;
    }

    public Builder setProvider(SwappableModelProvider provider) {
      this.provider = provider;
      return this;
    }

    public Builder setMetrics(ScorerMetrics metrics) {
      this.metrics = metrics;
      return this;
    }

    /** Longest wait of one poll (how fast close() is noticed without a wakeup); default 1 s. */
    public Builder optPollTimeout(Duration pollTimeout) {
      this.pollTimeout = pollTimeout;
      return this;
    }

    /** Wait between looks for a missing topic; default 5 s. */
    public Builder optRetryBackoff(Duration retryBackoff) {
      this.retryBackoff = retryBackoff;
      return this;
    }

    public ModelReleaseFollower build() {
      List<String> missing = new ArrayList<>();
      if (consumer == null) {
        missing.add("consumer (setConsumer)");
      }
      if (topic == null || topic.isBlank()) {
        missing.add("topic (setTopic)");
      }
      if (loader == null) {
        missing.add("loader (setLoader)");
      }
      if (provider == null) {
        missing.add("provider (setProvider)");
      }
      if (metrics == null) {
        missing.add("metrics (setMetrics)");
      }
      if (!missing.isEmpty()) {
        throw new IllegalStateException("model follower is missing " + String.join(", ", missing));
      }
      Objects.requireNonNull(pollTimeout, "pollTimeout");
      if (pollTimeout.isNegative() || retryBackoff == null || retryBackoff.isNegative()) {
        throw new IllegalStateException("pollTimeout and retryBackoff must be >= 0, got " + pollTimeout + ", " + retryBackoff);
      }
      return new ModelReleaseFollower(this);
    }
  }
}
