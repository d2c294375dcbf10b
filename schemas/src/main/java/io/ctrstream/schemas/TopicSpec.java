package io.ctrstream.schemas;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.serialization.Serde;

/**
 * One topic of the contract: its full name (prefix included), serdes, the JSON Schema of its
 * value, and what topic creation needs (partitions, configs such as the cleanup policy).
 *
 * @param logicalName the name without prefix ("impressions"); also the schema's file name stem
 * @param name the full topic name, prefix included
 * @param partitions partitions to create it with; user-keyed topics share one count
 * @param configs topic configs to create it with (cleanup.policy, retention.ms, ...)
 */
public record TopicSpec<K, V>(
    String logicalName,
    String name,
    Serde<K> keySerde,
    JsonSerde<V> valueSerde,
    int partitions,
    Map<String, String> configs) {

  public TopicSpec {
    Objects.requireNonNull(logicalName, "logicalName");
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(keySerde, "keySerde");
    Objects.requireNonNull(valueSerde, "valueSerde");
    if (partitions <= 0) {
      throw new IllegalArgumentException("partitions of " + name + " must be > 0, got " + partitions);
    }
    configs = Map.copyOf(configs);
  }

  /** Whether the topic is compacted (latest value per key). */
  public boolean compacted() {
    return TopicConfig.CLEANUP_POLICY_COMPACT.equals(configs.get(TopicConfig.CLEANUP_POLICY_CONFIG));
  }

  /** Class-path resource of the value's JSON Schema. */
  public String schemaResource() {
    return "/schemas/" + logicalName + ".schema.json";
  }

  /** Class-path folder of the valid and invalid value examples. */
  public String examplesResource() {
    return "/examples/" + logicalName + "/";
  }

  /** The admin request that creates this topic. */
  public NewTopic newTopic(short replicationFactor) {
    return new NewTopic(name, Optional.of(partitions), Optional.of(replicationFactor)).configs(configs);
  }

  @Override
  public String toString() {
    return name;
  }
}
