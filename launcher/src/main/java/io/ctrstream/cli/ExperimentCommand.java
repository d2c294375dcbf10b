package io.ctrstream.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code ./ctr experiment}: Train and evaluate DIEN on the reference CSV format. */
@Command(name = "experiment", mixinStandardHelpOptions = true, description = "Train and evaluate DIEN on the reference CSV format.")
public final class ExperimentCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("ctr experiment: not available in this build yet");
    return 2;
  }
}
