package io.ctrstream.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code ./ctr serve}: Run the streaming scorer against a Kafka cluster. */
@Command(name = "serve", mixinStandardHelpOptions = true, description = "Run the streaming scorer against a Kafka cluster.")
public final class ServeCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("ctr serve: not available in this build yet");
    return 2;
  }
}
