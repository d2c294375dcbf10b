package io.ctrstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Set;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.NewTopic;
import org.junit.jupiter.api.Test;

/** Proves the registry: prefixing, compaction where the design says, co-partitioning, checks. */
class TopicsTest {

  @Test
  void prefixesEveryNameAndKeepsThemUnique() {
    Topics topics = Topics.withPrefix("staging.");
    Set<String> names = topics.all().stream().map(TopicSpec::name).collect(Collectors.toSet());
    assertThat(names).hasSize(11).allMatch(n -> n.startsWith("staging."));
    assertThat(topics.impressions().name()).isEqualTo("staging.impressions");
    assertThat(topics.modelReleases().name()).isEqualTo("staging.model-releases");
  }

  @Test
  void compactsExactlyTheStateTopics() {
    Topics topics = Topics.defaults();
    assertThat(topics.all().stream().filter(TopicSpec::compacted).map(TopicSpec::logicalName))
        .containsExactlyInAnyOrder("users", "movies", "movie-stats", "model-releases",
            "model-release-history");
  }

  @Test
  void coPartitionsTheUserKeyedTopics() {
    Topics topics = Topics.builder().optUserPartitions(12).build();
    assertThat(topics.users().partitions()).isEqualTo(12);
    assertThat(topics.impressions().partitions()).isEqualTo(12);
    assertThat(topics.ratings().partitions()).isEqualTo(12);
    assertThat(topics.clicks().partitions()).isEqualTo(12);
    NewTopic nt = topics.users().newTopic((short) 3);
    assertThat(nt.numPartitions()).isEqualTo(12);
    assertThat(nt.replicationFactor()).isEqualTo((short) 3);
    assertThat(nt.configs()).containsEntry("cleanup.policy", "compact");
  }

  @Test
  void rejectsBadSettingsWithAMessageThatSaysWhat() {
    assertThatThrownBy(() -> Topics.withPrefix("bad prefix/"))
        .hasMessageContaining("prefix may hold only");
    assertThatThrownBy(() -> Topics.builder().optUserPartitions(0).build())
        .hasMessageContaining("partition counts must be > 0, got 0");
  }
}
