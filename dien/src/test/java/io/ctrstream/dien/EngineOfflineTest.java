package io.ctrstream.dien;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import org.junit.jupiter.api.Test;

/**
 * Proves the PyTorch engine starts with no network: DJL runs with {@code ai.djl.offline=true}
 * (set by the build for every test JVM), in which mode it refuses any download, so the native
 * library can only come from the {@code pytorch-native-cpu} jar on the class path.
 */
class EngineOfflineTest {

  @Test
  void pytorchStartsOfflineFromTheBundledNativeJar() {
    assertThat(System.getProperty("ai.djl.offline"))
        .as("surefire must run tests with -Dai.djl.offline=true")
        .isEqualTo("true");
    Engine engine = Engine.getEngine("PyTorch");
    assertThat(engine.getEngineName()).isEqualTo("PyTorch");
    assertThat(engine.getVersion()).startsWith("2.7.1");
    try (NDManager manager = engine.newBaseManager()) {
      NDArray x = manager.create(new float[] {1f, 2f, 3f});
      assertThat(x.mul(2).sum().getFloat()).isEqualTo(12f);
    }
  }
}
