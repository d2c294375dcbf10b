package io.ctrstream.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code ./ctr generate}: Write a synthetic dataset in the MovieLens 100K format with a planted sequential signal. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Write a synthetic dataset in the MovieLens 100K format with a planted sequential signal.")
public final class GenerateCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("ctr generate: not available in this build yet");
    return 2;
  }
}
