package io.ctrstream.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code ./ctr broker}: Run an embedded single-node Kafka (KRaft) broker on localhost and create the topics. */
@Command(name = "broker", mixinStandardHelpOptions = true, description = "Run an embedded single-node Kafka (KRaft) broker on localhost and create the topics.")
public final class BrokerCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("ctr broker: not available in this build yet");
    return 2;
  }
}
