package io.ctrstream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctrstream.cli.bench.ScoringBenchmark;
import io.ctrstream.cli.chaos.MemoryChaos;
import java.io.PrintStream;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code ctr chaos memory}: grows the users a scorer has seen and shows that memory stays within
 * its bounds, state within the retention, and throughput within the allowed drop. One JSON line on
 * stdout, a table and progress bars on stderr; exit 1 when a check fails.
 */
@Command(
    name = "memory",
    mixinStandardHelpOptions = true,
    description = {
      "Grows the users a scorer in this process has seen (10,000 to 1,000,000 by default), each"
          + " with a profile, ratings and impressions, and prints after each step the heap after a"
          + " collection, the resident memory, RocksDB's cache usage against rocksdb.memory.bytes,"
          + " the local state's bytes, the users forgotten by user.retention.ms and the step's"
          + " events a second. Each step's events are --days-per-step days of event time after the"
          + " last's, so old users fall out of the retention.",
      "Exits 1 when RocksDB goes over its bound, resident memory over heap max + RocksDB bound +"
          + " --rss-allowance-mib, the last step's throughput under (1 - --max-throughput-drop) of"
          + " the first's, or the users forgotten or stored differ from what the retention implies."
    })
final class ChaosMemoryCommand implements Callable<Integer> {

  @Option(names = "--users", split = ",", paramLabel = "N[,N...]",
      defaultValue = "10000,30000,100000,300000,1000000",
      description = "Users seen after each measured step, increasing (default: ${DEFAULT-VALUE}).")
  List<Long> users;

  @Option(names = "--warm-up-users", defaultValue = "5000",
      description = "Users of an unmeasured first step, for the JIT and the caches (default: ${DEFAULT-VALUE}).")
  int warmUpUsers;

  @Option(names = "--ratings-per-user", defaultValue = "2", description = "Default: ${DEFAULT-VALUE}.")
  int ratingsPerUser;

  @Option(names = "--impressions-per-user", defaultValue = "1", description = "Default: ${DEFAULT-VALUE}.")
  int impressionsPerUser;

  @Option(names = "--movies", defaultValue = "1000", description = "Catalog size (default: ${DEFAULT-VALUE}).")
  int movies;

  @Option(names = "--partitions", defaultValue = "4", description = "Partitions of the user-keyed topics (default: ${DEFAULT-VALUE}).")
  int partitions;

  @Option(names = "--rocksdb-memory-mib", defaultValue = "64",
      description = "The scorer's rocksdb.memory.bytes, in MiB (default: ${DEFAULT-VALUE}).")
  long rocksDbMemoryMib;

  @Option(names = "--retention-days", defaultValue = "90",
      description = "The scorer's user.retention.ms, in days; 0 keeps every user (default: ${DEFAULT-VALUE}).")
  long retentionDays;

  @Option(names = "--days-per-step", defaultValue = "30",
      description = "Event time between the starts of two steps; the last step ends now (default: ${DEFAULT-VALUE}).")
  int daysPerStep;

  @Option(names = "--max-throughput-drop", defaultValue = "0.2",
      description = "Largest allowed fall of the last step's events/s from the first's (default: ${DEFAULT-VALUE}).")
  double maxThroughputDrop;

  @Option(names = "--rss-allowance-mib", defaultValue = "768",
      description = "Resident memory allowed beyond heap max + RocksDB bound: the JVM's own, and the"
          + " broker's when it runs in this process (default: ${DEFAULT-VALUE}).")
  long rssAllowanceMib;

  @Option(names = "--timeout-s", defaultValue = "1800", description = "Longest wait for one step (default: ${DEFAULT-VALUE}).")
  long timeoutSeconds;

  @Option(names = "--seed", defaultValue = "1", description = "Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--no-progress", description = "Do not draw progress bars.")
  boolean noProgress;

  @Mixin ClusterOptions cluster;

