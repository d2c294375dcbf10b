package io.ctrstream.streams.it;

import static org.awaitility.Awaitility.await;

import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Click;
import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.ModelRelease;
import io.ctrstream.schemas.Movie;
import io.ctrstream.schemas.Rating;
import io.ctrstream.schemas.TopicSpec;
import io.ctrstream.schemas.Topics;
import io.ctrstream.schemas.UserProfile;
import io.ctrstream.streams.config.ScorerConfig;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.kafka.clients.consumer.CloseOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.KafkaStreams;

/**
 * One test's slice of the shared broker: every topic of the registry under a prefix of its own,
 * a producer of typed input values (serialised by the registry's serdes, as any client would),
 * readers of the outputs, and scorer configurations with an application id of their own. Topic
 * names come from {@link Topics} only.
 */
final class ScoringFlow implements AutoCloseable {
  private static final AtomicInteger SEQUENCE = new AtomicInteger();
  /**
   * Longest wait for any one condition. Generous on purpose: on a quiet machine each condition
   * holds within seconds, but a 2-core machine shared with other builds can be ten times slower.
   */
  static final Duration WAIT = Duration.ofMinutes(3);

  final EmbeddedKafka kafka;
  final Topics topics;
  final String name;
  private final KafkaProducer<String, byte[]> producer;
  private final List<Reader<?>> readers = new ArrayList<>();

  /** Creates the topics of {@code test} (prefix {@code <test>-<n>.}) and a producer. */
  ScoringFlow(EmbeddedKafka kafka, String test) {
    this.kafka = kafka;
    this.name = test + "-" + SEQUENCE.incrementAndGet() + "-" + Long.toString(System.nanoTime(), 36);
    this.topics = Topics.withPrefix(name + ".");
    kafka.createTopics(topics.newTopics((short) 1));
    Map<String, Object> p = new HashMap<>(kafka.clientConfig());
    p.put(ProducerConfig.ACKS_CONFIG, "all");
    p.put(ProducerConfig.LINGER_MS_CONFIG, 5);
    this.producer = new KafkaProducer<>(p, new StringSerializer(), new ByteArraySerializer());
    // Learn the new topics' leaders before the first send: a send racing the topic creation was
    // seen to leave an idempotent producer retrying OUT_OF_ORDER_SEQUENCE_NUMBER for good.
    topics.all().forEach(t -> producer.partitionsFor(t.name()));
  }

  /**
   * A scorer configuration for this flow: its topics, application id {@code <name>-<suffix>},
   * state under {@code stateDir}, batch 8, max wait 20 ms, window 1 h, history 5, prior 0.3,
   * exactly_once_v2, then {@code overrides}.
   */
  ScorerConfig config(String suffix, Path stateDir, Map<String, String> overrides) {
    Map<String, String> v = new HashMap<>(Map.of(
        "bootstrap.servers", kafka.bootstrapServers(),
        "application.id", name + "-" + suffix,
        "topic.prefix", topics.prefix(),
        "state.dir", stateDir.toString(),
        "batch.size", "8",
        "batch.max.wait.ms", "20",
        "pending.window.ms", "3600000",
        "history.length", "5",
        "prior.probability", "0.3",
        "processing.guarantee", "exactly_once_v2"));
    v.put("http.port", "0");
    v.putAll(overrides);
    return ScorerConfig.fromMap(v);
  }

  <V> void send(TopicSpec<String, V> topic, String key, V value, long timestamp) {
    producer.send(new ProducerRecord<>(topic.name(), null, timestamp, key,
        topic.valueSerde().serialize(value)));
  }

  void movie(String movieId, String... genres) {
    send(topics.movies(), movieId, new Movie(movieId, "title " + movieId, List.of(genres)), 1L);
  }

  void user(String userId, String gender, int age, String occupation, String zip) {
    send(topics.users(), userId, new UserProfile(userId, gender, age, occupation, zip), 1L);
  }

  void impression(String impressionId, String userId, String movieId, long timestamp) {
    send(topics.impressions(), userId, new Impression(impressionId, userId, movieId, timestamp), timestamp);
  }

  void rating(String userId, String movieId, double stars, long timestamp) {
    send(topics.ratings(), userId, new Rating(userId, movieId, stars, timestamp), timestamp);
  }

  void click(String impressionId, String userId, long timestamp) {
    send(topics.clicks(), userId, new Click(impressionId, userId, timestamp), timestamp);
  }

  /** Publishes a model release (key: the model name), as the trainer does. */
  void release(ModelRelease release) {
    send(topics.modelReleases(), release.modelName(), release, release.createdAt());
  }

  /** Waits until a started client is RUNNING (partitions assigned, state restored). */
  static void awaitRunning(KafkaStreams streams) {
    await().atMost(WAIT).until(() -> streams.state() == KafkaStreams.State.RUNNING);
  }

  /** Waits until everything sent so far is acknowledged by the broker. */
  void flush() {
    producer.flush();
  }

  /** A reader of {@code topic} from its beginning; read_committed unless told otherwise. */
  <V> Reader<V> reader(TopicSpec<String, V> topic, boolean readCommitted) {
    Reader<V> r = new Reader<>(kafka, topic, readCommitted);
    readers.add(r);
    return r;
  }

  @Override
  public void close() {
    producer.close(Duration.ofSeconds(10));
    readers.forEach(Reader::close);
  }

  /**
   * Everything a topic holds, as one consumer with manual assignment of all partitions sees it,
   * accumulated across calls. Use from one thread (Awaitility: {@code pollInSameThread()}).
   */
  static final class Reader<V> implements AutoCloseable {
    private final KafkaConsumer<String, V> consumer;
    private final List<TopicPartition> partitions = new ArrayList<>();
    private final List<ConsumerRecord<String, V>> seen = new ArrayList<>();

    Reader(EmbeddedKafka kafka, TopicSpec<String, V> topic, boolean readCommitted) {
      Map<String, Object> c = new HashMap<>(kafka.clientConfig());
      c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG,
          (readCommitted ? "read_committed" : "read_uncommitted").toLowerCase(Locale.ROOT));
      c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
      c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
      this.consumer = new KafkaConsumer<>(c, new StringDeserializer(), topic.valueSerde().deserializer());
      for (int p = 0; p < topic.partitions(); p++) {
        partitions.add(new TopicPartition(topic.name(), p));
      }
      consumer.assign(partitions);
      consumer.seekToBeginning(partitions);
    }

    /** Polls once and returns every record seen so far, in per-partition offset order. */
    List<ConsumerRecord<String, V>> poll() {
      consumer.poll(Duration.ofMillis(100)).forEach(seen::add);
      return seen;
    }

    /** The values seen so far (after one more poll). */
    List<V> values() {
      return poll().stream().map(ConsumerRecord::value).toList();
    }

    /**
     * Reads until this consumer's position reaches the end of every partition (for read_committed,
     * the last stable offset): afterwards {@link #poll()} holds everything the topic held when
     * this was called. Fails after {@code timeout}.
     */
    List<ConsumerRecord<String, V>> readToEnd(Duration timeout) throws TimeoutException {
      Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
      long deadline = System.nanoTime() + timeout.toNanos();
      while (partitions.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp))) {
        if (System.nanoTime() > deadline) {
          throw new TimeoutException("did not reach the end offsets " + end + " in " + timeout);
        }
        poll();
      }
      return seen;
    }

    @Override
    public void close() {
      consumer.close(CloseOptions.timeout(Duration.ofSeconds(5)));
    }
  }
}
