package io.ctrstream.cli;

import io.ctrstream.trainer.movielens.MovieLensData;
import io.ctrstream.trainer.movielens.MovieLensReader;
import io.ctrstream.trainer.movielens.MovieLensSplit;
import io.ctrstream.trainer.movielens.ReferenceCsv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code ./ctr movielens-split}: builds the reference CSV ({@code train.csv}, {@code test.csv})
 * from a raw MovieLens folder in any official layout, and prints the counts.
 */
@Command(
    name = "movielens-split",
    mixinStandardHelpOptions = true,
    description = {
      "Build the reference CSV format from raw MovieLens (ml-100k, ml-1m, ml-10m, ml-latest,"
          + " ml-25m; detected from the files present).",
      "Users are split 80/20 by the seed; each user's last rating is one example, with the last"
          + " 10 ratings >= 4 before it as history and as many never-rated movies as negatives."
    })
public final class MovieLensSplitCommand implements Callable<Integer> {

  @Option(names = "--ratings", required = true, paramLabel = "DIR",
      description = "folder of an unpacked MovieLens data set")
  Path ratings;

  @Option(names = "--out", required = true, paramLabel = "DIR",
      description = "where train.csv and test.csv are written")
  Path out;

  @Option(names = "--seed", defaultValue = "1", description = "seed of the user split and the"
      + " negative sampling (default: ${DEFAULT-VALUE})")
  long seed;

  @Option(names = "--test-fraction", defaultValue = "0.2",
      description = "share of users in test (default: ${DEFAULT-VALUE})")
  double testFraction;

  @Option(names = "--history", defaultValue = "10",
      description = "most history entries per example (default: ${DEFAULT-VALUE})")
  int history;

  @Override
  public Integer call() throws IOException {
    if (!Files.isDirectory(ratings)) {
      System.err.println("movielens-split: --ratings " + ratings + " is not a folder");
      return 2;
    }
    MovieLensSplit split;
    MovieLensData data;
    try {
      split = new MovieLensSplit(testFraction, history);
      data = MovieLensReader.read(ratings);
    } catch (IllegalArgumentException e) {
      System.err.println("movielens-split: " + e.getMessage());
      return 2;
    }
    MovieLensSplit.Result result = split.split(data, seed);
    Files.createDirectories(out);
    ReferenceCsv.write(out.resolve("train.csv"), result.train());
    ReferenceCsv.write(out.resolve("test.csv"), result.test());
    System.out.printf(
        "%s: %d ratings, %d users, %d movies (%s)%n",
        ratings, data.ratings().size(), result.train().size() + result.test().size(),
        data.movies().size(), data.format());
    for (Map.Entry<String, Object> e : MovieLensSplit.summary(result).entrySet()) {
      Object v = e.getValue();
      System.out.printf(
          "  %-20s %s%n", e.getKey(), v instanceof Double d ? String.format("%.4f", d) : v);
    }
    System.out.printf("wrote %s and %s%n", out.resolve("train.csv"), out.resolve("test.csv"));
    return 0;
  }
}
