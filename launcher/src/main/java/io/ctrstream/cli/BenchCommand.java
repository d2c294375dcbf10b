package io.ctrstream.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code ./ctr bench}: Benchmarks: model, scoring. */
@Command(name = "bench", mixinStandardHelpOptions = true, description = "Benchmarks: model, scoring.")
public final class BenchCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("ctr bench: not available in this build yet");
    return 2;
  }
}
