package io.ctrstream.trainer.replay;

import io.ctrstream.schemas.TopicSpec;
import io.ctrstream.schemas.Topics;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.CreateTopicsResult;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.KafkaFuture;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Topic checks and creation for a replay, against any cluster, with the partition counts and
 * configs (cleanup policy, retention) of the {@link Topics} registry.
 *
 * <p>The replayer never lets a producer create a topic: a broker with {@code
 * auto.create.topics.enable} would make {@code users} a non-compacted single-partition topic,
 * silently breaking the scorer's joins. So the input topics are checked first and a missing one
 * is an error that says how to create it.
 */
public final class TopicSetup {

  private static final Logger LOG = LoggerFactory.getLogger(TopicSetup.class);

  private TopicSetup() {}

  /** The topics a replay writes, in the order it writes them. */
  public static List<TopicSpec<String, ?>> inputs(Topics topics) {
    return List.of(topics.users(), topics.movies(), topics.impressions(), topics.ratings());
  }

  /**
   * Creates every topic of the registry that is missing (all of them, not only the replay's
   * inputs, so that a scorer can start against the cluster next), and waits until each has a
   * leader. Existing topics are left as they are.
   *
   * @param replicationFactor replicas per partition; empty for min(3, brokers in the cluster)
   * @return the names created by this call
   * @throws IllegalStateException when Kafka refuses a topic or does not answer in time
   */
  public static Set<String> createMissing(
      Admin admin, Topics topics, Optional<Short> replicationFactor, Duration timeout) {
    try {
      short rf = replicationFactor.isPresent()
          ? replicationFactor.get()
          : (short) Math.min(3, get(admin.describeCluster().nodes(), timeout).size());
      if (rf < 1) {
        throw new IllegalArgumentException("replication factor must be >= 1, got " + rf);
      }
      List<NewTopic> requests = topics.newTopics(rf);
      CreateTopicsResult result = admin.createTopics(requests);
      Set<String> created = new LinkedHashSet<>();
      for (NewTopic t : requests) {
        try {
          get(result.values().get(t.name()), timeout);
          created.add(t.name());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof TopicExistsException)) {
            throw new IllegalStateException(
                "could not create topic " + t.name() + ": " + e.getCause().getMessage(),
                e.getCause());
          }
        }
      }
      awaitLeaders(admin, requests.stream().map(NewTopic::name).toList(), timeout);
      LOG.info("topics created with replication factor {}: {}; {} existed already",
          rf, created, requests.size() - created.size());
      return created;
    } catch (ExecutionException e) {
      throw new IllegalStateException("Kafka refused to describe the cluster: "
          + e.getCause().getMessage(), e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while creating topics", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException(noAnswer(timeout), e);
    }
  }

  /**
   * Checks that the replay's input topics exist, and warns when the co-partitioned ones ({@code
   * users}, {@code impressions}, {@code ratings}) differ in partition count.
   *
   * @return the partition count of each input topic
   * @throws IllegalStateException naming the missing topics and how to create them
   */
  public static Map<String, Integer> requireInputs(Admin admin, Topics topics, Duration timeout) {
    List<String> names = inputs(topics).stream().map(TopicSpec::name).toList();
    Map<String, Integer> partitions = new LinkedHashMap<>();
    List<String> missing = new ArrayList<>();
    try {
      Map<String, KafkaFuture<TopicDescription>> futures =
          admin.describeTopics(names).topicNameValues();
      for (String name : names) {
        try {
          partitions.put(name, get(futures.get(name), timeout).partitions().size());
        } catch (ExecutionException e) {
          if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
            throw new IllegalStateException(
                "could not describe topic " + name + ": " + e.getCause().getMessage(),
                e.getCause());
          }
          missing.add(name);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while checking topics", e);
    } catch (TimeoutException e) {
      throw new IllegalStateException(noAnswer(timeout), e);
    }
    if (!missing.isEmpty()) {
      throw new IllegalStateException("topics " + missing + " do not exist; create them first"
          + " (./ctr replay --create-topics, ./ctr broker, or docker/create-topics.sh)");
    }
    Set<Integer> coPartitioned = new LinkedHashSet<>();
    for (TopicSpec<String, ?> t : List.of(topics.users(), topics.impressions(), topics.ratings())) {
      coPartitioned.add(partitions.get(t.name()));
    }
    if (coPartitioned.size() > 1) {
      LOG.warn("users, impressions and ratings must have the same partition count for the scorer"
          + " to join them, but they have {}", partitions);
    }
    return partitions;
  }

  /** Polls until every partition of every topic has a leader; a new topic may lag a moment. */
  private static void awaitLeaders(Admin admin, Collection<String> names, Duration timeout)
      throws InterruptedException, TimeoutException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      try {
        Map<String, TopicDescription> described =
            get(admin.describeTopics(names).allTopicNames(), timeout);
        if (described.values().stream().flatMap(d -> d.partitions().stream())
            .allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
          return;
        }
      } catch (ExecutionException e) {
        if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
          throw new IllegalStateException("could not describe topics " + names, e.getCause());
        }
      }
      if (System.nanoTime() > deadline) {
        throw new TimeoutException("topics " + names + " have no leader yet");
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
  }

  private static <T> T get(KafkaFuture<T> future, Duration timeout)
      throws ExecutionException, InterruptedException, TimeoutException {
    return future.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private static String noAnswer(Duration timeout) {
    return "Kafka did not answer within " + timeout.toSeconds() + " s; is --bootstrap-servers right"
        + " and the broker up (and, for a secured cluster, --command-config set)?";
  }
}
