package io.ctrstream.cli.chaos;

import io.ctrstream.cli.bench.BenchCluster;
import io.ctrstream.cli.chaos.ProcessChaosFlow.Committed;
import io.ctrstream.cli.chaos.ProcessChaosFlow.SeenScore;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.Rating;
import io.ctrstream.schemas.Topics;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * {@code ./ctr chaos crash}: a scorer ({@code ctr serve}, a child process) is killed with SIGKILL
 * {@code kills} times while {@code impressions} impressions (and a rating for every
 * {@code ratingsEvery}-th) are published at a steady rate, and restarted each time at once on the
 * same state directory. At the end scores and feedback are read read_committed and counted:
 *
 * <ul>
 *   <li>lost: an impression sent with no score;
 *   <li>duplicated: an impression with more than one score;
 *   <li>unexpected: a score of an impression never sent;
 *   <li>feedback: one record per rating sent, none lost or duplicated, each of source {@code
 *       impression} and carrying the score ({@code servedScore}, {@code modelVersion}) that was
 *       published for its impression; any other is mismatched.
 * </ul>
 *
 * <p>Each kill waits until the current scorer is ready and has committed scores of its own (a
 * third of the impressions between two kills, at most 50), so every kill hits a scorer at work,
 * often with a transaction open: {@code aborted_scores} counts the score records of aborted
 * transactions (read_uncommitted minus read_committed). The scorer serves the prior (no model is
 * released), so every score is the same number: the feedback check compares it all the same, and
 * the counts are the point.
 */
public final class CrashChaos {
  private static final String ID_PREFIX = "c";

  /**
   * @param impressions impressions to publish
   * @param kills SIGKILLs of the scorer during the run
   * @param ratingsEvery a rating follows every n-th impression (0: none)
   * @param ratePerSecond impressions published per second
   * @param sessionTimeoutMs the scorer's consumer session timeout
   * @param timeout longest wait for a scorer to become ready, and for the last scores
   * @param settle how long to read on once everything expected arrived
   * @param bootstrapServers a running cluster; null: a broker started in this process
   * @param workDir where state, config and logs go; null: a temporary directory, deleted when the
   *     run passed
   * @param log progress lines
   */
  public record Options(int impressions, int kills, int ratingsEvery, int users, int movies,
      double ratePerSecond, int partitions, long sessionTimeoutMs, Duration timeout,
      Duration settle, long seed, String bootstrapServers, Path kafkaProperties,
      Optional<Short> replicationFactor, Path workDir, Consumer<String> log) {
    public Options {
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(settle, "settle");
      Objects.requireNonNull(replicationFactor, "replicationFactor");
      Objects.requireNonNull(log, "log");
      if (impressions < 1) {
        throw new IllegalArgumentException("--impressions must be >= 1, got " + impressions);
      }
      if (kills < 0 || kills >= impressions) {
        throw new IllegalArgumentException("--kills must be in [0, impressions), got " + kills);
      }
      if (ratingsEvery < 0) {
        throw new IllegalArgumentException("--ratings-every must be >= 0, got " + ratingsEvery);
      }
      if (users < 1 || movies < 1) {
        throw new IllegalArgumentException("--users and --movies must be >= 1");
      }
      if ((long) users * movies < impressions) {
        throw new IllegalArgumentException("--users x --movies must be at least --impressions"
            + " (no user is shown a movie twice), got " + users + " x " + movies);
      }
      if (!(ratePerSecond > 0)) {
        throw new IllegalArgumentException("--rate must be > 0, got " + ratePerSecond);
      }
      if (partitions < 1) {
        throw new IllegalArgumentException("--partitions must be >= 1, got " + partitions);
      }
      if (sessionTimeoutMs < 1000) {
        throw new IllegalArgumentException("--session-timeout-ms must be >= 1000, got "
            + sessionTimeoutMs);
      }
      if (bootstrapServers == null && (kafkaProperties != null || replicationFactor.isPresent())) {
        throw new IllegalArgumentException(
            "--kafka-properties and --replication-factor need --bootstrap-servers");
      }
    }
  }

  /** One kill: when (ms after the run began), how many impressions were sent by then, and how
   * long until the restarted scorer's first score was visible (-1: never). */
  public record Kill(long atMs, int sent, long pid, long firstScoreAfterMs) {}

  public record Figures(boolean passed, int impressions, int ratings, int notSent, int kills,
      List<Kill> killList, long scores, long scored, long lost, long duplicated, long unexpected,
      long feedback, long feedbackLost, long feedbackDuplicated, long mismatched,
      long abortedScores, double seconds, String broker, Path workDir, List<String> problems) {}

  private final Options o;

  public CrashChaos(Options options) {
    this.o = options;
  }

