package io.ctrstream.streams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstream.dien.bundle.BundleException;
import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.features.FeatureRow;
import io.ctrstream.dien.release.ScorerFactory;
import io.ctrstream.dien.release.ServableSpec;
import io.ctrstream.dien.serving.BatchScorer;
import io.ctrstream.schemas.Score;
import io.ctrstream.streams.model.SwappableModelProvider;
import io.ctrstream.streams.release.LoadedModel;
import io.ctrstream.streams.release.ReleaseLoader;
import io.ctrstream.streams.release.TinyBundles;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves a hot swap between two real DIEN bundles on the real topology (TopologyTestDriver): the
 * batches scored before the release of B carry version A with A's probabilities, every batch
 * after it carries B with B's probabilities, no batch mixes the two (an impression buffered under
 * A is scored by B when its batch runs after the swap), and A's scorer is closed once its last
 * batch is done.
 */
class HotSwapTopologyTest {
  @TempDir Path stateDir;

  /** One batch as the model saw it. */
  private record Batch(String version, List<FeatureRow> rows) {}

  private final List<Batch> batches = new ArrayList<>();
  private final List<Recording> scorers = new ArrayList<>();

  /** Wraps the real DIEN scorer to record each batch and whether it was closed. */
  private final class Recording implements BatchScorer {
    final BatchScorer inner;
    boolean closed;
    boolean servedTheTopology;

    Recording(BatchScorer inner) {
      this.inner = inner;
    }

    @Override
    public float[] score(List<FeatureRow> rows) {
      assertThat(closed).as("scored after close").isFalse();
      // The loader's probe batch is not the topology's.
      if (!rows.get(0).userId().startsWith("probe-")) {
        servedTheTopology = true;
        batches.add(new Batch(inner.modelVersion(), List.copyOf(rows)));
      }
      return inner.score(rows);
    }

    @Override
    public String modelVersion() {
      return inner.modelVersion();
    }

    @Override
    public void close() {
      closed = true;
      inner.close();
    }
  }

  private final ScorerFactory recording = bundle -> {
    Recording r = new Recording(bundle.newScorer());
    scorers.add(r);
    return r;
  };

  private void install(SwappableModelProvider provider, ModelBundle bundle) throws Exception {
    LoadedModel m = new ReleaseLoader(TinyBundles.MODEL, new ServableSpec(3), recording)
        .load(TinyBundles.release(bundle));
    provider.release(m.version(), m::newScorer);
  }

  private static float[] expected(ModelBundle bundle, List<FeatureRow> rows) throws BundleException {
    try (BatchScorer s = bundle.newScorer()) {
      return s.score(rows);
    }
  }

  @Test
  void batchesBeforeTheReleaseCarryAAndAfterItBNeverBothInOneBatch() throws Exception {
    ModelBundle a = TinyBundles.bundle("v-a", 1, 1_000L);
    ModelBundle b = TinyBundles.bundle("v-b", 2, 2_000L);
    SwappableModelProvider provider = new SwappableModelProvider(0.3);
    install(provider, a);
    try (Harness h = new Harness(Harness.config(stateDir, Map.of()), provider)) {
      h.movie("1", "Comedy");
      h.movie("2", "Drama");
      h.movie("3", "Action", "Comedy");
      h.user("u1", "F", 30);
      h.rating("u1", "1", 5, 500);
      h.rating("u1", "2", 4, 600);
      h.impression("i1", "u1", "3", 1_000);
      h.impression("i2", "u9", "2", 1_001); // a cold user
      h.impression("i3", "u1", "999", 1_002); // a movie unknown to catalog and model
      h.impression("i4", "u1", "2", 1_003); // waits in the buffer across the swap
      install(provider, b);
      h.impression("i5", "u9", "1", 1_004);
      h.impression("i6", "u1", "3", 1_005);
      h.impression("i7", "u1", "1", 1_006);
      h.driver.advanceWallClockTime(Duration.ofMillis(100)); // the punctuator flushes i7 alone

      List<Score> scores = h.scores.readValuesToList();
      assertThat(scores).extracting(Score::impressionId).containsExactly("i1", "i2", "i3", "i4", "i5", "i6", "i7");
      assertThat(batches).extracting(Batch::version).containsExactly("v-a", "v-b", "v-b");
      assertThat(batches).extracting(bt -> bt.rows().size()).containsExactly(3, 3, 1);
      int at = 0;
      for (Batch batch : batches) {
        float[] want = expected(batch.version().equals("v-a") ? a : b, batch.rows());
        for (int i = 0; i < batch.rows().size(); i++, at++) {
          Score s = scores.get(at);
          assertThat(s.modelVersion()).as("score %s is in a %s batch", s.impressionId(), batch.version())
              .isEqualTo(batch.version());
          assertThat(s.prior()).isFalse();
          assertThat(s.score()).isEqualTo(Double.parseDouble(Float.toString(want[i])));
        }
      }
      // The two models really differ on these rows, so the versions are not just labels.
      assertThat(expected(a, batches.get(1).rows())).isNotEqualTo(expected(b, batches.get(1).rows()));
      // A's task scorer closed after its last batch; B's still serving.
      List<Recording> taskScorers = scorers.stream().filter(r -> r.servedTheTopology).toList();
      assertThat(taskScorers).extracting(Recording::modelVersion).containsExactly("v-a", "v-b");
      assertThat(taskScorers).extracting(r -> r.closed).containsExactly(true, false);
    }
  }
}
