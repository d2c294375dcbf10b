package io.ctrstream.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code ./ctr parity}: Check the DIEN port against a golden-vector file of the reference. */
@Command(name = "parity", mixinStandardHelpOptions = true, description = "Check the DIEN port against a golden-vector file of the reference.")
public final class ParityCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("ctr parity: not available in this build yet");
    return 2;
  }
}
