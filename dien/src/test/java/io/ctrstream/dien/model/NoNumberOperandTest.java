package io.ctrstream.dien.model;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Guards the fix for the nondeterministic training step: DJL's {@code NDArray} methods with a
 * {@code Number} operand (div, mul, add, sub, pow, maximum, ...) wrap the number in a tensor whose
 * direct buffer nothing keeps alive, while autograd may keep that tensor for the backward pass.
 * The model's classes must not call any of them (see {@link Ops#scalar}); a call shows up in a
 * class file's constant pool as the method descriptor checked here.
 */
class NoNumberOperandTest {

  private static final String NUMBER_OPERAND = "(Ljava/lang/Number;)Lai/djl/ndarray/NDArray;";
  private static final String NUMBER_OPERAND_PT =
      "(Ljava/lang/Number;)Lai/djl/pytorch/engine/PtNDArray;";

  @Test
  void theModelCallsNoNdArrayMethodWithANumberOperand() throws IOException, URISyntaxException {
    Path dir = Path.of(DienNetwork.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .resolve(DienNetwork.class.getPackageName().replace('.', '/'));
    List<Path> classes;
    try (Stream<Path> files = Files.list(dir)) {
      classes = files.filter(p -> p.toString().endsWith(".class")).toList();
    }
    assertThat(classes).as("compiled model classes in " + dir).hasSizeGreaterThan(5);
    for (Path c : classes) {
      String pool = new String(Files.readAllBytes(c), StandardCharsets.ISO_8859_1);
      assertThat(pool).as(c.getFileName() + " calls an NDArray method with a Number operand")
          .doesNotContain(NUMBER_OPERAND)
          .doesNotContain(NUMBER_OPERAND_PT);
    }
  }

  @Test
  void theCheckSeesSuchACall() throws IOException, URISyntaxException {
    // Caller holds one such call and no string literal: its class file must show the descriptor.
    Path caller = Path.of(Caller.class.getProtectionDomain().getCodeSource().getLocation().toURI())
        .resolve(Caller.class.getName().replace('.', '/') + ".class");
    String pool = new String(Files.readAllBytes(caller), StandardCharsets.ISO_8859_1);
    assertThat(pool).contains(NUMBER_OPERAND);
  }

  /** The pattern the model must not use. */
  static final class Caller {
    private Caller() {}

    static ai.djl.ndarray.NDArray halve(ai.djl.ndarray.NDArray a) {
      return a.div(2f);
    }
  }
}
