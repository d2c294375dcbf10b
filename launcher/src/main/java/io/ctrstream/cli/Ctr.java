package io.ctrstream.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code ./ctr} launcher: one entry point that dispatches to each service's command. */
@Command(
    name = "ctr",
    mixinStandardHelpOptions = true,
    versionProvider = Ctr.Version.class,
    description = "Real-time DIEN CTR scoring on Kafka Streams.",
    subcommands = {
      CommandLine.HelpCommand.class,
      DemoCommand.class,
      BrokerCommand.class,
      ServeCommand.class,
      TrainCommand.class,
      ReleaseCommand.class,
      ReplayCommand.class,
      GenerateCommand.class,
      ExperimentCommand.class,
      MovieLensSplitCommand.class,
      ParityCommand.class,
      BenchCommand.class,
      ChaosCommand.class,
      KeygenCommand.class
    })
public final class Ctr implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(commandLine().execute(args));
  }

  /** The command line the launcher and tests share. */
  public static CommandLine commandLine() {
    return new CommandLine(new Ctr()).setCaseInsensitiveEnumValuesAllowed(true);
  }

  @Override
  public void run() {
    spec.commandLine().usage(System.out);
  }

  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String v = Ctr.class.getPackage().getImplementationVersion();
      return new String[] {"ctr " + (v == null ? "dev" : v)};
    }
  }
}
