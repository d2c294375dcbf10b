package io.ctrstream.trainer.replay;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The fractions of the rating stream at which a {@link CheckpointHook} runs: strictly increasing,
 * each in (0, 1].
 *
 * <pre>{@code
 * Checkpoints.startingAt(0.2, 0.1)   // 0.2, 0.3, ..., 0.9, 1.0
 * }</pre>
 */
public record Checkpoints(List<Double> fractions) {

  public Checkpoints {
    fractions = List.copyOf(fractions);
    double previous = 0;
    for (double f : fractions) {
      if (!(f > previous && f <= 1.0)) {
        throw new IllegalArgumentException(
            "checkpoint fractions must be strictly increasing and in (0, 1], got " + fractions);
      }
      previous = f;
    }
  }

  /** No checkpoint. */
  public static Checkpoints none() {
    return new Checkpoints(List.of());
  }

  /** These fractions, e.g. {@code of(0.5, 1.0)}. */
  public static Checkpoints of(double... fractions) {
    return new Checkpoints(Arrays.stream(fractions).boxed().toList());
  }

  /**
   * {@code first}, {@code first + step}, ... up to and including 1.0 when a step lands on it.
   * Fractions are rounded to 1e-9 so that 0.2 + 0.1 is 0.3, not 0.30000000000000004.
   */
  public static Checkpoints startingAt(double first, double step) {
    if (!(first > 0 && first <= 1)) {
      throw new IllegalArgumentException("first checkpoint must be in (0, 1], got " + first);
    }
    if (!(step > 0)) {
      throw new IllegalArgumentException("checkpoint step must be > 0, got " + step);
    }
    List<Double> out = new ArrayList<>();
    for (int k = 0; ; k++) {
      double f = Math.round((first + k * step) * 1e9) / 1e9;
      if (f > 1.0) {
        return new Checkpoints(out);
      }
      out.add(f);
    }
  }

  /**
   * How many ratings must be published for {@code fraction} of {@code total} to be reached: the
   * smallest n with n / total >= fraction.
   */
  static long threshold(double fraction, long total) {
    // The epsilon keeps 0.3 * 10 (= 3.0000000000000004) from asking for a 4th rating.
    return (long) Math.ceil(fraction * total - 1e-9);
  }
}
