package io.ctrstream.streams.topology;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.serving.BatchScorer;
import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.JsonSerde;
import io.ctrstream.schemas.Profile;
import io.ctrstream.streams.metrics.ScorerMetrics;
import io.ctrstream.streams.model.ModelProvider;
import io.ctrstream.streams.state.BufferedImpression;
import io.ctrstream.streams.state.ServedFeatures;
import java.util.ArrayList;
import java.util.List;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.processor.api.MockProcessorContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.Stores;
import org.junit.jupiter.api.Test;

/**
 * The pieces of the per-thread micro-batch, without Kafka: a task's buffer keeps scored
 * impressions (and their store entries) until its task emits them, tracks the (user, movie) pairs
 * it holds through repeats, and is restored whole from its store; a thread batch scores the
 * unscored impressions of all its tasks in one call, hands each task its own scores in order, and
 * closes the thread's scorer when the last task leaves.
 */
class ThreadBatchTest {

  @Test
  void scoredImpressionsStayBufferedUntilTheirTaskTakesThem() {
    KeyValueStore<String, BufferedImpression> store = store("buffer-a");
    MicroBatchBuffer buffer = new MicroBatchBuffer(store, 0);
    buffer.append(impression("i1", "u1", "m1"), 10);
    buffer.append(impression("i2", "u2", "m2"), 11);
    buffer.append(impression("i3", "u1", "m1"), 12); // the same pair again
    assertThat(buffer.unscoredCount()).isEqualTo(3);
    assertThat(buffer.oldestUnscoredAt()).isEqualTo(10);

    buffer.markScored(new float[] {0f, 0.1f, 0.2f, 0.3f}, 1, 3, "v1");
    buffer.append(impression("i4", "u3", "m3"), 20); // arrives after the call
    assertThat(buffer.hasScored()).isTrue();
    assertThat(buffer.unscoredCount()).isEqualTo(1);
    assertThat(buffer.oldestUnscoredAt()).as("only the unscored one counts").isEqualTo(20);
    assertThat(store.approximateNumEntries()).as("nothing leaves the store before it is emitted")
        .isEqualTo(4);

    List<MicroBatchBuffer.Ready> ready = buffer.takeScored();
    assertThat(ready).extracting(r -> r.impression().impression().impressionId())
        .containsExactly("i1", "i2", "i3");
    assertThat(ready).extracting(MicroBatchBuffer.Ready::probability).containsExactly(0.1f, 0.2f, 0.3f);
    assertThat(ready).extracting(MicroBatchBuffer.Ready::modelVersion).containsOnly("v1");
    assertThat(buffer.hasScored()).isFalse();
    assertThat(buffer.holds("u1", "m1")).as("both impressions of the pair are out").isFalse();
    assertThat(buffer.holds("u3", "m3")).isTrue();
    assertThat(store.approximateNumEntries()).isEqualTo(1);

    MicroBatchBuffer restored = new MicroBatchBuffer(store, 99);
    assertThat(restored.unscored()).extracting(b -> b.impression().impressionId()).containsExactly("i4");
    assertThat(restored.oldestUnscoredAt()).isEqualTo(99);
    assertThatThrownBy(() -> restored.markScored(new float[2], 0, 2, "v1"))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("2 scores for 1 unscored");
  }

  @Test
  void oneCallScoresTheUnscoredImpressionsOfEveryTaskOfTheThread() {
    List<CountingScorer> made = new ArrayList<>();
    ModelProvider models = new ModelProvider() {
      @Override
      public long generation() {
        return 1;
      }

      @Override
      public BatchScorer newScorer() {
        CountingScorer s = new CountingScorer();
        made.add(s);
        return s;
      }
    };
    ScorerMetrics metrics = ScorerMetrics.inMemory();
    ThreadBatch.Registry registry = new ThreadBatch.Registry(models, metrics);
    MicroBatchBuffer a = new MicroBatchBuffer(store("a"), 0);
    MicroBatchBuffer b = new MicroBatchBuffer(store("b"), 0);
    MicroBatchBuffer idle = new MicroBatchBuffer(store("c"), 0);
    ThreadBatch batch = registry.join(a);
    assertThat(registry.join(b)).as("one batch per thread").isSameAs(batch);
    registry.join(idle);
    assertThat(batch.has(a)).isTrue();
    assertThat(batch.has(new MicroBatchBuffer(store("d"), 0))).isFalse();

    a.append(impression("a1", "u1", "m1"), 5);
    b.append(impression("b1", "u2", "m2"), 3);
    b.append(impression("b2", "u2", "m3"), 4);
    assertThat(batch.unscoredCount()).isEqualTo(3);
    assertThat(batch.oldestUnscoredAt()).isEqualTo(3);

    batch.scoreAll(10);
    assertThat(made).hasSize(1);
    assertThat(made.get(0).calls).as("one call for all tasks").containsExactly(3);
    assertThat(batch.unscoredCount()).isZero();
    assertThat(metrics.batches()).isEqualTo(1);
    // The counting scorer gives row k of the call the score k / 10: each task gets its own.
    assertThat(a.takeScored()).extracting(MicroBatchBuffer.Ready::probability).containsExactly(0f);
    assertThat(b.takeScored()).extracting(MicroBatchBuffer.Ready::probability).containsExactly(0.1f, 0.2f);
    assertThat(idle.hasScored()).isFalse();

    batch.scoreAll(11); // nothing unscored: no call
    assertThat(made.get(0).calls).hasSize(1);

    registry.leave(batch, a);
    assertThat(batch.has(a)).isFalse();
    registry.leave(batch, b);
    assertThat(made.get(0).closed).isFalse();
    registry.leave(batch, idle);
    assertThat(made.get(0).closed).as("the last task to leave closes the thread's scorer").isTrue();
    assertThat(registry.join(a)).as("a later task starts a new batch").isNotSameAs(batch);
  }

  private static final class CountingScorer implements BatchScorer {
    final List<Integer> calls = new ArrayList<>();
    boolean closed;

    @Override
    public float[] score(List<FeatureRow> rows) {
      calls.add(rows.size());
      float[] out = new float[rows.size()];
      for (int i = 0; i < out.length; i++) {
        out[i] = i / 10f;
      }
      return out;
    }

    @Override
    public String modelVersion() {
      return "counting";
    }

    @Override
    public void close() {
      closed = true;
    }
  }

  private static BufferedImpression impression(String id, String user, String movie) {
    return new BufferedImpression(new Impression(id, user, movie, 1_000L),
        new ServedFeatures(Profile.UNKNOWN, List.of("Drama"), List.of(), List.of(), 0, 0), 1_000L);
  }

  private static KeyValueStore<String, BufferedImpression> store(String name) {
    KeyValueStore<String, BufferedImpression> store = Stores.keyValueStoreBuilder(
            Stores.inMemoryKeyValueStore(name), Serdes.String(), JsonSerde.of(BufferedImpression.class))
        .withLoggingDisabled().withCachingDisabled().build();
    MockProcessorContext<String, Object> context = new MockProcessorContext<>();
    store.init(context.getStateStoreContext(), store);
    return store;
  }
}
