package io.ctrstream.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collection;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.Node;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the builder's settings: a fixed port is the port clients are sent to (so processes
 * outside the JVM can connect), the data folder is where the cluster writes and is kept when it
 * was given, and bad settings are refused with a message before anything starts.
 */
class EmbeddedKafkaSettingsTest {

  @TempDir Path temp;

  @Test
  void fixedPortIsAdvertisedAndDataFolderIsUsedAndKept() throws Exception {
    int port;
    try (ServerSocket probe = new ServerSocket(0)) {
      port = probe.getLocalPort();
    }
    Path dir = temp.resolve("kafka-data");
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().optPort(port).optDataDir(dir).start()) {
      assertThat(kafka.bootstrapServers()).isEqualTo("localhost:" + port);
      try (Admin admin = Admin.create(kafka.clientConfig())) {
        Collection<Node> nodes = admin.describeCluster().nodes().get();
        // Metadata sends clients to the listener they came in on: the fixed port.
        assertThat(nodes).extracting(Node::port).containsExactly(port);
      }
      assertThat(kafka.dataDir()).isEqualTo(dir);
      try (var entries = Files.list(dir)) {
        assertThat(entries.count()).isPositive();
      }
    }
    assertThat(dir).exists();
  }

  @Test
  void refusesBadPortAndNonEmptyDataFolder() throws Exception {
    assertThatThrownBy(() -> EmbeddedKafka.builder().optPort(70000).start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("port must be 0")
        .hasMessageContaining("70000");

    Files.writeString(temp.resolve("leftover.txt"), "x");
    assertThatThrownBy(() -> EmbeddedKafka.builder().optDataDir(temp).start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("absent or empty")
        .hasMessageContaining("leftover.txt");

    assertThatThrownBy(() -> EmbeddedKafka.builder().optBrokerProperty(" ", "1"))
        .isInstanceOf(IllegalArgumentException.class);

    assertThatThrownBy(() -> EmbeddedKafka.builder().optSaslPlainUsers(java.util.Map.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least one user");
    assertThatThrownBy(
            () -> EmbeddedKafka.builder().optSaslPlainUsers(java.util.Map.of("ctr", "a\"b")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("without quotes");
    assertThatThrownBy(() -> EmbeddedKafka.builder().optSaslPort(9093).start())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("needs SASL users");
  }
}
