package io.ctrstream.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.ctrstream.cli.bench.ScoringBenchmark;
import io.ctrstream.cli.chaos.BrokerChaos;
import io.ctrstream.cli.chaos.CrashChaos;
import io.ctrstream.cli.chaos.HostileCorpus;
import io.ctrstream.cli.chaos.InputChaos;
import io.ctrstream.cli.chaos.ModelChaos;
import io.ctrstream.cli.chaos.ScaleChaos;
import io.ctrstream.cli.chaos.StateChaos;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code ./ctr chaos}: checks that hostile conditions do not stop scoring; one subcommand each. */
@Command(
    name = "chaos",
    mixinStandardHelpOptions = true,
    description = "Chaos checks of the scorer: input, model, state, crash, scale, memory, broker.",
    subcommands = {ChaosCommand.Input.class, ChaosCommand.Model.class, ChaosCommand.State.class,
        ChaosCommand.Crash.class, ChaosCommand.Scale.class, ChaosMemoryCommand.class,
        ChaosCommand.Broker.class})
public final class ChaosCommand implements Runnable {

  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(System.err);
  }

  /**
   * {@code ./ctr chaos input}: the hostile corpus ({@link HostileCorpus}) interleaved with valid
   * records through a scorer on an in-process broker or a running cluster ({@link InputChaos}).
   * One JSON line of figures on stdout, a summary and progress on stderr; exit 0 when every check
   * passed, 1 when one failed, 2 on bad options.
   */
  @Command(
      name = "input",
      mixinStandardHelpOptions = true,
      description = {
        "Sends hostile records (the bundled corpus: over 200 across users, movies, impressions and"
            + " ratings) interleaved with valid ones through a scorer started in this process, and"
            + " checks: every hostile record dead-lettered once with its reason, every valid"
            + " impression scored once, no thread died, Kafka Streams still RUNNING.",
        "One JSON line of figures on stdout; exit 0 when all checks pass, 1 when one fails."
      })
  static final class Input implements Callable<Integer> {
    @Option(names = "--valid", defaultValue = "1000",
        description = "Valid impressions interleaved with the corpus. Default: ${DEFAULT-VALUE}.")
    int valid;

    @Option(names = "--valid-ratings", defaultValue = "-1",
        description = "Valid ratings interleaved with the corpus; -1: a quarter of --valid."
            + " Default: ${DEFAULT-VALUE}.")
    int validRatings;

    @Option(names = "--users", defaultValue = "50",
        description = "Valid users published first. Default: ${DEFAULT-VALUE}.")
    int users;

    @Option(names = "--movies", defaultValue = "100",
        description = "Valid movies published first. Default: ${DEFAULT-VALUE}.")
    int movies;

    @Option(names = "--corpus", paramLabel = "FILE",
        description = "A corpus file of the same format instead of the bundled one"
            + " (" + HostileCorpus.RESOURCE + " in the jar).")
    Path corpus;

    @Option(names = "--timeout-s", defaultValue = "180",
        description = "Longest wait for the scores and dead letters. Default: ${DEFAULT-VALUE}.")
    long timeoutSeconds;

    @Option(names = "--settle-ms", defaultValue = "2000",
        description = "How long to go on reading once everything expected arrived (late"
            + " duplicates, unexpected dead letters). Default: ${DEFAULT-VALUE}.")
    long settleMs;

    @Option(names = "--seed", defaultValue = "42", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Mixin ClusterOptions cluster;

    @Option(names = "--no-progress", description = "Do not draw progress bars.")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
      InputChaos chaos;
      try {
        HostileCorpus c = corpus == null ? HostileCorpus.bundled() : HostileCorpus.load(corpus);
        chaos = new InputChaos(new InputChaos.Options(c, valid,
            validRatings < 0 ? valid / 4 : validRatings, users, movies,
            Duration.ofSeconds(Math.max(1, timeoutSeconds)), Duration.ofMillis(Math.max(0, settleMs)),
            seed, cluster.bootstrapServers, cluster.kafkaProperties, cluster.replicationFactor(),
            noProgress ? ScoringBenchmark.Progress.NONE : new BenchScoringCommand.Bar()));
      } catch (IllegalArgumentException | IOException e) {
        System.err.println("ctr chaos input: " + e.getMessage());
        return 2;
      }
      // The broker's formatter and other libraries print to stdout; the JSON line must be alone there.
      PrintStream stdout = System.out;
      InputChaos.Figures f;
      try {
        System.setOut(System.err);
        f = chaos.run();
      } finally {
        System.setOut(stdout);
      }
      ObjectMapper json = new ObjectMapper();
      ObjectNode out = json.createObjectNode();
      out.put("passed", f.passed());
      out.put("hostile_sent", f.hostileSent());
      out.put("dead_lettered", f.deadLettered());
      out.put("missing", f.missing());
      out.put("wrong_kind", f.wrongKind());
      out.put("duplicate_dead_letters", f.duplicateDeadLetters());
      out.put("empty_reasons", f.emptyReasons());
      out.put("unexpected_dead_letters", f.unexpectedDeadLetters());
      out.put("accepted_sent", f.acceptedSent());
      out.put("refused_by_broker", f.refused());
      out.put("not_sent", f.notSent());
      out.put("valid_impressions", f.validImpressions());
      out.put("scored", f.scored());
      out.put("duplicates", f.duplicates());
      out.put("lost", f.lost());
      out.put("unexpected_scores", f.unexpectedScores());
      out.put("threads_died", f.threadsDied());
      out.put("state", f.state());
      out.putPOJO("left_running", f.leftRunning());
      out.put("live", f.live());
      out.put("seconds", f.seconds());
      out.put("broker", f.broker());
      out.putPOJO("problems", f.problems());
      PrintStream err = System.err;
      err.printf(Locale.ROOT, "%nhostile records: %d sent, %d dead-lettered, %d missing, %d of another"
              + " kind or reason, %d dead-lettered twice, %d without a reason%n", f.hostileSent(),
          f.deadLettered(), f.missing(), f.wrongKind(), f.duplicateDeadLetters(), f.emptyReasons());
      err.printf(Locale.ROOT, "valid records: %d impressions to score, %d scored, %d lost, %d scored"
              + " twice, %d unexpected scores, %d unexpected dead letters; %d other valid corpus"
              + " records%n", f.validImpressions(), f.scored(), f.lost(), f.duplicates(),
          f.unexpectedScores(), f.unexpectedDeadLetters(), f.acceptedSent());
      err.printf(Locale.ROOT, "scorer: %d stream threads died, state %s%s, %s; %d records refused"
              + " by the broker as expected, %d refused unexpectedly (not checked); %.1f s%n",
          f.threadsDied(), f.state(), f.leftRunning().isEmpty() ? ""
              : " (left RUNNING for " + f.leftRunning() + ")", f.live() ? "live" : "NOT live",
          f.refused(), f.notSent(), f.seconds());
      f.problems().forEach(p -> err.println("  FAILED " + p));
      err.println(f.passed() ? "chaos input: PASSED" : "chaos input: FAILED");
      System.out.println(json.writeValueAsString(out));
      return f.passed() ? 0 : 1;
    }
  }

  /**
   * {@code ./ctr chaos crash}: a {@code ctr serve} child process SIGKILLed {@code --kills} times
   * while impressions and ratings flow, restarted each time on its state directory ({@link
   * CrashChaos}). One JSON line on stdout, a summary and progress on stderr; exit 0 when nothing
   * was lost, duplicated or mismatched, 1 otherwise, 2 on bad options.
   */
  @Command(
      name = "crash",
      mixinStandardHelpOptions = true,
      description = {
        "Runs a scorer (ctr serve) as a child process and kills it with SIGKILL --kills times while"
            + " --impressions impressions (and a rating for every --ratings-every-th) are"
            + " published, restarting it each time on the same state directory; then reads"
            + " scores and feedback read_committed and counts impressions lost (no score),"
            + " duplicated (more than one score) and feedback mismatched (missing, duplicated,"
            + " or not the score published for its impression).",
        "One JSON line of figures on stdout; exit 0 when all counts are 0, 1 otherwise."
      })
  static final class Crash implements Callable<Integer> {
    @Option(names = "--impressions", defaultValue = "3000",
        description = "Impressions to publish. Default: ${DEFAULT-VALUE}.")
    int impressions;

    @Option(names = "--kills", defaultValue = "3",
        description = "SIGKILLs of the scorer, spread over the run. Default: ${DEFAULT-VALUE}.")
    int kills;

    @Option(names = "--ratings-every", defaultValue = "4",
        description = "A rating follows every n-th impression (0: none). Default: ${DEFAULT-VALUE}.")
    int ratingsEvery;

    @Option(names = "--rate", defaultValue = "150",
        description = "Impressions published per second. Default: ${DEFAULT-VALUE}.")
    double rate;

    @Option(names = "--users", defaultValue = "50", description = "Default: ${DEFAULT-VALUE}.")
    int users;

    @Option(names = "--movies", defaultValue = "200", description = "Default: ${DEFAULT-VALUE}.")
    int movies;

    @Option(names = "--partitions", defaultValue = "4",
        description = "Partitions of the user-keyed topics. Default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(names = "--session-timeout-ms", defaultValue = "6000",
        description = "The scorer's consumer session timeout: how long the group waits for a"
            + " killed member (Kafka's default is 45000; 6000 is the broker's minimum)."
            + " Default: ${DEFAULT-VALUE}.")
    long sessionTimeoutMs;

    @Option(names = "--timeout-s", defaultValue = "120",
        description = "Longest wait for the scorer to become ready, and for the last scores."
            + " Default: ${DEFAULT-VALUE}.")
    long timeoutSeconds;

    @Option(names = "--settle-ms", defaultValue = "2000",
        description = "How long to read on once everything expected arrived (late duplicates)."
            + " Default: ${DEFAULT-VALUE}.")
    long settleMs;

    @Option(names = "--seed", defaultValue = "42", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--work-dir", paramLabel = "DIR",
        description = "State, settings and scorer logs go here (kept). Default: a temporary"
            + " directory, deleted when the run passes.")
    Path workDir;

    @Mixin ClusterOptions cluster;

    @Override
    public Integer call() throws Exception {
      CrashChaos chaos;
      try {
        chaos = new CrashChaos(new CrashChaos.Options(impressions, kills, ratingsEvery, users, movies,
            rate, partitions, sessionTimeoutMs, Duration.ofSeconds(Math.max(1, timeoutSeconds)),
            Duration.ofMillis(Math.max(0, settleMs)), seed, cluster.bootstrapServers, cluster.kafkaProperties,
            cluster.replicationFactor(), workDir,
            line -> System.err.println("chaos crash: " + line)));
      } catch (IllegalArgumentException e) {
        System.err.println("ctr chaos crash: " + e.getMessage());
        return 2;
      }
      PrintStream stdout = System.out;
      CrashChaos.Figures f;
      try {
        System.setOut(System.err);
        f = chaos.run();
      } finally {
        System.setOut(stdout);
      }
      ObjectMapper json = new ObjectMapper();
      ObjectNode out = json.createObjectNode();
      out.put("passed", f.passed());
      out.put("impressions", f.impressions());
      out.put("ratings", f.ratings());
      out.put("not_sent", f.notSent());
      out.put("kills", f.kills());
      out.put("scores", f.scores());
      out.put("scored", f.scored());
      out.put("lost", f.lost());
      out.put("duplicated", f.duplicated());
      out.put("unexpected", f.unexpected());
      out.put("feedback", f.feedback());
      out.put("feedback_lost", f.feedbackLost());
      out.put("feedback_duplicated", f.feedbackDuplicated());
      out.put("mismatched", f.mismatched());
      out.put("aborted_scores", f.abortedScores());
      var killsJson = out.putArray("kill_list");
      for (CrashChaos.Kill k : f.killList()) {
        killsJson.addObject().put("at_ms", k.atMs()).put("sent", k.sent()).put("pid", k.pid())
            .put("first_score_after_ms", k.firstScoreAfterMs());
      }
      out.put("seconds", f.seconds());
      out.put("broker", f.broker());
      out.putPOJO("problems", f.problems());
      PrintStream err = System.err;
      err.printf(Locale.ROOT, "%nscorer killed %d times (SIGKILL), restarted on its state directory;"
          + " first score after each kill: %s ms%n", f.kills(),
          f.killList().stream().map(k -> Long.toString(k.firstScoreAfterMs())).toList());
      err.printf(Locale.ROOT, "impressions: %d sent, %d scored, %d lost, %d duplicated, %d"
              + " unexpected; %d score records of aborted transactions%n", f.impressions(),
          f.scored(), f.lost(), f.duplicated(), f.unexpected(), f.abortedScores());
      err.printf(Locale.ROOT, "ratings: %d sent, %d feedback records, %d lost, %d duplicated, %d"
              + " mismatched; %.1f s%n", f.ratings(), f.feedback(), f.feedbackLost(),
          f.feedbackDuplicated(), f.mismatched(), f.seconds());
      f.problems().forEach(p -> err.println("  FAILED " + p));
      if (!f.passed()) {
        err.println("state, settings and scorer logs kept in " + f.workDir());
      }
      err.println(f.passed() ? "chaos crash: PASSED" : "chaos crash: FAILED");
      System.out.println(json.writeValueAsString(out));
      return f.passed() ? 0 : 1;
    }
  }

  /**
   * {@code ./ctr chaos scale}: two scorer processes share the partitions, one is killed for good,
   * a third joins ({@link ScaleChaos}). One JSON line on stdout, a summary and progress on stderr;
   * exit 0 when nothing was lost or duplicated, the partitions moved and spread again and {@code
   * /users/{id}} answered throughout, 1 otherwise, 2 on bad options.
   */
  @Command(
      name = "scale",
      mixinStandardHelpOptions = true,
      description = {
        "Starts two scorers (ctr serve child processes, one application id), kills one with"
            + " SIGKILL a third of the way through the impressions, checks that the survivor takes"
            + " its partitions, starts a third and checks that the partitions spread again, while"
            + " GET /users/{id} is asked of every live instance; then counts lost and duplicated"
            + " scores (read_committed) and measures the fail-over time.",
        "One JSON line of figures on stdout; exit 0 when every check passes, 1 otherwise."
      })
  static final class Scale implements Callable<Integer> {
    @Option(names = "--standby-replicas", defaultValue = "0",
        description = "The scorers' standby.replicas. Default: ${DEFAULT-VALUE}.")
    int standbyReplicas;

    @Option(names = "--impressions", defaultValue = "3000",
        description = "Impressions to publish. Default: ${DEFAULT-VALUE}.")
    int impressions;

    @Option(names = "--ratings-every", defaultValue = "4",
        description = "A rating follows every n-th impression (0: none). Default: ${DEFAULT-VALUE}.")
    int ratingsEvery;

    @Option(names = "--rate", defaultValue = "100",
        description = "Impressions published per second. Default: ${DEFAULT-VALUE}.")
    double rate;

    @Option(names = "--users", defaultValue = "60", description = "Default: ${DEFAULT-VALUE}.")
    int users;

    @Option(names = "--movies", defaultValue = "200", description = "Default: ${DEFAULT-VALUE}.")
    int movies;

    @Option(names = "--partitions", defaultValue = "6",
        description = "Partitions of the user-keyed topics. Default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(names = "--session-timeout-ms", defaultValue = "6000",
        description = "The scorers' consumer session timeout: how long the group waits for the"
            + " killed member (Kafka's default is 45000; 6000 is the broker's minimum)."
            + " Default: ${DEFAULT-VALUE}.")
    long sessionTimeoutMs;

    @Option(names = "--timeout-s", defaultValue = "120",
        description = "Longest wait for each step (ready, partitions moved, last scores)."
            + " Default: ${DEFAULT-VALUE}.")
    long timeoutSeconds;

    @Option(names = "--settle-ms", defaultValue = "2000",
        description = "How long to read on once everything expected arrived. Default: ${DEFAULT-VALUE}.")
    long settleMs;

    @Option(names = "--work-dir", paramLabel = "DIR",
        description = "State, settings and scorer logs go here (kept). Default: a temporary"
            + " directory, deleted when the run passes.")
    Path workDir;

    @Mixin ClusterOptions cluster;

    @Override
    public Integer call() throws Exception {
      ScaleChaos chaos;
      try {
        chaos = new ScaleChaos(new ScaleChaos.Options(impressions, standbyReplicas, ratingsEvery,
            users, movies, rate, partitions, sessionTimeoutMs,
            Duration.ofSeconds(Math.max(1, timeoutSeconds)), Duration.ofMillis(Math.max(0, settleMs)),
            cluster.bootstrapServers, cluster.kafkaProperties, cluster.replicationFactor(), workDir,
            line -> System.err.println("chaos scale: " + line)));
      } catch (IllegalArgumentException e) {
        System.err.println("ctr chaos scale: " + e.getMessage());
        return 2;
      }
      PrintStream stdout = System.out;
      ScaleChaos.Figures f;
      try {
        System.setOut(System.err);
        f = chaos.run();
      } finally {
        System.setOut(stdout);
      }
      ObjectMapper json = new ObjectMapper();
      ObjectNode out = json.createObjectNode();
      out.put("passed", f.passed());
      out.put("standby_replicas", f.standbyReplicas());
      out.put("impressions", f.impressions());
      out.put("ratings", f.ratings());
      out.put("not_sent", f.notSent());
      out.put("scored", f.scored());
      out.put("lost", f.lost());
      out.put("duplicated", f.duplicated());
      out.put("unexpected", f.unexpected());
      out.put("feedback", f.feedback());
      out.put("feedback_lost", f.feedbackLost());
      out.put("feedback_duplicated", f.feedbackDuplicated());
      out.put("mismatched", f.mismatched());
      out.putPOJO("partitions_before", f.partitionsBefore());
      out.putPOJO("partitions_after_kill", f.partitionsAfterKill());
      out.putPOJO("partitions_after_join", f.partitionsAfterJoin());
      out.putPOJO("moved_partitions", f.movedPartitions());
      out.put("failover_ms", f.failoverMs());
      out.put("kill_to_first_score_ms", f.killToFirstScoreMs());
      out.put("takeover_ms", f.takeoverMs());
      out.put("join_ms", f.joinMs());
      ScaleChaos.UsersEndpoint u = f.users();
      out.put("users_endpoint_ok", u.failures() == 0);
      out.put("users_requests", u.requests());
      out.put("users_200", u.ok200());
      out.put("users_307", u.redirects307());
      out.put("users_307_to_killed", u.redirectsToKilled());
      out.put("users_503", u.unavailable503());
      out.put("users_failures", u.failures());
      out.put("seconds", f.seconds());
      out.put("broker", f.broker());
      out.putPOJO("problems", f.problems());
      PrintStream err = System.err;
      err.printf(Locale.ROOT, "%nstandby.replicas %d; partitions before %s, after the kill %s, after"
              + " the join %s; moved %s%n", f.standbyReplicas(), f.partitionsBefore(),
          f.partitionsAfterKill(), f.partitionsAfterJoin(), f.movedPartitions());
      err.printf(Locale.ROOT, "fail-over: %d ms from the last score of the moved partitions before"
              + " the kill to the first after it (%d ms from the kill); survivor held every"
              + " partition %d ms after the kill; third scorer had its share %d ms after its"
              + " start%n", f.failoverMs(), f.killToFirstScoreMs(), f.takeoverMs(), f.joinMs());
      err.printf(Locale.ROOT, "impressions: %d sent, %d scored, %d lost, %d duplicated, %d"
              + " unexpected; ratings: %d sent, %d feedback, %d lost, %d duplicated, %d"
              + " mismatched%n", f.impressions(), f.scored(), f.lost(), f.duplicated(),
          f.unexpected(), f.ratings(), f.feedback(), f.feedbackLost(), f.feedbackDuplicated(),
          f.mismatched());
      err.printf(Locale.ROOT, "/users/{id}: %d requests, %d x 200, %d x 307 (%d to the killed"
              + " instance), %d x 503, %d failures; %.1f s%n", u.requests(), u.ok200(),
          u.redirects307(), u.redirectsToKilled(), u.unavailable503(), u.failures(), f.seconds());
      f.problems().forEach(p -> err.println("  FAILED " + p));
      if (!f.passed()) {
        err.println("state, settings and scorer logs kept in " + f.workDir());
      }
      err.println(f.passed() ? "chaos scale: PASSED" : "chaos scale: FAILED");
      System.out.println(json.writeValueAsString(out));
      return f.passed() ? 0 : 1;
    }
  }

  /**
   * {@code ./ctr chaos model}: bad model releases while impressions are scored, then a valid one
   * ({@link ModelChaos}). One JSON line of figures on stdout, a summary and progress on stderr;
   * exit 0 when every check passed, 1 when one failed, 2 on bad options.
   */
  @Command(
      name = "model",
      mixinStandardHelpOptions = true,
      description = {
        "Publishes model releases while a steady stream of impressions is scored by a scorer"
            + " started in this process (signed releases required, an allowed bundle directory,"
            + " a small bundle bound): a valid release, then bad ones (corrupt, truncated, wrong"
            + " sha256, unsigned, signed by another key, NaN weights, another feature layout,"
            + " oversized, a bundle URI outside the allowed directory, not a release), then a"
            + " second valid one, and checks: each bad release refused with its reason, the first"
            + " model serving meanwhile, the second swapped in with no impression waiting longer"
            + " than batch.max.wait.ms + commit.interval.ms + --latency-slack-ms for its score (or"
            + " the steady phase's longest wait + batch.max.wait.ms, if longer), every impression"
            + " scored once.",
        "One JSON line of figures on stdout; exit 0 when all checks pass, 1 when one fails."
      })
  static final class Model implements Callable<Integer> {
    @Option(names = "--rate", defaultValue = "50",
        description = "Impressions per second, throughout. Default: ${DEFAULT-VALUE}.")
    int rate;

    @Option(names = "--users", defaultValue = "50", description = "Default: ${DEFAULT-VALUE}.")
    int users;

    @Option(names = "--movies", defaultValue = "100", description = "Default: ${DEFAULT-VALUE}.")
    int movies;

    @Option(names = "--steady-s", defaultValue = "5",
        description = "Seconds of scoring with the first model before the bad releases (the"
            + " latency baseline). Default: ${DEFAULT-VALUE}.")
    long steadySeconds;

    @Option(names = "--after-swap-s", defaultValue = "3",
        description = "Seconds of scoring once the second valid release is served."
            + " Default: ${DEFAULT-VALUE}.")
    long afterSwapSeconds;

    @Option(names = "--step-timeout-s", defaultValue = "60",
        description = "Longest wait for one release to be refused or served. Default: ${DEFAULT-VALUE}.")
    long stepTimeoutSeconds;

    @Option(names = "--timeout-s", defaultValue = "120",
        description = "Longest wait for the scorer to start and for the last scores."
            + " Default: ${DEFAULT-VALUE}.")
    long timeoutSeconds;

    @Option(names = "--latency-slack-ms", defaultValue = "1000",
        description = "What the swap's latency bound allows beyond batch.max.wait.ms +"
            + " commit.interval.ms (send, transaction commit, read). Default: ${DEFAULT-VALUE}.")
    long latencySlackMs;

    @Option(names = "--seed", defaultValue = "42", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Mixin ClusterOptions cluster;

    @Option(names = "--no-progress", description = "Do not draw progress bars.")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
      ModelChaos chaos;
      try {
        chaos = new ModelChaos(new ModelChaos.Options(rate, users, movies,
            Duration.ofSeconds(steadySeconds), Duration.ofSeconds(afterSwapSeconds),
            Duration.ofSeconds(stepTimeoutSeconds), Duration.ofSeconds(timeoutSeconds),
            latencySlackMs, seed, cluster.bootstrapServers, cluster.kafkaProperties,
            cluster.replicationFactor(),
            noProgress ? ScoringBenchmark.Progress.NONE : new BenchScoringCommand.Bar()));
      } catch (IllegalArgumentException e) {
        System.err.println("ctr chaos model: " + e.getMessage());
        return 2;
      }
      PrintStream stdout = System.out;
      ModelChaos.Figures f;
      try {
        System.setOut(System.err);
        f = chaos.run();
      } finally {
        System.setOut(stdout);
      }
      ObjectMapper json = new ObjectMapper();
      ObjectNode out = json.createObjectNode();
      out.put("passed", f.passed());
      ArrayNode bad = out.putArray("bad_releases");
      for (ModelChaos.BadRelease b : f.badReleases()) {
        bad.addObject().put("kind", b.kind()).put("expected", b.expected()).put("reason", b.seen())
            .put("ok", b.ok());
      }
      out.put("version_before", f.versionBefore());
      out.put("version_during", f.versionDuring());
      out.put("version_after", f.versionAfter());
      out.put("scores_during_bad", f.scoresDuringBad());
      out.put("other_version_during_bad", f.otherVersionDuringBad());
      out.put("swap_seconds", f.swapSeconds());
      out.put("swap_max_latency_ms", f.swapMaxLatencyMs());
      out.put("latency_bound_ms", f.latencyBoundMs());
      out.put("baseline_max_latency_ms", f.baselineMaxLatencyMs());
      out.put("bad_max_latency_ms", f.badMaxLatencyMs());
      out.put("warmup_seconds", f.warmupSeconds());
      out.put("impressions_sent", f.impressionsSent());
      out.put("scored", f.scored());
      out.put("lost", f.lost());
      out.put("duplicates", f.duplicates());
      out.put("threads_died", f.threadsDied());
      out.put("follower_alive", f.followerAlive());
      out.put("state", f.state());
      out.put("ready", f.ready());
      out.put("seconds", f.seconds());
      out.put("broker", f.broker());
      out.putPOJO("problems", f.problems());
      PrintStream err = System.err;
      err.println();
      for (ModelChaos.BadRelease b : f.badReleases()) {
        err.printf(Locale.ROOT, "  %-24s refused as %-12s (expected %s)%s%n", b.kind(), b.seen(),
            b.expected(), b.ok() ? "" : "  WRONG");
      }
      err.printf(Locale.ROOT, "served: %s before, %s after the bad releases (%d impressions scored"
              + " meanwhile, %d by another model), %s at the end%n", f.versionBefore(),
          f.versionDuring(), f.scoresDuringBad(), f.otherVersionDuringBad(), f.versionAfter());
      err.printf(Locale.ROOT, "swap: served %.2f s after publishing; longest wait for a score around"
              + " it %d ms (bound %d ms; steady %d ms, during the bad releases %d ms; warm-up of"
              + " %.1f s not measured)%n", f.swapSeconds(), f.swapMaxLatencyMs(),
          f.latencyBoundMs(), f.baselineMaxLatencyMs(), f.badMaxLatencyMs(), f.warmupSeconds());
      err.printf(Locale.ROOT, "impressions: %d sent, %d scored, %d lost, %d scored twice; %d stream"
              + " threads died, follower %s, %s, %s; %.1f s%n", f.impressionsSent(), f.scored(),
          f.lost(), f.duplicates(), f.threadsDied(), f.followerAlive() ? "alive" : "DEAD", f.state(),
          f.ready() ? "ready" : "NOT ready", f.seconds());
      f.problems().forEach(p -> err.println("  FAILED " + p));
      err.println(f.passed() ? "chaos model: PASSED" : "chaos model: FAILED");
      System.out.println(json.writeValueAsString(out));
      return f.passed() ? 0 : 1;
    }
  }

  /**
   * {@code ./ctr chaos state}: a scorer's local state wiped between two runs of the same
   * impressions ({@link StateChaos}). One JSON line of figures on stdout, a summary and progress
   * on stderr; exit 0 when every check passed, 1 when one failed, 2 on bad options.
   */
  @Command(
      name = "state",
      mixinStandardHelpOptions = true,
      description = {
        "Scores a workload (each user's ratings, then impressions) with a scorer started in this"
            + " process and a small real DIEN model, stops it, deletes its state directory and"
            + " starts a new one, which restores its state from the changelog topics; checks that"
            + " each user's state reads the same and that the same (user, movie) impressions, sent"
            + " again with new ids, get the same scores.",
        "One JSON line of figures on stdout; exit 0 when all checks pass, 1 when one fails."
      })
  static final class State implements Callable<Integer> {
    @Option(names = "--users", defaultValue = "50", description = "Default: ${DEFAULT-VALUE}.")
    int users;

    @Option(names = "--movies", defaultValue = "100", description = "Default: ${DEFAULT-VALUE}.")
    int movies;

    @Option(names = "--ratings-per-user", defaultValue = "20",
        description = "Ratings of distinct movies per user, sent first. Default: ${DEFAULT-VALUE}.")
    int ratingsPerUser;

    @Option(names = "--impressions", defaultValue = "500",
        description = "Distinct (user, movie) impressions scored before the wipe and again after."
            + " Default: ${DEFAULT-VALUE}.")
    int impressions;

    @Option(names = "--timeout-s", defaultValue = "120",
        description = "Longest wait of each phase. Default: ${DEFAULT-VALUE}.")
    long timeoutSeconds;

    @Option(names = "--seed", defaultValue = "42", description = "Default: ${DEFAULT-VALUE}.")
    long seed;

    @Mixin ClusterOptions cluster;

    @Option(names = "--no-progress", description = "Do not draw progress bars.")
    boolean noProgress;

    @Override
    public Integer call() throws Exception {
      StateChaos chaos;
      try {
        chaos = new StateChaos(new StateChaos.Options(users, movies, ratingsPerUser, impressions,
            Duration.ofSeconds(Math.max(1, timeoutSeconds)), seed, cluster.bootstrapServers,
            cluster.kafkaProperties, cluster.replicationFactor(),
            noProgress ? ScoringBenchmark.Progress.NONE : new BenchScoringCommand.Bar()));
      } catch (IllegalArgumentException e) {
        System.err.println("ctr chaos state: " + e.getMessage());
        return 2;
      }
      PrintStream stdout = System.out;
      StateChaos.Figures f;
      try {
        System.setOut(System.err);
        f = chaos.run();
      } finally {
        System.setOut(stdout);
      }
      ObjectMapper json = new ObjectMapper();
      ObjectNode out = json.createObjectNode();
      out.put("passed", f.passed());
      out.put("ratings_sent", f.ratingsSent());
      out.put("users_compared", f.usersCompared());
      out.put("state_mismatches", f.stateMismatches());
      out.put("impressions_compared", f.impressionsCompared());
      out.put("score_mismatches", f.scoreMismatches());
      out.put("max_score_difference", f.maxScoreDifference());
      out.put("restore_seconds", f.restoreSeconds());
      out.put("assignment_seconds", f.assignmentSeconds());
      out.put("restored_records", f.restoredRecords());
      out.put("version_before", f.versionBefore());
      out.put("version_after", f.versionAfter());
      out.put("threads_died", f.threadsDied());
      out.put("state", f.state());
      out.put("ready", f.ready());
      out.put("seconds", f.seconds());
      out.put("broker", f.broker());
      out.putPOJO("problems", f.problems());
      PrintStream err = System.err;
      err.printf(Locale.ROOT, "%nstate: %d users compared after the wipe, %d differ; restored %d"
              + " changelog records, RUNNING %.2f s after the start (%.2f s of them waiting for"
              + " the partitions)%n", f.usersCompared(), f.stateMismatches(), f.restoredRecords(),
          f.restoreSeconds(), f.assignmentSeconds());
      err.printf(Locale.ROOT, "scores: %d (user, movie) impressions compared, %d differ (largest"
              + " difference %.2g); model %s before, %s after%n", f.impressionsCompared(),
          f.scoreMismatches(), f.maxScoreDifference(), f.versionBefore(), f.versionAfter());
      err.printf(Locale.ROOT, "scorer: %d stream threads died, %s, %s; %.1f s%n", f.threadsDied(),
          f.state(), f.ready() ? "ready" : "NOT ready", f.seconds());
      f.problems().forEach(p -> err.println("  FAILED " + p));
      err.println(f.passed() ? "chaos state: PASSED" : "chaos state: FAILED");
      System.out.println(json.writeValueAsString(out));
      return f.passed() ? 0 : 1;
    }
  }

  /**
   * {@code ./ctr chaos broker}: the in-process broker is restarted (data kept) while impressions
   * flow through a scorer in this process ({@link BrokerChaos}). One JSON line on stdout, a
   * summary and progress on stderr; exit 0 when nothing was lost or duplicated and the scorer is
   * RUNNING again on its own, 1 otherwise, 2 on bad options (a running cluster included: its
   * brokers are not this command's to restart).
   */
  @Command(
      name = "broker",
      mixinStandardHelpOptions = true,
      description = {
        "Runs a broker and a scorer (exactly_once_v2) in this process, publishes --impressions"
            + " impressions (and a rating for every --ratings-every-th) and, a third of the way"
            + " in, shuts the broker down, leaves it down --downtime-s seconds and starts it"
            + " again on its data while publishing goes on; then reads scores and feedback"
            + " read_committed and counts impressions lost, duplicated, and feedback lost,"
            + " duplicated or mismatched; the scorer must be RUNNING again without a restart.",
        "One JSON line of figures on stdout; exit 0 when all checks pass, 1 when one fails."
      })
  static final class Broker implements Callable<Integer> {
    @Option(names = "--impressions", defaultValue = "3000",
        description = "Impressions to publish. Default: ${DEFAULT-VALUE}.")
    int impressions;

    @Option(names = "--downtime-s", defaultValue = "5",
        description = "Seconds the broker stays down. Default: ${DEFAULT-VALUE}.")
    long downtimeSeconds;

    @Option(names = "--ratings-every", defaultValue = "4",
        description = "A rating follows every n-th impression (0: none). Default: ${DEFAULT-VALUE}.")
    int ratingsEvery;

    @Option(names = "--rate", defaultValue = "150",
        description = "Impressions published per second. Default: ${DEFAULT-VALUE}.")
    double rate;

    @Option(names = "--users", defaultValue = "50", description = "Default: ${DEFAULT-VALUE}.")
    int users;

    @Option(names = "--movies", defaultValue = "200", description = "Default: ${DEFAULT-VALUE}.")
    int movies;

    @Option(names = "--partitions", defaultValue = "4",
        description = "Partitions of the user-keyed topics. Default: ${DEFAULT-VALUE}.")
    int partitions;

    @Option(names = "--session-timeout-ms", defaultValue = "6000",
        description = "The scorer's consumer session timeout. Default: ${DEFAULT-VALUE}.")
    long sessionTimeoutMs;

    @Option(names = "--timeout-s", defaultValue = "120",
        description = "Longest wait for the scorer, the restart and the last scores."
            + " Default: ${DEFAULT-VALUE}.")
    long timeoutSeconds;

    @Option(names = "--settle-ms", defaultValue = "2000",
        description = "How long to read on once everything expected arrived (late duplicates)."
            + " Default: ${DEFAULT-VALUE}.")
    long settleMs;

    @Option(names = "--bootstrap-servers", paramLabel = "HOST:PORT",
        description = "Refused: only the broker this command starts in its own process can be"
            + " restarted by it.")
    String bootstrapServers;

    @Override
    public Integer call() throws Exception {
      if (bootstrapServers != null) {
        System.err.println("ctr chaos broker: --bootstrap-servers is not supported: only the"
            + " in-process broker can be restarted by this command. On a running cluster, restart"
            + " a broker by hand while `./ctr chaos crash --kills 0 --bootstrap-servers ...`"
            + " counts lost and duplicated scores.");
        return 2;
      }
      BrokerChaos chaos;
      try {
        chaos = new BrokerChaos(new BrokerChaos.Options(impressions, ratingsEvery, users, movies,
            rate, partitions, Duration.ofSeconds(downtimeSeconds), sessionTimeoutMs,
            Duration.ofSeconds(Math.max(1, timeoutSeconds)), Duration.ofMillis(Math.max(0, settleMs)),
            line -> System.err.println("chaos broker: " + line)));
      } catch (IllegalArgumentException e) {
        System.err.println("ctr chaos broker: " + e.getMessage());
        return 2;
      }
      PrintStream stdout = System.out;
      BrokerChaos.Figures f;
      try {
        System.setOut(System.err);
        f = chaos.run();
      } finally {
        System.setOut(stdout);
      }
      ObjectMapper json = new ObjectMapper();
      ObjectNode out = json.createObjectNode();
      out.put("passed", f.passed());
      out.put("impressions", f.impressions());
      out.put("ratings", f.ratings());
      out.put("resent", f.resent());
      out.put("sent_before_restart", f.sentBeforeRestart());
      out.put("sent_while_down", f.sentWhileDown());
      out.put("input_duplicated", f.inputDuplicated());
      out.put("scores", f.scores());
      out.put("scored", f.scored());
      out.put("lost", f.lost());
      out.put("duplicated", f.duplicated());
      out.put("unexpected", f.unexpected());
      out.put("feedback", f.feedback());
      out.put("feedback_lost", f.feedbackLost());
      out.put("feedback_duplicated", f.feedbackDuplicated());
      out.put("mismatched", f.mismatched());
      out.put("broker_downtime_seconds", f.downtimeSeconds());
      out.put("broker_stop_seconds", f.stopSeconds());
      out.put("broker_start_seconds", f.startSeconds());
      out.put("first_score_after_seconds", f.firstScoreAfterSeconds());
      out.put("threads_replaced", f.threadsReplaced());
      out.put("stream_threads", f.streamThreads());
      out.put("state", f.state());
      out.put("ready", f.ready());
      out.putPOJO("states_seen", f.statesSeen());
      out.put("seconds", f.seconds());
      out.put("broker", "in-process");
      out.putPOJO("problems", f.problems());
      PrintStream err = System.err;
      err.printf(Locale.ROOT, "%nbroker down %.2f s (%.2f s stopping, %.2f s starting again on its"
              + " data), restarted after %d impressions, %d sent while down; first new score %.2f s"
              + " after it was back%n", f.downtimeSeconds(), f.stopSeconds(), f.startSeconds(),
          f.sentBeforeRestart(), f.sentWhileDown(),
          f.firstScoreAfterSeconds());
      err.printf(Locale.ROOT, "impressions: %d sent, %d scored, %d lost, %d duplicated, %d"
              + " unexpected; %d input records written twice by the producer's retries, %d"
              + " sent again%n", f.impressions(), f.scored(), f.lost(), f.duplicated(),
          f.unexpected(), f.inputDuplicated(), f.resent());
      err.printf(Locale.ROOT, "ratings: %d sent, %d feedback records, %d lost, %d duplicated, %d"
              + " mismatched%n", f.ratings(), f.feedback(), f.feedbackLost(),
          f.feedbackDuplicated(), f.mismatched());
      err.printf(Locale.ROOT, "scorer: %s, %s, %d stream threads (%d replaced), states seen %s;"
              + " %.1f s%n", f.state(), f.ready() ? "ready" : "NOT ready", f.streamThreads(),
          f.threadsReplaced(), f.statesSeen(), f.seconds());
      f.problems().forEach(p -> err.println("  FAILED " + p));
      err.println(f.passed() ? "chaos broker: PASSED" : "chaos broker: FAILED");
      System.out.println(json.writeValueAsString(out));
      return f.passed() ? 0 : 1;
    }
  }
}
