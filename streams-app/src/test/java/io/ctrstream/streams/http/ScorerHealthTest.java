package io.ctrstream.streams.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.streams.KafkaStreams;
import org.junit.jupiter.api.Test;

/**
 * Proves readiness and liveness on fake sources and a fake clock: REBALANCING is ready only within
 * its grace period; a thread that keeps dying, a dead follower or an unhealthy model make the
 * scorer not ready; only a dead Streams client or follower make it not live.
 */
class ScorerHealthTest {
  private final AtomicReference<KafkaStreams.State> state = new AtomicReference<>(KafkaStreams.State.RUNNING);
  private final AtomicLong clock = new AtomicLong(1_000_000);
  private final AtomicBoolean follower = new AtomicBoolean(true);
  private final AtomicReference<Optional<String>> model = new AtomicReference<>(Optional.empty());
  private final ScorerHealth health = ScorerHealth.builder().setState(state::get)
      .optFollowerAlive(follower::get).optModelProblem(model::get)
      .optWrongPartitions(() -> Map.of())
      .optRebalancingGraceMs(10_000).optThreadFailureWindowMs(60_000).optClock(clock::get).build();

  @Test
  void rebalancingIsReadyOnlyWithinItsGracePeriod() {
    assertThat(health.ready().ok()).isTrue();
    state.set(KafkaStreams.State.REBALANCING);
    assertThat(health.ready().ok()).isTrue();
    clock.addAndGet(10_001);
    assertThat(health.ready().ok()).isFalse();
    assertThat(health.live().ok()).isTrue();
    state.set(KafkaStreams.State.RUNNING);
    assertThat(health.ready().ok()).isTrue();
  }

  @Test
  void aThreadThatKeepsDyingIsNotReadyUntilTheWindowPasses() {
    health.threadFailed();
    assertThat(health.ready().ok()).as("one failure, replaced").isTrue();
    health.threadFailed();
    ScorerHealth.Report r = health.ready();
    assertThat(r.ok()).isFalse();
    assertThat(r.checks().get("streamThreads").toString()).contains("a thread keeps dying");
    assertThat(health.live().ok()).isTrue();
    clock.addAndGet(60_001);
    assertThat(health.ready().ok()).isTrue();
  }

  @Test
  void deadFollowerOrStreamsAreNotLiveAndAnUnhealthyModelIsNotReady() {
    model.set(Optional.of("model v3 gave non-finite score NaN"));
    assertThat(health.ready().ok()).isFalse();
    assertThat(health.live().ok()).isTrue();
    model.set(Optional.empty());
    follower.set(false);
    assertThat(health.live().ok()).isFalse();
    assertThat(health.ready().ok()).isFalse();
    follower.set(true);
    for (KafkaStreams.State dead : new KafkaStreams.State[] {KafkaStreams.State.ERROR,
        KafkaStreams.State.PENDING_ERROR, KafkaStreams.State.NOT_RUNNING}) {
      state.set(dead);
      assertThat(health.live().ok()).as(dead.name()).isFalse();
    }
  }
}
