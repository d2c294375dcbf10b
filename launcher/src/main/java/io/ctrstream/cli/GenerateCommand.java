package io.ctrstream.cli;

import io.ctrstream.trainer.synthetic.SyntheticDataset;
import io.ctrstream.trainer.synthetic.SyntheticMovieLens;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./ctr generate}: writes a synthetic dataset in the MovieLens 100K format whose users'
 * interests drift (see {@link SyntheticMovieLens}), plus {@code truth.tsv} with the true label
 * probabilities, and prints the reference AUCs. The defaults produce the bundled {@code
 * data/sample}.
 */
@Command(
    name = "generate",
    mixinStandardHelpOptions = true,
    description =
        "Write a synthetic dataset in the MovieLens 100K format with a planted sequential signal.")
public final class GenerateCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(names = "--out", required = true, description = "Folder to write u.data, u.user, ...")
  Path outDir;

  @Option(
      names = "--users",
      defaultValue = "" + SyntheticMovieLens.Builder.DEFAULT_USERS,
      description = "Number of users. Default: ${DEFAULT-VALUE}.")
  int users;

  @Option(
      names = "--movies",
      defaultValue = "" + SyntheticMovieLens.Builder.DEFAULT_MOVIES,
      description = "Number of movies. Default: ${DEFAULT-VALUE}.")
  int movies;

  @Option(
      names = "--ratings",
      defaultValue = "" + SyntheticMovieLens.Builder.DEFAULT_RATINGS,
      description = "Number of ratings. Default: ${DEFAULT-VALUE}.")
  int ratings;

  @Option(
      names = "--seed",
      defaultValue = "" + SyntheticMovieLens.Builder.DEFAULT_SEED,
      description = "Random seed; the output is a function of the settings and the seed."
          + " Default: ${DEFAULT-VALUE}.")
  long seed;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    SyntheticMovieLens generator;
    try {
      generator =
          SyntheticMovieLens.builder()
              .optUsers(users)
              .optMovies(movies)
              .optRatings(ratings)
              .optSeed(seed)
              .optShowProgress(true)
              .build();
    } catch (IllegalArgumentException e) {
      err.println("ctr generate: " + e.getMessage());
      return 2;
    }
    SyntheticDataset dataset = generator.generate();
    try {
      for (Path file : dataset.writeTo(outDir)) {
        out.printf("wrote %-40s %,12d bytes%n", file, Files.size(file));
      }
    } catch (IOException e) {
      err.println("ctr generate: cannot write to " + outDir + ": " + e.getMessage());
      return 1;
    }
    out.println(dataset.report().describe());
    return 0;
  }
}
