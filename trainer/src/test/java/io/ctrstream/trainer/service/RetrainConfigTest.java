package io.ctrstream.trainer.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstream.schemas.Topics;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Proves that the service's configuration fills its defaults (a window of the last 100,000 records,
 * an 8 MiB release limit, the preset's optimiser with overridden epochs), that the two window kinds
 * replace each other, that impossible values are refused with a message saying what is wrong, and
 * that secrets in client properties never reach its string form.
 */
class RetrainConfigTest {

  @Test
  void defaultsAndOverrides() {
    RetrainConfig c =
        RetrainConfig.builder()
            .setBootstrapServers("localhost:9092")
            .optTopics(Topics.withPrefix("dev."))
            .optMaxEpochs(3)
            .build();

    assertThat(c.windowRecords()).isEqualTo(100_000);
    assertThat(c.windowDuration()).isNull();
    assertThat(c.maxReleaseBytes()).isEqualTo(8 * 1024 * 1024);
    assertThat(c.trainOptions().maxEpochs()).isEqualTo(3);
    assertThat(c.trainOptions().patience()).isEqualTo(10);
    assertThat(c.transactionalId()).isEqualTo("dev.ctr-trainer-dien");
    assertThat(c.clientConfig()).containsEntry("bootstrap.servers", "localhost:9092");
    assertThat(c.encoderOptions().numeric())
        .as("served user counts, the history's genre affinity, the movie statistics, the wide part")
        .startsWith("age", "userPositiveRate", "userRatingCount", "historyGenreAffinity",
            "moviePositiveRate", "movieRatingCount")
        .endsWith(io.ctrstream.dien.features.FeatureEncoder.WIDE.toArray(String[]::new));
    assertThat(c.calibrate()).isTrue();
    assertThat(c.fullRetrainEvery()).isEqualTo(4);

    RetrainConfig d =
        RetrainConfig.builder()
            .setBootstrapServers("b:1")
            .optWindowRecords(10)
            .optWindowDuration(Duration.ofDays(7))
            .build();
    assertThat(d.windowRecords()).isNull();
    assertThat(RetrainConfig.builder().setBootstrapServers("b:1").optHistoryAffinity(false).build()
        .encoderOptions().historyAffinity()).isFalse();
    assertThat(d.windowDescription()).isEqualTo("last PT168H of event time");
  }

  @Test
  void impossibleValuesAreRefused() {
    assertThatThrownBy(() -> RetrainConfig.builder().build())
        .hasMessageContaining("bootstrapServers not set");
    assertThatThrownBy(
            () ->
                RetrainConfig.builder()
                    .setBootstrapServers("b:1")
                    .optValidationFraction(1.0)
                    .build())
        .hasMessageContaining("validationFraction must be in (0, 1), got 1.0");
    assertThatThrownBy(
            () -> RetrainConfig.builder().setBootstrapServers("b:1").optMinExamples(2).build())
        .hasMessageContaining("minExamples must be >= 4");
    assertThatThrownBy(
            () ->
                RetrainConfig.builder()
                    .setBootstrapServers("b:1")
                    .optWindowDuration(Duration.ZERO)
                    .build())
        .hasMessageContaining("windowDuration must be > 0");
    assertThatThrownBy(
            () -> RetrainConfig.builder().setBootstrapServers("b:1").optMaxReleaseBytes(10).build())
        .hasMessageContaining("maxReleaseBytes must be >= 1024, got 10");
  }

  @Test
  void secretsStayOutOfTheStringForm() {
    RetrainConfig c =
        RetrainConfig.builder()
            .setBootstrapServers("b:1")
            .optClientProperties(Map.of("sasl.jaas.config", "password=\"hunter2\""))
            .build();

    assertThat(c.toString()).doesNotContain("hunter2");
    assertThat(c.clientConfig()).containsEntry("sasl.jaas.config", "password=\"hunter2\"");
  }
}