  public Figures run() throws IOException, InterruptedException {
    long began = System.currentTimeMillis();
    Path work = o.workDir() != null ? Files.createDirectories(o.workDir())
        : Files.createTempDirectory("ctr-chaos-crash-");
    Figures f;
    try (BenchCluster kafka = o.bootstrapServers() == null
        ? BenchCluster.inProcess(EmbeddedKafka.builder(), "chaos-crash-")
        : BenchCluster.external("chaos-crash", o.bootstrapServers(), o.kafkaProperties(),
            o.replicationFactor())) {
      o.log().accept("broker: " + kafka.describe());
      Topics topics = Topics.builder().optPrefix(kafka.namePrefix())
          .optUserPartitions(o.partitions()).build();
      kafka.createTopics(topics);
      f = runOn(kafka, topics, work, began);
    }
    if (f.passed() && o.workDir() == null) {
      deleteTree(work);
    }
    return f;
  }

  private Figures runOn(BenchCluster kafka, Topics topics, Path work, long began)
      throws IOException, InterruptedException {
    Map<String, String> settings = new LinkedHashMap<>();
    settings.put("bootstrap.servers", kafka.bootstrapServers());
    settings.put("application.id", kafka.namePrefix() + "scorer");
    settings.put("topic.prefix", topics.prefix());
    settings.put("state.dir", work.resolve("state").toString());
    ProcessChaosFlow.sessionTimeout(settings, o.sessionTimeoutMs());
    // Static membership: the restarted scorer takes its partitions back at once instead of
    // waiting for the killed one's session to time out.
    settings.put("instance.id", "chaos-crash-scorer");
    settings.put("kafka.properties",
        ProcessChaosFlow.clientProperties(work, o.kafkaProperties()).toString());
    List<String> problems = new ArrayList<>();
    List<Kill> kills = new ArrayList<>();
    Map<String, Impression> sent = new LinkedHashMap<>();
    Map<String, Rating> rated = new LinkedHashMap<>();
    int notSent = 0;
    List<Long> killAt = new ArrayList<>();
    List<Integer> killSent = new ArrayList<>();
    List<Long> killPid = new ArrayList<>();
    try (KafkaProducer<byte[], byte[]> producer = ProcessChaosFlow.producer(kafka);
        Committed reader = new Committed(kafka.clientConfig(), topics);
        ScorerProcess scorer = new ScorerProcess("scorer", work, settings, o.partitions())) {
      ProcessChaosFlow.publishCatalog(producer, topics, o.users(), o.movies());
      o.log().accept("published " + o.users() + " users and " + o.movies() + " movies");
      scorer.start();
      o.log().accept("started the scorer (pid " + scorer.pid() + "), waiting until ready");
      if (!scorer.awaitReady(o.timeout())) {
        problems.add("the scorer did not become ready within " + o.timeout().toSeconds() + " s (log "
            + scorer.log() + "):\n" + scorer.logTail(20));
        return figures(kafka, topics, reader, began, work, sent, rated, 0, kills, problems);
      }
      // Kill points spread over the run: about k/(kills+1) of the way, give or take a sixth of
      // a segment.
      Random random = new Random(o.seed());
      int[] killPoints = new int[o.kills()];
      int segment = o.impressions() / (o.kills() + 1);
      for (int k = 0; k < o.kills(); k++) {
        int jitter = segment < 6 ? 0 : random.nextInt(segment / 3) - segment / 6;
        killPoints[k] = Math.max(1, Math.min(o.impressions() - 1, segment * (k + 1) + jitter));
      }
      int nextKill = 0;
      int scoresAtStart = 0;
      List<Future<RecordMetadata>> futures = new ArrayList<>();
      List<String> futureIds = new ArrayList<>();
      long sendStart = System.nanoTime();
      double nanosPer = 1e9 / o.ratePerSecond();
      int progressEvery = Math.max(1, o.impressions() / 10);
      for (int k = 0; k < o.impressions(); k++) {
        long due = sendStart + (long) (k * nanosPer);
        long wait = due - System.nanoTime();
        if (wait > 0) {
          Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
        }
        Impression i = ProcessChaosFlow.impression(ID_PREFIX, k, o.users(), o.movies(),
            System.currentTimeMillis());
        futures.add(ProcessChaosFlow.send(producer, topics.impressions(), i.userId(), i,
            i.timestamp()));
        futureIds.add(i.impressionId());
        sent.put(i.impressionId(), i);
        if (o.ratingsEvery() > 0 && k % o.ratingsEvery() == 0) {
          Rating r = ProcessChaosFlow.rating(i, k);
          futures.add(ProcessChaosFlow.send(producer, topics.ratings(), r.userId(), r,
              r.timestamp()));
          futureIds.add("rating:" + i.impressionId());
          rated.put(i.impressionId(), r);
        }
        if ((k + 1) % progressEvery == 0) {
          o.log().accept(String.format(java.util.Locale.ROOT,
              "sent %d of %d impressions; %d scores committed", k + 1, o.impressions(),
              reader.scoreCount()));
        }
        if (nextKill < killPoints.length && k + 1 >= killPoints[nextKill]) {
          producer.flush();
          // Kill a scorer at work: ready, and with committed scores of its own since it started
          // (a third of a segment, at most 50), so that it is scoring a stream, not starting.
          int atWork = Math.max(1, Math.min(50, segment / 3));
          long deadline = System.nanoTime() + o.timeout().toNanos();
          while ((!scorer.alive() || scorer.get("/health/ready") != 200
              || reader.scoreCount() < scoresAtStart + atWork) && System.nanoTime() < deadline) {
            Thread.sleep(50);
          }
          if (!scorer.alive()) {
            problems.add("the scorer died on its own before kill " + (nextKill + 1) + " (log "
                + scorer.log() + "):\n" + scorer.logTail(20));
            break;
          }
          long pid = scorer.pid();
          long at = System.currentTimeMillis();
          scorer.kill();
          killAt.add(at);
          killSent.add(k + 1);
          killPid.add(pid);
          o.log().accept("kill " + (nextKill + 1) + " of " + o.kills() + ": SIGKILL to pid " + pid
              + " after " + (k + 1) + " impressions; restarting on the same state directory");
          scoresAtStart = reader.scoreCount();
          scorer.start();
          nextKill++;
        }
      }
      producer.flush();
      for (int n = 0; n < futures.size(); n++) {
        try {
          futures.get(n).get();
        } catch (ExecutionException e) {
          notSent++;
          String id = futureIds.get(n);
          if (id.startsWith("rating:")) {
            rated.remove(id.substring("rating:".length()));
          } else {
            sent.remove(id);
            rated.remove(id);
          }
          o.log().accept("not sent: " + id + ": " + e.getCause());
        }
      }
      if (nextKill < o.kills() && problems.isEmpty()) {
        problems.add("only " + nextKill + " of " + o.kills() + " kills were made");
      }
      o.log().accept("sent " + sent.size() + " impressions and " + rated.size()
          + " ratings; waiting for their scores and feedback");
      long deadline = System.nanoTime() + o.timeout().toNanos();
      while (System.nanoTime() < deadline && scorer.alive()
          && (ProcessChaosFlow.scored(reader, sent.keySet()) < sent.size() || reader.feedbackCount() < rated.size())) {
        Thread.sleep(200);
      }
      if (!scorer.alive()) {
        problems.add("the scorer ended on its own (log " + scorer.log() + "):\n" + scorer.logTail(20));
      }
      Thread.sleep(o.settle().toMillis());
      for (int n = 0; n < killAt.size(); n++) {
        long at = killAt.get(n);
        long first = reader.scores().stream().mapToLong(SeenScore::seenAt).filter(t -> t > at)
            .min().orElse(-1);
        kills.add(new Kill(at - began, killSent.get(n), killPid.get(n),
            first < 0 ? -1 : first - at));
      }
      return figures(kafka, topics, reader, began, work, sent, rated, notSent, kills, problems);
    } catch (ExecutionException e) {
      problems.add("could not publish users and movies: " + e.getCause());
      return new Figures(false, o.impressions(), 0, 0, 0, kills, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
          (System.currentTimeMillis() - began) / 1000.0, broker(kafka), work, problems);
    }
  }

