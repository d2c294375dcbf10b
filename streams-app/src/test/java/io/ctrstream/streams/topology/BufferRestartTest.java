package io.ctrstream.streams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.Score;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.streams.model.SwappableModelProvider;
import io.ctrstream.streams.state.BufferedImpression;
import io.ctrstream.streams.state.StoreNames;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves that an impression accepted at a commit but not yet scored survives the death of the
 * process: the buffer write reaches the store's changelog, the state left on disk holds it, and
 * after a restart the wall-clock punctuator scores it exactly once.
 *
 * <p>A TopologyTestDriver wipes its state directory on close, so the "crash" is simulated by
 * copying the committed state aside before closing the first driver, then opening the second
 * driver on the copy: what a restarted instance finds on local disk (or restores from the
 * changelog onto an empty disk).
 */
class BufferRestartTest {
  @TempDir Path root;

  @Test
  void bufferedImpressionIsScoredOnceAfterARestart() throws IOException {
    Path first = root.resolve("first");
    Path second = root.resolve("second");
    ScorerConfig config = Harness.config(first, Map.of());
    String changelog = StoreNames.changelogTopic(config.applicationId(), StoreNames.SCORE_BUFFER);

    try (Harness h = new Harness(config, model("v1"))) {
      h.impression("i1", "42", "1", 1_000);
      assertThat(h.scores.isEmpty()).as("partial batch: not scored before the crash").isTrue();
      assertThat(h.driver.producedTopicNames()).as("the buffer write is in the changelog").contains(changelog);
      var logged = h.driver.createOutputTopic(changelog, Serdes.String().deserializer(),
          JsonSerde.of(BufferedImpression.class).deserializer()).readValuesToList();
      assertThat(logged).extracting(b -> b.impression().impressionId()).containsExactly("i1");
      copy(first, second); // state as committed; the driver's close() would wipe it
    }

    ScorerConfig restarted = Harness.config(second, Map.of());
    try (Harness h = new Harness(restarted, model("v1"))) {
      assertThat(h.scores.isEmpty()).isTrue();
      h.driver.advanceWallClockTime(Duration.ofMillis(100));
      assertThat(h.scores.readValuesToList()).extracting(Score::impressionId).containsExactly("i1");
      h.driver.advanceWallClockTime(Duration.ofMillis(1_000));
      assertThat(h.scores.isEmpty()).as("scored once").isTrue();
      // The pending impression survived too: the rating joins it with the served score.
      h.rating("42", "1", 5, 2_000);
      assertThat(h.feedback.readValue().impressionId()).isEqualTo("i1");
    }
  }

  private static SwappableModelProvider model(String version) {
    SwappableModelProvider p = new SwappableModelProvider(0.3);
    p.release(version, () -> new FakeScorer(version));
    return p;
  }

  /** Copies a state directory, leaving out lock files (they belong to the running driver). */
  private static void copy(Path from, Path to) throws IOException {
    try (Stream<Path> files = Files.walk(from)) {
      files.forEach(src -> {
        Path dst = to.resolve(from.relativize(src).toString());
        String name = src.getFileName().toString();
        try {
          if (Files.isDirectory(src)) {
            Files.createDirectories(dst);
          } else if (!name.equals("LOCK") && !name.equals(".lock")) {
            Files.copy(src, dst, StandardCopyOption.REPLACE_EXISTING);
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      });
    }
  }
}
