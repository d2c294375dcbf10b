package io.ctrstream.kafka;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.ctrstream.schemas.TopicSpec;
import io.ctrstream.schemas.Topics;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Proves that the deployment files are valid and agree with the code: {@code docker-compose.yml}
 * passes {@code docker-compose config} (skipped, with a message, when the tool is not installed),
 * and the topic table of {@code docker/create-topics.sh} has exactly the topics, partition
 * counts and configs (cleanup policies, retention) of {@link Topics#defaults()}, with the
 * co-partitioned user-keyed topics sharing one count.
 */
class DockerComposeConfigTest {

  private static final Pattern CREATE_LINE =
      Pattern.compile("^create\\s+(\\S+)\\s+(\\S+)((?:\\s+\\S+=\\S+)*)\\s*$");

  @Test
  void composeFilePassesDockerComposeConfig() throws Exception {
    Path compose = root().resolve("docker-compose.yml");
    assumeTrue(
        onPath("docker-compose"),
        "docker-compose is not on the PATH; install it (Debian: apt-get install docker-compose)"
            + " to validate " + compose);

    Result quiet = run(List.of("docker-compose", "-f", compose.toString(), "config", "-q"));
    assertThat(quiet.exit()).as("docker-compose config -q said: %s", quiet.output()).isZero();

    Result services =
        run(List.of("docker-compose", "-f", compose.toString(), "config", "--services"));
    assertThat(services.exit()).as(services.output()).isZero();
    assertThat(services.output().lines().map(String::trim).toList())
        .contains("kafka", "topics", "scorer", "trainer");

    // Values after interpolation: the scorer really is configured for the in-network broker.
    Result full = run(List.of("docker-compose", "-f", compose.toString(), "config"));
    assertThat(full.exit()).as(full.output()).isZero();
    assertThat(full.output())
        .contains("CTR_BOOTSTRAP_SERVERS: kafka:9092")
        .contains("KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: 1")
        .contains("replicas: 2")
        .contains("service_completed_successfully");
  }

  @Test
  void topicScriptMatchesTheTopicRegistry() throws IOException {
    Path script = root().resolve("docker").resolve("create-topics.sh");
    int userPartitions = Topics.defaults().ratings().partitions();
    String scriptDefault = "${CTR_USER_PARTITIONS:-" + userPartitions + "}";
    assertThat(Files.readString(script))
        .as("script default for user-keyed partitions equals the registry's")
        .contains("USER_PARTITIONS=\"" + scriptDefault + "\"");

    Map<String, Integer> partitions = new LinkedHashMap<>();
    Map<String, Map<String, String>> configs = new LinkedHashMap<>();
    List<String> sharedCount = new ArrayList<>();
    for (String line : Files.readAllLines(script, StandardCharsets.UTF_8)) {
      Matcher m = CREATE_LINE.matcher(line.trim());
      if (!m.matches()) {
        continue;
      }
      String name = m.group(1);
      String count = m.group(2);
      if (count.equals("\"$USER_PARTITIONS\"")) {
        sharedCount.add(name);
        partitions.put(name, userPartitions);
      } else {
        partitions.put(name, Integer.parseInt(count));
      }
      Map<String, String> c = new LinkedHashMap<>();
      for (String kv : m.group(3).trim().split("\\s+")) {
        if (!kv.isEmpty()) {
          c.put(kv.substring(0, kv.indexOf('=')), kv.substring(kv.indexOf('=') + 1));
        }
      }
      configs.put(name, c);
    }

    Topics topics = Topics.defaults();
    assertThat(partitions.keySet())
        .containsExactlyInAnyOrderElementsOf(
            topics.all().stream().map(TopicSpec::logicalName).toList());
    for (TopicSpec<String, ?> spec : topics.all()) {
      assertThat(partitions.get(spec.logicalName())).as(spec.logicalName())
          .isEqualTo(spec.partitions());
      assertThat(configs.get(spec.logicalName())).as(spec.logicalName())
          .isEqualTo(spec.configs());
    }
    // Co-partitioning survives a changed CTR_USER_PARTITIONS only if they share the variable.
    assertThat(sharedCount)
        .contains(
            topics.users().logicalName(),
            topics.impressions().logicalName(),
            topics.ratings().logicalName());
  }

  /** The repository root: the nearest folder upwards that holds docker-compose.yml. */
  private static Path root() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve("docker-compose.yml"))) {
      dir = dir.getParent();
    }
    assertThat(dir).as("no docker-compose.yml above %s", Path.of("").toAbsolutePath()).isNotNull();
    return dir;
  }

  private static boolean onPath(String tool) {
    String path = System.getenv("PATH");
    if (path == null) {
      return false;
    }
    for (String dir : path.split(File.pathSeparator)) {
      if (Files.isExecutable(Path.of(dir, tool))) {
        return true;
      }
    }
    return false;
  }

  private record Result(int exit, String output) {}

  private static Result run(List<String> command) throws IOException, InterruptedException {
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    // The file's defaults are under test, not whatever this shell exports.
    builder.environment().keySet().removeIf(k -> k.startsWith("CTR_") || k.startsWith("KAFKA_"));
    Process process = builder.start();
    // The tool prints little; reading to the end before waiting cannot dead-lock.
    String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!process.waitFor(60, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new IllegalStateException(command + " did not finish within 60 s");
    }
    return new Result(process.exitValue(), output);
  }
}
