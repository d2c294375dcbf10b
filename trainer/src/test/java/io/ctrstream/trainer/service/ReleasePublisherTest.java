package io.ctrstream.trainer.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstream.schemas.ModelRelease;
import io.ctrstream.schemas.Topics;
import java.util.Base64;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Proves the size check that runs before any producer exists: a release record over the limit is
 * refused with an error naming the limit and both sizes; one under it is encoded as the contract's
 * JSON.
 */
class ReleasePublisherTest {

  private static final Topics TOPICS = Topics.defaults();

  private static ModelRelease release(int bundleBytes) {
    return new ModelRelease(
        "dien",
        "v1-20260101T000000Z",
        null,
        1_767_225_600_000L,
        "0".repeat(64),
        "spec",
        Map.of("auc", 0.7),
        Base64.getEncoder().encodeToString(new byte[bundleBytes]),
        null);
  }

  @Test
  void refusesARecordOverTheLimitNamingIt() {
    ModelRelease big = release(10_000); // 13,336 base64 characters

    assertThatThrownBy(
            () ->
                ReleasePublisher.encode(
                    TOPICS.modelReleases(), big, 8_192, "max.request.size = --max-release-bytes"))
        .isInstanceOf(ReleaseTooLargeException.class)
        .hasMessageContaining("over the limit of 8,192 bytes")
        .hasMessageContaining("max.request.size")
        .hasMessageContaining("nothing was sent")
        .satisfies(
            e -> {
              ReleaseTooLargeException t = (ReleaseTooLargeException) e;
              assertThat(t.limitBytes()).isEqualTo(8_192);
              assertThat(t.recordBytes()).isGreaterThan(13_336);
            });
  }

  @Test
  void encodesARecordUnderTheLimit() throws Exception {
    ModelRelease small = release(1_000);

    byte[] value = ReleasePublisher.encode(TOPICS.modelReleases(), small, 8_192, "limit");

    assertThat(TOPICS.modelReleases().valueSerde().deserialize(value)).isEqualTo(small);
    assertThat(value.length + 4 + ReleasePublisher.RECORD_OVERHEAD_BYTES)
        .isLessThanOrEqualTo(8_192);
  }
}
