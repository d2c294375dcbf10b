package io.ctrstream.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code ./ctr demo}: Run the whole loop on an embedded Kafka broker with bundled data. */
@Command(name = "demo", mixinStandardHelpOptions = true, description = "Run the whole loop on an embedded Kafka broker with bundled data.")
public final class DemoCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("ctr demo: not available in this build yet");
    return 2;
  }
}
