package io.ctrstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code ctr chaos}: commands that prove the scorer's guarantees on a cluster, each exiting 1 when one fails. */
@Command(
    name = "chaos",
    mixinStandardHelpOptions = true,
    description = "Prove the guarantees: memory.",
    subcommands = {ChaosMemoryCommand.class})
public final class ChaosCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }
}
