package io.ctrstream.dien.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * Proves saveParameters/loadParameters is an exact round trip (every weight and running statistic
 * bit for bit, identical predictions, identical bytes when saved again) and that a stream from
 * another config or a truncated stream is rejected without a crash.
 */
class SaveLoadTest {

  @Test
  void roundTripIsExact() throws IOException {
    DienConfig c = TestData.smallConfig().build();
    EncodedBatch train = TestData.batch(c, 16, 1);
    EncodedBatch score = TestData.batch(c, 10, 2, 0, 3, 6);
    byte[] saved;
    float[] expected;
    try (DienNetwork a = DienNetwork.create(c, 1);
        DienTrainStep step = DienTrainStep.create(a)) {
      for (int i = 0; i < 3; i++) {
        step.step(train); // moves weights and BatchNorm running statistics off their init
      }
      expected = a.predictProbabilities(score);
      saved = save(a);
      try (DienNetwork b = DienNetwork.create(c, 2)) {
        assertThat(b.predictProbabilities(score)).isNotEqualTo(expected);
        b.loadParameters(new ByteArrayInputStream(saved));
        assertThat(b.predictProbabilities(score)).containsExactly(expected);
        for (String name : a.parameterNames()) {
          assertThat(b.parameterValues(name)).as(name).containsExactly(a.parameterValues(name));
        }
        assertThat(Arrays.equals(save(b), saved)).isTrue();
      }
      try (DienNetwork loaded = DienNetwork.fromParameters(c, new ByteArrayInputStream(saved))) {
        assertThat(loaded.predictProbabilities(score)).containsExactly(expected);
      }
    }
  }

  @Test
  void rejectsAnotherConfigAndTruncatedStreams() throws IOException {
    DienConfig c = TestData.smallConfig().build();
    byte[] saved;
    try (DienNetwork a = DienNetwork.create(c, 1)) {
      saved = save(a);
    }
    DienConfig agru = c.toBuilder().optEvolution(DienConfig.Evolution.AGRU).build();
    try (DienNetwork other = DienNetwork.create(agru, 1)) {
      float[] before = other.parameterValues("final_layer.weight");
      assertThatThrownBy(() -> other.loadParameters(new ByteArrayInputStream(saved)))
          .isInstanceOf(IOException.class);
      assertThat(other.parameterValues("final_layer.weight")).containsExactly(before);
    }
    DienConfig wider = c.toBuilder().optEmbeddingSize(4).build();
    try (DienNetwork other = DienNetwork.create(wider, 1)) {
      assertThatThrownBy(() -> other.loadParameters(new ByteArrayInputStream(saved)))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("shape");
    }
    try (DienNetwork same = DienNetwork.create(c, 1)) {
      byte[] cut = Arrays.copyOf(saved, saved.length / 2);
      assertThatThrownBy(() -> same.loadParameters(new ByteArrayInputStream(cut)))
          .isInstanceOf(IOException.class);
      assertThatThrownBy(() -> same.loadParameters(new ByteArrayInputStream(new byte[] {1, 2})))
          .isInstanceOf(IOException.class);
    }
  }

  static byte[] save(DienNetwork net) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    net.saveParameters(out);
    return out.toByteArray();
  }
}