  @Override
  public Integer call() throws Exception {
    MemoryChaos chaos;
    try {
      chaos = MemoryChaos.builder()
          .optUserSteps(users)
          .optWarmUpUsers(warmUpUsers)
          .optRatingsPerUser(ratingsPerUser)
          .optImpressionsPerUser(impressionsPerUser)
          .optMovies(movies)
          .optPartitions(partitions)
          .optRocksDbMemoryBytes(rocksDbMemoryMib << 20)
          .optRetention(Duration.ofDays(retentionDays))
          .optDaysPerStep(daysPerStep)
          .optMaxThroughputDrop(maxThroughputDrop)
          .optRssAllowanceBytes(rssAllowanceMib << 20)
          .optTimeout(Duration.ofSeconds(Math.max(1, timeoutSeconds)))
          .optSeed(seed)
          .optCluster(cluster.bootstrapServers, cluster.kafkaProperties, cluster.replicationFactor())
          .optProgress(noProgress ? ScoringBenchmark.Progress.NONE : new BenchScoringCommand.Bar())
          .build();
    } catch (IllegalArgumentException e) {
      System.err.println("ctr chaos memory: " + e.getMessage());
      return 2;
    }
    PrintStream stdout = System.out;
    MemoryChaos.Result r;
    try {
      System.setOut(System.err); // the broker's formatter prints; the JSON line must be alone on stdout
      r = chaos.run();
    } finally {
      System.setOut(stdout);
    }
    System.err.println(table(r));
    r.failures().forEach(f -> System.err.println("FAILED: " + f));
    System.out.println(json(r));
    return r.passed() ? 0 : 1;
  }

  static String json(MemoryChaos.Result r) {
    ObjectMapper mapper = new ObjectMapper();
    ObjectNode out = mapper.createObjectNode();
    out.put("passed", r.passed());
    out.put("cluster", r.cluster());
    out.put("rocksdb_bound_bytes", r.rocksDbBoundBytes());
    out.put("heap_max_bytes", r.heapMaxBytes());
    out.put("rss_bound_bytes", r.rssBoundBytes());
    out.put("retention_ms", r.retentionMs());
    out.put("throughput_ratio", Math.round(r.throughputRatio() * 1000) / 1000.0);
    out.put("forgotten_at_least", r.forgottenAtLeast());
    out.put("forgotten_at_most", r.forgottenAtMost());
    ArrayNode steps = out.putArray("steps");
    for (MemoryChaos.Step s : r.steps()) {
      ObjectNode n = steps.addObject();
      n.put("step", s.name());
      n.put("users_seen", s.usersSeen());
      n.put("new_users", s.newUsers());
      n.put("events", s.events());
      n.put("seconds", Math.round(s.seconds() * 10) / 10.0);
      n.put("events_per_s", Math.round(s.eventsPerSecond()));
      n.put("heap_used_bytes", s.heapUsedBytes());
      n.put("rss_bytes", s.rssBytes());
      n.put("rocksdb_usage_bytes", s.rocksDbUsageBytes());
      n.put("rocksdb_pinned_bytes", s.rocksDbPinnedBytes());
      n.put("state_bytes", s.stateBytes());
      n.put("users_stored", s.usersStored());
      n.put("users_forgotten", s.usersForgotten());
    }
    ArrayNode failures = out.putArray("failures");
    r.failures().forEach(failures::add);
    return out.toString();
  }

  static String table(MemoryChaos.Result r) {
    StringBuilder t = new StringBuilder(String.format(Locale.ROOT,
        "%-9s %9s %10s %9s %9s %9s %11s %10s %10s %10s%n", "step", "users", "events/s", "heap MiB",
        "RSS MiB", "RocksDB", "state MiB", "stored", "forgotten", "seconds"));
    for (MemoryChaos.Step s : r.steps()) {
      t.append(String.format(Locale.ROOT, "%-9s %9d %10d %9d %9d %9d %11d %10d %10d %10.1f%n",
          s.name(), s.usersSeen(), Math.round(s.eventsPerSecond()), s.heapUsedBytes() >> 20,
          s.rssBytes() >> 20, s.rocksDbUsageBytes() >> 20, s.stateBytes() >> 20, s.usersStored(),
          s.usersForgotten(), s.seconds()));
    }
    t.append(String.format(Locale.ROOT,
        "bounds: RocksDB %d MiB, heap max %d MiB, RSS %d MiB; throughput last/first %.2f;"
            + " forgotten expected in [%d, %d]", r.rocksDbBoundBytes() >> 20, r.heapMaxBytes() >> 20,
        r.rssBoundBytes() >> 20, r.throughputRatio(), r.forgottenAtLeast(), r.forgottenAtMost()));
    return t.toString();
  }
}
