package io.ctrstream.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code ./ctr replay}: Publish a dataset (users, movies, impressions, ratings) to a Kafka cluster. */
@Command(name = "replay", mixinStandardHelpOptions = true, description = "Publish a dataset (users, movies, impressions, ratings) to a Kafka cluster.")
public final class ReplayCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("ctr replay: not available in this build yet");
    return 2;
  }
}
