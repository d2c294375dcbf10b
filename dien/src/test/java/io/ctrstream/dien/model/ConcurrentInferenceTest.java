package io.ctrstream.dien.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Proves predictProbabilities is safe on several threads at once (one network shared by scorer
 * threads): every thread gets exactly the single-threaded answer, and nothing is left in the
 * network's native memory afterwards.
 */
class ConcurrentInferenceTest {

  @Test
  void parallelPredictionsMatchSequentialOnes() throws Exception {
    DienConfig c = TestData.smallConfig().build();
    EncodedBatch[] batches = new EncodedBatch[4];
    for (int i = 0; i < batches.length; i++) {
      batches[i] = TestData.batch(c, 16 + i, 60 + i, 0, 6, 3, 1);
    }
    try (DienNetwork net = DienNetwork.create(c, 9)) {
      float[][] expected = new float[batches.length][];
      for (int i = 0; i < batches.length; i++) {
        expected[i] = net.predictProbabilities(batches[i]);
      }
      int arrays = net.parameterManager().getManagedArrays().size();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      try {
        List<Future<Boolean>> results = new ArrayList<>();
        for (int task = 0; task < 16; task++) {
          int i = task % batches.length;
          results.add(
              pool.submit(
                  () -> {
                    for (int rep = 0; rep < 5; rep++) {
                      float[] p = net.predictProbabilities(batches[i]);
                      if (!java.util.Arrays.equals(p, expected[i])) {
                        return false;
                      }
                    }
                    return true;
                  }));
        }
        for (Future<Boolean> f : results) {
          assertThat(f.get()).isTrue();
        }
      } finally {
        pool.shutdownNow();
      }
      assertThat(net.parameterManager().getManagedArrays()).hasSize(arrays);
    }
  }
}
