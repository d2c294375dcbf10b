package io.ctrstream.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code ./ctr train}: Retrain DIEN on the feedback topic, gate the candidate and release it. */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Retrain DIEN on the feedback topic, gate the candidate and release it.")
public final class TrainCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("ctr train: not available in this build yet");
    return 2;
  }
}
