package io.ctrstream.cli.chaos;

import io.ctrstream.cli.bench.BenchCluster;
import io.ctrstream.cli.chaos.ProcessChaosFlow.Committed;
import io.ctrstream.cli.chaos.ProcessChaosFlow.SeenScore;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Impression;
import io.ctrstream.schemas.Rating;
import io.ctrstream.schemas.Topics;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.RecordMetadata;

/**
 * {@code ./ctr chaos scale}: scale-out and fail-over with real processes. Two scorers ({@code ctr
 * serve} child processes, one application id, {@code standby.replicas} as asked) share the
 * partitions while impressions (and ratings) flow; one is killed for good with SIGKILL a third of
 * the way through; once the survivor holds every partition a third scorer starts, and the last
 * third of the impressions is sent only once the partitions are spread over the two again.
 * From the moment both first scorers answer 200 for a user of every partition, {@code GET
 * /users/{id}} is asked of every live instance for one user of each partition, several times a
 * second, by a client that does not follow redirects.
 *
 * <p>Figures: lost, duplicated and unexpected scores and the feedback checks of {@code chaos crash}
 * (read_committed); partitions per instance before the kill, after it and after the join (who
 * holds a partition: the instance that answers 200 for its user); fail-over time, from the last
 * score of the killed instance's partitions before the kill to the first after it ({@code
 * scoredAt}, the scorers' wall clock, same machine); and the users endpoint's answers.
 *
 * <p>What counts as an answer of {@code /users/{id}}: 200 (this instance holds the user), 307 to
 * the holder (counted apart when it points at the killed instance, which the group still names
 * until its session times out), and 503 while no instance can answer (no holder during a
 * rebalance, or the store is restoring): counted as {@code unavailable}, not a failure, since the
 * client is told to come back. A failure is anything else from a live instance: another status
 * (a 500, or a 404 for a user whose profile was published), a timeout, or a refused connection.
 */
