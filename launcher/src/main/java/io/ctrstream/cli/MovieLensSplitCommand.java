package io.ctrstream.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code ./ctr movielens-split}: Build the reference CSV format from raw MovieLens. */
@Command(name = "movielens-split", mixinStandardHelpOptions = true, description = "Build the reference CSV format from raw MovieLens.")
public final class MovieLensSplitCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    System.err.println("ctr movielens-split: not available in this build yet");
    return 2;
  }
}
