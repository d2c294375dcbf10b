package io.ctrstream.cli;

import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Topics;
import io.ctrstream.schemas.TopicSpec;
import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.io.PrintWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./ctr broker}: runs Kafka's own KRaft broker in this process on localhost, creates the
 * project's topics (from {@link Topics}) and serves until Ctrl-C, so that {@code ./ctr serve},
 * {@code ./ctr replay} and kcat can be started against it from other terminals.
 */
@Command(
    name = "broker",
    mixinStandardHelpOptions = true,
    description =
        "Run an embedded single-node Kafka (KRaft) broker on localhost and create the topics.")
public final class BrokerCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--port",
      defaultValue = "9092",
      description = "Client port on localhost (0 = any free port). Default: ${DEFAULT-VALUE}.")
  int port;

  @Option(
      names = "--partitions",
      defaultValue = "4",
      description =
          "Partitions of the user-keyed topics (users, impressions, ratings, scores, feedback),"
              + " co-partitioned. Default: ${DEFAULT-VALUE}.")
  int partitions;

  @Option(
      names = "--prefix",
      defaultValue = "",
      description = "Prefix of every topic name, e.g. 'dev.'. Default: none.")
  String prefix;

  @Option(
      names = "--data-dir",
      description =
          "Folder for the broker's data (must be absent or empty; kept on exit)."
              + " Default: a temporary folder deleted on exit.")
  Path dataDir;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    Topics topics;
    try {
      topics = Topics.builder().optPrefix(prefix).optUserPartitions(partitions).build();
    } catch (IllegalArgumentException e) {
      err.println("ctr broker: " + e.getMessage());
      return 2;
    }

    EmbeddedKafka.Builder builder = EmbeddedKafka.builder().optPort(port);
    if (dataDir != null) {
      builder.optDataDir(dataDir);
    }
    EmbeddedKafka kafka;
    try {
      kafka = builder.start();
    } catch (IllegalArgumentException | IllegalStateException e) {
      err.println("ctr broker: " + e.getMessage());
      return 1;
    }

    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime()
        .addShutdownHook(
            new Thread(
                () -> {
                  err.println("ctr broker: stopping ...");
                  kafka.close();
                  stopped.countDown();
                },
                "ctr-broker-shutdown"));

    Set<String> created = kafka.createTopics(topics.newTopics((short) 1));
    String bootstrap = kafka.bootstrapServers();
    out.printf(
        "Kafka (KRaft, single node) is up at %s, started in %d ms, data in %s%n",
        bootstrap, kafka.startupTime().toMillis(), kafka.dataDir());
    out.println("Topics (" + created.size() + " created now):");
    for (TopicSpec<String, ?> t : topics.all()) {
      out.printf(
          "  %-28s partitions=%d %s%n",
          t.name(), t.partitions(), t.compacted() ? "compact" : "delete");
    }
    out.println();
    out.println("Clients: bootstrap.servers=" + bootstrap
        + "   (e.g. CTR_BOOTSTRAP_SERVERS=" + bootstrap + " ./ctr serve)");
    out.println("kcat:    kcat -b " + bootstrap + " -L");
    out.println("         kcat -b " + bootstrap + " -C -t " + topics.scores().name()
        + " -o beginning -f '%k %s\\n'");
    out.println("Press Ctrl-C to stop.");
    out.flush();

    try {
      stopped.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      kafka.close();
    }
    return 0;
  }
}