public final class ScaleChaos {
  private static final String ID_PREFIX = "s";
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(1)).followRedirects(HttpClient.Redirect.NEVER).build();

  public record Options(int impressions, int standbyReplicas, int ratingsEvery, int users,
      int movies, double ratePerSecond, int partitions, long sessionTimeoutMs, Duration timeout,
      Duration settle, String bootstrapServers, Path kafkaProperties,
      Optional<Short> replicationFactor, Path workDir, Consumer<String> log) {
    public Options {
      Objects.requireNonNull(timeout, "timeout");
      Objects.requireNonNull(settle, "settle");
      Objects.requireNonNull(replicationFactor, "replicationFactor");
      Objects.requireNonNull(log, "log");
      if (impressions < 30) {
        throw new IllegalArgumentException("--impressions must be >= 30, got " + impressions);
      }
      if (standbyReplicas < 0) {
        throw new IllegalArgumentException("--standby-replicas must be >= 0, got " + standbyReplicas);
      }
      if (ratingsEvery < 0) {
        throw new IllegalArgumentException("--ratings-every must be >= 0, got " + ratingsEvery);
      }
      if (partitions < 2) {
        throw new IllegalArgumentException("--partitions must be >= 2 (two instances share them),"
            + " got " + partitions);
      }
      if (users < partitions * 3 || movies < 1) {
        throw new IllegalArgumentException("--users must be at least 3 x --partitions (a user on"
            + " every partition) and --movies >= 1");
      }
      if ((long) users * movies < impressions) {
        throw new IllegalArgumentException("--users x --movies must be at least --impressions");
      }
      if (!(ratePerSecond > 0)) {
        throw new IllegalArgumentException("--rate must be > 0, got " + ratePerSecond);
      }
      if (sessionTimeoutMs < 1000) {
        throw new IllegalArgumentException("--session-timeout-ms must be >= 1000");
      }
      if (bootstrapServers == null && (kafkaProperties != null || replicationFactor.isPresent())) {
        throw new IllegalArgumentException(
            "--kafka-properties and --replication-factor need --bootstrap-servers");
      }
    }
  }

  /** The answers of {@code /users/{id}}. */
  public record UsersEndpoint(long requests, long ok200, long redirects307, long redirectsToKilled,
      long unavailable503, long failures, List<String> failureSamples) {}

  public record Figures(boolean passed, int standbyReplicas, int impressions, int ratings,
      int notSent, long scored, long lost, long duplicated, long unexpected, long feedback,
      long feedbackLost, long feedbackDuplicated, long mismatched,
      Map<String, Integer> partitionsBefore, Map<String, Integer> partitionsAfterKill,
      Map<String, Integer> partitionsAfterJoin, List<Integer> movedPartitions, long failoverMs,
      long killToFirstScoreMs, long takeoverMs, long joinMs, UsersEndpoint users, double seconds,
      String broker, Path workDir, List<String> problems) {}

  private final Options o;

  public ScaleChaos(Options options) {
    this.o = options;
  }

  public Figures run() throws IOException, InterruptedException {
    long began = System.currentTimeMillis();
    Path work = o.workDir() != null ? Files.createDirectories(o.workDir())
        : Files.createTempDirectory("ctr-chaos-scale-");
    Figures f;
    try (BenchCluster kafka = o.bootstrapServers() == null
        ? BenchCluster.inProcess(EmbeddedKafka.builder(), "chaos-scale-")
        : BenchCluster.external("chaos-scale", o.bootstrapServers(), o.kafkaProperties(),
            o.replicationFactor())) {
      o.log().accept("broker: " + kafka.describe());
      Topics topics = Topics.builder().optPrefix(kafka.namePrefix())
          .optUserPartitions(o.partitions()).build();
      kafka.createTopics(topics);
      f = new Run(kafka, topics, work, began).run();
    }
    if (f.passed() && o.workDir() == null) {
      CrashChaos.deleteTree(work);
    }
    return f;
  }

  /** One run's state. */
  private final class Run {
    private final BenchCluster kafka;
    private final Topics topics;
    private final Path work;
    private final long began;
    private final List<String> problems = Collections.synchronizedList(new ArrayList<>());
    private final Map<ScorerProcess, Boolean> live = new ConcurrentHashMap<>();
    private final Set<Integer> killedPorts = ConcurrentHashMap.newKeySet();
    private final String[] probe;
    private final AtomicLong requests = new AtomicLong();
    private final AtomicLong ok200 = new AtomicLong();
    private final AtomicLong redirects = new AtomicLong();
    private final AtomicLong redirectsToKilled = new AtomicLong();
    private final AtomicLong unavailable = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final List<String> failureSamples = Collections.synchronizedList(new ArrayList<>());
    private volatile boolean polling = true;

    Run(BenchCluster kafka, Topics topics, Path work, long began) {
      this.kafka = kafka;
      this.topics = topics;
      this.work = work;
      this.began = began;
      probe = new String[o.partitions()];
      for (int u = 0; u < o.users(); u++) {
        int p = ProcessChaosFlow.partitionOf(ProcessChaosFlow.user(u), o.partitions());
        if (probe[p] == null) {
          probe[p] = ProcessChaosFlow.user(u);
        }
      }
    }

    Figures run() throws IOException, InterruptedException {
      for (int p = 0; p < probe.length; p++) {
        if (probe[p] == null) {
          problems.add("no user of the run lands on partition " + p + "; give more --users");
          return figures(null, Map.of(), Map.of(), Map.of(), List.of(), -1, -1, -1, -1, Map.of(),
              Map.of(), 0);
        }
      }
      Map<String, String> settings = new LinkedHashMap<>();
      settings.put("bootstrap.servers", kafka.bootstrapServers());
      settings.put("application.id", kafka.namePrefix() + "scorer");
      settings.put("topic.prefix", topics.prefix());
      settings.put("standby.replicas", Integer.toString(o.standbyReplicas()));
      ProcessChaosFlow.sessionTimeout(settings, o.sessionTimeoutMs());
      settings.put("kafka.properties",
          ProcessChaosFlow.clientProperties(work, o.kafkaProperties()).toString());
      Map<String, Impression> sent = new ConcurrentHashMap<>();
      Map<String, Rating> rated = new ConcurrentHashMap<>();
      Thread poller = null;
      try (KafkaProducer<byte[], byte[]> producer = ProcessChaosFlow.producer(kafka);
          Committed reader = new Committed(kafka.clientConfig(), topics);
          ScorerProcess a = new ScorerProcess("scorer-a", work, with(settings, "state-a"), o.partitions());
          ScorerProcess b = new ScorerProcess("scorer-b", work, with(settings, "state-b"), o.partitions());
          ScorerProcess c = new ScorerProcess("scorer-c", work, with(settings, "state-c"), o.partitions())) {
        ProcessChaosFlow.publishCatalog(producer, topics, o.users(), o.movies());
        o.log().accept("published " + o.users() + " users and " + o.movies() + " movies");
        a.start();
        b.start();
        o.log().accept("started scorer-a (pid " + a.pid() + ") and scorer-b (pid " + b.pid()
            + "), standby.replicas " + o.standbyReplicas());
        if (!ready(a) || !ready(b)) {
          return figures(reader, Map.of(), Map.of(), Map.of(), List.of(), -1, -1, -1, -1, sent,
              rated, 0);
        }
        Map<Integer, String> before = awaitLayout("both scorers hold partitions",
            h -> h.size() == o.partitions() && holds(h, a) && holds(h, b));
        if (before == null) {
          return figures(reader, Map.of(), Map.of(), Map.of(), List.of(), -1, -1, -1, -1, sent,
              rated, 0);
        }
        // Polling starts once every partition's user answers 200: before, a scorer that has not
        // read the users topic yet rightly answers 404 for a user it has not seen.
        poller = new Thread(this::poll, "chaos-users-poller");
        poller.setDaemon(true);
        poller.start();
        o.log().accept("partitions before: " + counts(before));

        // The sender: a steady stream; the last third waits until the third scorer took its share.
        CountDownLatch joined = new CountDownLatch(1);
        AtomicInteger sentCount = new AtomicInteger();
        List<Future<RecordMetadata>> futures = Collections.synchronizedList(new ArrayList<>());
        List<String> futureIds = Collections.synchronizedList(new ArrayList<>());
        Thread sender = new Thread(() -> send(producer, sent, rated, futures, futureIds, sentCount,
            joined), "chaos-sender");
        sender.setDaemon(true);
        sender.start();

        // Kill scorer-b for good a third of the way through, once scores flow.
        awaitCondition(() -> sentCount.get() >= o.impressions() / 3 && reader.scoreCount() > 0);
        Map<Integer, String> atKill = holders();
        List<Integer> moved = atKill.entrySet().stream().filter(e -> e.getValue().equals(b.name()))
            .map(Map.Entry::getKey).sorted().toList();
        if (moved.isEmpty()) {
          moved = before.entrySet().stream().filter(e -> e.getValue().equals(b.name()))
              .map(Map.Entry::getKey).sorted().toList();
        }
        live.remove(b);
        killedPorts.add(b.httpPort());
        long killAt = System.currentTimeMillis();
        b.kill();
        o.log().accept("SIGKILL to scorer-b (pid " + b.pid() + ") after " + sentCount.get()
            + " impressions; its partitions " + moved + " must move to scorer-a");

        Map<Integer, String> afterKill = awaitLayout("scorer-a holds every partition",
            h -> h.size() == o.partitions() && h.values().stream().allMatch(a.name()::equals));
        long takeoverMs = System.currentTimeMillis() - killAt;
        if (afterKill == null) {
          joined.countDown();
          sender.join();
          return finish(reader, producer, sent, rated, futures, futureIds, before, Map.of(),
              Map.of(), moved, killAt, takeoverMs, -1);
        }
        o.log().accept("scorer-a took every partition " + takeoverMs + " ms after the kill");

        long joinStart = System.currentTimeMillis();
        c.start();
        o.log().accept("started scorer-c (pid " + c.pid() + ")");
        Map<Integer, String> afterJoin = null;
        if (ready(c)) {
          afterJoin = awaitLayout("scorer-a and scorer-c share the partitions",
              h -> h.size() == o.partitions() && holds(h, a) && holds(h, c));
        }
        long joinMs = System.currentTimeMillis() - joinStart;
        if (afterJoin != null) {
          o.log().accept("partitions after scorer-c joined (" + joinMs + " ms): " + counts(afterJoin));
        }
        joined.countDown();
        sender.join();
        return finish(reader, producer, sent, rated, futures, futureIds, before, afterKill,
            afterJoin == null ? Map.of() : afterJoin, moved, killAt, takeoverMs, joinMs);
      } catch (ExecutionException e) {
        problems.add("could not publish users and movies: " + e.getCause());
        return figures(null, Map.of(), Map.of(), Map.of(), List.of(), -1, -1, -1, -1, sent, rated, 0);
      } finally {
        polling = false;
        if (poller != null) {
          poller.join(5_000);
        }
      }
    }

    private Figures finish(Committed reader, KafkaProducer<byte[], byte[]> producer,
        Map<String, Impression> sent, Map<String, Rating> rated, List<Future<RecordMetadata>> futures,
        List<String> futureIds, Map<Integer, String> before, Map<Integer, String> afterKill,
        Map<Integer, String> afterJoin, List<Integer> moved, long killAt, long takeoverMs,
        long joinMs) throws InterruptedException {
      producer.flush();
      int notSent = 0;
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
        }
      }
      o.log().accept("sent " + sent.size() + " impressions and " + rated.size()
          + " ratings; waiting for their scores and feedback");
      long deadline = System.nanoTime() + o.timeout().toNanos();
      while (System.nanoTime() < deadline
          && (ProcessChaosFlow.scored(reader, sent.keySet()) < sent.size()
              || reader.feedbackCount() < rated.size())) {
        Thread.sleep(200);
      }
      Thread.sleep(o.settle().toMillis());
      polling = false;
      long lastBefore = Long.MIN_VALUE;
      long firstAfter = Long.MAX_VALUE;
      Set<Integer> movedSet = Set.copyOf(moved);
      for (SeenScore s : reader.scores()) {
        if (!movedSet.contains(ProcessChaosFlow.partitionOf(s.score().userId(), o.partitions()))) {
          continue;
        }
        long t = s.score().scoredAt();
        if (t <= killAt) {
          lastBefore = Math.max(lastBefore, t);
        } else {
          firstAfter = Math.min(firstAfter, t);
        }
      }
      long failover = lastBefore == Long.MIN_VALUE || firstAfter == Long.MAX_VALUE ? -1
          : firstAfter - lastBefore;
      long killToFirst = firstAfter == Long.MAX_VALUE ? -1 : firstAfter - killAt;
      if (failover < 0) {
        problems.add("no fail-over time: no score of the moved partitions " + moved
            + (lastBefore == Long.MIN_VALUE ? " before" : " after") + " the kill");
      }
      if (notSent > 0) {
        problems.add(notSent + " records could not be sent (the broker refused them)");
      }
      return figures(reader, counts(before), counts(afterKill), counts(afterJoin), moved, failover,
          killToFirst, takeoverMs, joinMs, sent, rated, notSent);
    }

    private Figures figures(Committed reader, Map<String, Integer> before,
        Map<String, Integer> afterKill, Map<String, Integer> afterJoin, List<Integer> moved,
        long failover, long killToFirst, long takeoverMs, long joinMs, Map<String, Impression> sent,
        Map<String, Rating> rated, int notSent) {
      ProcessChaosFlow.Tally t = reader == null
          ? new ProcessChaosFlow.Tally(0, 0, 0, 0, 0, 0, 0, 0, 0)
          : ProcessChaosFlow.tally(reader, sent, rated, problems);
      if (failures.get() > 0) {
        problems.add(failures.get() + " answers of /users/{id} from live instances were failures,"
            + " e.g. " + failureSamples);
      }
      UsersEndpoint users = new UsersEndpoint(requests.get(), ok200.get(), redirects.get(),
          redirectsToKilled.get(), unavailable.get(), failures.get(), List.copyOf(failureSamples));
      return new Figures(problems.isEmpty(), o.standbyReplicas(), sent.size(), rated.size(), notSent,
          t.scored(), t.lost(), t.duplicated(), t.unexpected(), t.feedback(), t.feedbackLost(),
          t.feedbackDuplicated(), t.mismatched(), before, afterKill, afterJoin, moved, failover,
          killToFirst, takeoverMs, joinMs, users, (System.currentTimeMillis() - began) / 1000.0,
          kafka.inProcess() ? "in-process" : kafka.bootstrapServers(), work, List.copyOf(problems));
    }

    private Map<String, String> with(Map<String, String> settings, String stateDir) {
      Map<String, String> s = new LinkedHashMap<>(settings);
      s.put("state.dir", work.resolve(stateDir).toString());
      return s;
    }

    private boolean ready(ScorerProcess p) throws InterruptedException {
      if (p.awaitReady(o.timeout())) {
        live.put(p, true);
        o.log().accept(p.name() + " is ready (HTTP " + p.endpoint() + ")");
        return true;
      }
      problems.add(p.name() + " did not become ready within " + o.timeout().toSeconds() + " s (log "
          + p.log() + "):\n" + p.logTail(20));
      return false;
    }

    private void send(KafkaProducer<byte[], byte[]> producer, Map<String, Impression> sent,
        Map<String, Rating> rated, List<Future<RecordMetadata>> futures, List<String> futureIds,
        AtomicInteger sentCount, CountDownLatch joined) {
      try {
        double nanosPer = 1e9 / o.ratePerSecond();
        int gate = o.impressions() * 2 / 3;
        long start = System.nanoTime();
        int progressEvery = Math.max(1, o.impressions() / 10);
        for (int k = 0; k < o.impressions(); k++) {
          if (k == gate) {
            producer.flush();
            joined.await();
            start = System.nanoTime() - (long) (k * nanosPer);
          }
          long wait = start + (long) (k * nanosPer) - System.nanoTime();
          if (wait > 0) {
            Thread.sleep(wait / 1_000_000, (int) (wait % 1_000_000));
          }
          Impression i = ProcessChaosFlow.impression(ID_PREFIX, k, o.users(), o.movies(),
              System.currentTimeMillis());
          sent.put(i.impressionId(), i);
          futures.add(ProcessChaosFlow.send(producer, topics.impressions(), i.userId(), i,
              i.timestamp()));
          futureIds.add(i.impressionId());
          if (o.ratingsEvery() > 0 && k % o.ratingsEvery() == 0) {
            Rating r = ProcessChaosFlow.rating(i, k);
            rated.put(i.impressionId(), r);
            futures.add(ProcessChaosFlow.send(producer, topics.ratings(), r.userId(), r,
                r.timestamp()));
            futureIds.add("rating:" + i.impressionId());
          }
          sentCount.set(k + 1);
          if ((k + 1) % progressEvery == 0) {
            o.log().accept("sent " + (k + 1) + " of " + o.impressions() + " impressions");
          }
        }
        producer.flush();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } catch (RuntimeException e) {
        problems.add("the sender failed: " + e);
      }
    }

    /** Asks every live instance for one user of each partition, until told to stop. */
    private void poll() {
      while (polling) {
        for (ScorerProcess p : List.copyOf(live.keySet())) {
          for (String user : probe) {
            if (!polling || !live.containsKey(p)) {
              break;
            }
            ask(p, user);
          }
        }
        try {
          Thread.sleep(250);
        } catch (InterruptedException e) {
          return;
        }
      }
    }

    private void ask(ScorerProcess p, String user) {
      requests.incrementAndGet();
      int status;
      String location;
      try {
        HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(
                URI.create("http://" + p.endpoint() + "/users/" + user))
            .timeout(Duration.ofSeconds(3)).GET().build(), HttpResponse.BodyHandlers.discarding());
        status = r.statusCode();
        location = r.headers().firstValue("Location").orElse("");
      } catch (IOException e) {
        if (live.containsKey(p)) {
          fail(p.name() + " /users/" + user + ": " + e);
        } else {
          requests.decrementAndGet(); // killed meanwhile: not a live instance's answer
        }
        return;
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      switch (status) {
        case 200 -> ok200.incrementAndGet();
        case 307 -> {
          redirects.incrementAndGet();
          int port = URI.create(location).getPort();
          if (killedPorts.contains(port)) {
            redirectsToKilled.incrementAndGet();
          }
        }
        case 503 -> unavailable.incrementAndGet();
        default -> fail(p.name() + " /users/" + user + ": HTTP " + status);
      }
    }

    private void fail(String what) {
      failures.incrementAndGet();
      if (failureSamples.size() < 5) {
        failureSamples.add(what);
      }
    }

    /** Partition to holder: the live instance that answers 200 for the partition's user. */
    private Map<Integer, String> holders() throws InterruptedException {
      Map<Integer, String> h = new TreeMap<>();
      for (ScorerProcess p : List.copyOf(live.keySet())) {
        for (int part = 0; part < probe.length; part++) {
          if (status(p, probe[part]) == 200) {
            h.merge(part, p.name(), (x, y) -> x + "+" + y);
          }
        }
      }
      return h;
    }

    private int status(ScorerProcess p, String user) throws InterruptedException {
      return p.get("/users/" + user);
    }

    private boolean holds(Map<Integer, String> h, ScorerProcess p) {
      return h.containsValue(p.name());
    }

    /** Waits until the layout satisfies {@code ok} (and again 500 ms later); null on timeout. */
    private Map<Integer, String> awaitLayout(String what, Predicate<Map<Integer, String>> ok)
        throws InterruptedException {
      long deadline = System.nanoTime() + o.timeout().toNanos();
      while (System.nanoTime() < deadline) {
        Map<Integer, String> h = holders();
        if (ok.test(h)) {
          Thread.sleep(500);
          Map<Integer, String> again = holders();
          if (ok.test(again)) {
            return again;
          }
        }
        Thread.sleep(300);
      }
      problems.add("timed out waiting until " + what + "; last layout " + holders());
      return null;
    }

    private void awaitCondition(java.util.function.BooleanSupplier condition)
        throws InterruptedException {
      long deadline = System.nanoTime() + o.timeout().toNanos();
      while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
        Thread.sleep(100);
      }
    }

    private Map<String, Integer> counts(Map<Integer, String> layout) {
      Map<String, Integer> c = new TreeMap<>();
      layout.values().forEach(name -> c.merge(name, 1, Integer::sum));
      return c;
    }
  }
}