  private Figures figures(BenchCluster kafka, Topics topics, Committed reader, long began,
      Path work, Map<String, Impression> sent, Map<String, Rating> rated, int notSent,
      List<Kill> kills, List<String> problems) {
    ProcessChaosFlow.Tally t = ProcessChaosFlow.tally(reader, sent, rated, problems);
    long aborted = Math.max(0,
        ProcessChaosFlow.uncommittedCount(kafka.clientConfig(), topics.scores()) - t.scores());
    if (notSent > 0) {
      problems.add(notSent + " records could not be sent (the broker refused them)");
    }
    return new Figures(problems.isEmpty(), sent.size(), rated.size(), notSent, kills.size(), kills,
        t.scores(), t.scored(), t.lost(), t.duplicated(), t.unexpected(), t.feedback(),
        t.feedbackLost(), t.feedbackDuplicated(), t.mismatched(), aborted,
        (System.currentTimeMillis() - began) / 1000.0, broker(kafka), work, List.copyOf(problems));
  }

  private static String broker(BenchCluster kafka) {
    return kafka.inProcess() ? "in-process" : kafka.bootstrapServers();
  }

  static void deleteTree(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      s.sorted(Comparator.reverseOrder()).forEach(p -> {
        try {
          Files.deleteIfExists(p);
        } catch (IOException e) {
          // a leftover temporary file is harmless
        }
      });
    } catch (IOException e) {
      // same
    }
  }
}
