package io.ctrstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.KafkaAuthentication;
import io.ctrstream.schemas.Topics;
import io.ctrstream.streams.ScorerApp;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.trainer.replay.TopicSetup;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.errors.StreamsException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Proves that {@code serve}, {@code train} and {@code replay} work against a cluster that demands
 * a SASL/PLAIN login when their client properties file holds the right password, and that with a
 * wrong one each exits 1 within seconds, naming the failed authentication and the bootstrap
 * servers, instead of retrying; so does the scorer itself when Kafka Streams meets the refused
 * login (past the commands' login check). One in-process broker with a SASL_PLAINTEXT listener
 * serves every case; the topics are created beforehand on its PLAINTEXT listener.
 */
class SaslCommandsTest {

  private static final String PREFIX = "sasl.";
  private static final String USER = "ctr";
  private static final String PASSWORD = "ctr-secret";
  /** A refused login is answered at once; this bound only catches a retry loop. */
  private static final Duration FAST = Duration.ofSeconds(30);

  @TempDir static Path dir;

  private static EmbeddedKafka kafka;
  private static Path good;
  private static Path bad;

  @BeforeAll
  static void startBroker() throws Exception {
    kafka = EmbeddedKafka.builder().optSaslPlainUsers(Map.of(USER, PASSWORD)).start();
    try (Admin admin = Admin.create(kafka.clientConfig())) {
      TopicSetup.createMissing(
          admin,
          Topics.builder().optPrefix(PREFIX).optUserPartitions(1).build(),
          Optional.of((short) 1),
          Duration.ofSeconds(30));
    }
    good = clientProperties("good.properties", PASSWORD);
    bad = clientProperties("bad.properties", "not-the-password");

    Path data = Files.createDirectories(dir.resolve("data"));
    Files.writeString(data.resolve("u.user"), "1|24|M|technician|85711\n2|53|F|other|94043\n");
    String flags = "|0".repeat(19);
    Files.writeString(data.resolve("u.item"),
        "7|Seven (1995)|01-Jan-1995||" + flags + "\n8|Eight (1996)|01-Jan-1996||" + flags + "\n");
    Files.writeString(data.resolve("u.data"), "1\t7\t5\t880000000\n2\t8\t3\t880000100\n");
  }

  @AfterAll
  static void stopBroker() {
    if (kafka != null) {
      kafka.close();
    }
  }

  private static Path clientProperties(String name, String password) throws Exception {
    return Files.writeString(dir.resolve(name), String.join("\n",
        "security.protocol=SASL_PLAINTEXT",
        "sasl.mechanism=PLAIN",
        "sasl.jaas.config=org.apache.kafka.common.security.plain.PlainLoginModule required"
            + " username=\"" + USER + "\" password=\"" + password + "\";",
        ""));
  }

  private record Result(int exit, String out, String err, Duration took) {}

  private static Result run(String... args) {
    CommandLine cli = Ctr.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out, true));
    cli.setErr(new PrintWriter(err, true));
    long begin = System.nanoTime();
    int exit = cli.execute(args);
    return new Result(exit, out.toString(), err.toString(), Duration.ofNanos(System.nanoTime() - begin));
  }

  private static void assertRefusedFast(Result r, String command) {
    assertThat(r.exit()).as(r.err()).isEqualTo(1);
    assertThat(r.took()).as("%s took %s", command, r.took()).isLessThan(FAST);
    assertThat(r.err())
        .contains("ctr " + command + ": authentication to " + kafka.saslBootstrapServers() + " failed")
        .contains("Invalid username or password");
  }

  @Test
  void replayPublishesWithTheRightPasswordAndStopsAtOnceWithAWrongOne() throws Exception {
    String data = dir.resolve("data").toString();
    Result ok = run("replay", "--bootstrap-servers", kafka.saslBootstrapServers(),
        "--command-config", good.toString(), "--data", data, "--prefix", PREFIX,
        "--score-wait", "0", "--no-progress");
    assertThat(ok.exit()).as(ok.err()).isZero();
    JsonNode line = new ObjectMapper().readTree(ok.out());
    assertThat(line.get("users").asLong()).isEqualTo(2);
    assertThat(line.get("impressions").asLong()).isEqualTo(2);
    assertThat(line.get("ratings").asLong()).isEqualTo(2);
    assertThat(line.get("completed").asBoolean()).isTrue();

    assertRefusedFast(run("replay", "--bootstrap-servers", kafka.saslBootstrapServers(),
        "--command-config", bad.toString(), "--data", data, "--prefix", PREFIX,
        "--score-wait", "0", "--no-progress"), "replay");
    // with --create-topics too: the login is checked before the admin calls
    assertRefusedFast(run("replay", "--bootstrap-servers", kafka.saslBootstrapServers(),
        "--command-config", bad.toString(), "--data", data, "--prefix", PREFIX,
        "--create-topics", "--no-progress"), "replay");
  }

  @Test
  void trainReadsFeedbackWithTheRightPasswordAndStopsAtOnceWithAWrongOne() throws Exception {
    String reports = dir.resolve("reports").toString();
    // The smallest run that reaches Kafka: the feedback window is read (empty here), and the
    // run is refused for too few examples, exit 3.
    Result ok = run("train", "--once", "--bootstrap-servers", kafka.saslBootstrapServers(),
        "--command-config", good.toString(), "--prefix", PREFIX, "--reports", reports,
        "--no-progress");
    assertThat(ok.exit()).as(ok.err()).isEqualTo(3);
    JsonNode line = new ObjectMapper().readTree(ok.out());
    assertThat(line.get("decision").asText()).isEqualTo("refused");
    assertThat(line.get("reason").asText()).startsWith("too few examples: 0 usable");

    assertRefusedFast(run("train", "--once", "--bootstrap-servers", kafka.saslBootstrapServers(),
        "--command-config", bad.toString(), "--prefix", PREFIX, "--reports", reports,
        "--no-progress"), "train");
    // the periodic service does not start a cycle loop on a refused login either
    assertRefusedFast(run("train", "--every", "1m", "--bootstrap-servers",
        kafka.saslBootstrapServers(), "--command-config", bad.toString(), "--prefix", PREFIX,
        "--reports", reports, "--no-progress"), "train");
  }

  @Test
  void kafkaStreamsStopsOnARefusedLoginInsteadOfReplacingItsThreads() throws Exception {
    // past the command's login check: the scorer itself meets the wrong password
    ScorerConfig config = ScorerConfig.load(null, Map.of()).with(Map.of(
        "bootstrap.servers", kafka.saslBootstrapServers(),
        "kafka.properties", bad.toString(),
        "topic.prefix", PREFIX,
        "application.id", "sasl-scorer-streams",
        "state.dir", dir.resolve("streams-state").toString()));
    try (ScorerApp app = ScorerApp.builder().setConfig(config).optHttp(false)
        .optFollowReleases(false).build()) {
      // The global store's thread logs in first, inside start(), which then throws; a stream
      // thread that meets it later stops the client (uncaught-exception handler) instead.
      long begin = System.nanoTime();
      try {
        app.start();
        assertThat(app.awaitStop(FAST)).as("stopped within %s", FAST).isTrue();
        assertThat(app.streams().state()).isEqualTo(KafkaStreams.State.ERROR);
      } catch (StreamsException e) {
        assertThat(KafkaAuthentication.failure(e)).isPresent();
      }
      assertThat(Duration.ofNanos(System.nanoTime() - begin)).isLessThan(FAST);
      assertThat(app.failure()).hasValueSatisfying(m -> assertThat(m)
          .startsWith("authentication to " + kafka.saslBootstrapServers() + " failed"));
    }
  }

  @Test
  void serveGetsReadyWithTheRightPasswordAndStopsAtOnceWithAWrongOne() throws Exception {
    Path config = Files.writeString(dir.resolve("scorer.properties"),
        "state.dir=" + dir.resolve("state").toString().replace("\\", "/") + "\n");

    assertRefusedFast(run("serve", "--bootstrap-servers", kafka.saslBootstrapServers(),
        "--kafka-properties", bad.toString(), "--config", config.toString(),
        "--prefix", PREFIX, "--application-id", "sasl-scorer-bad", "--http-port", "0"), "serve");

    CommandLine cli = Ctr.commandLine();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(new StringWriter(), true));
    cli.setErr(new PrintWriter(err, true));
    ServeCommand serve = (ServeCommand) cli.getSubcommands().get("serve").getCommand();
    ExecutorService thread = Executors.newSingleThreadExecutor();
    try {
      Future<Integer> exit = thread.submit(() -> cli.execute("serve",
          "--bootstrap-servers", kafka.saslBootstrapServers(),
          "--kafka-properties", good.toString(), "--config", config.toString(),
          "--prefix", PREFIX, "--application-id", "sasl-scorer", "--http-port", "0"));
      Pattern http = Pattern.compile("HTTP on [^:\\s]+:(\\d+)");
      int port = await().atMost(Duration.ofSeconds(30)).until(() -> {
        assertThat(exit.isDone()).as(err.toString()).isFalse();
        Matcher m = http.matcher(err.toString());
        return m.find() ? Integer.parseInt(m.group(1)) : null;
      }, p -> p != null);

      HttpClient client = HttpClient.newHttpClient();
      HttpRequest ready = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/health/ready"))
          .timeout(Duration.ofSeconds(5)).build();
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(250)).untilAsserted(() -> {
        assertThat(exit.isDone()).as(err.toString()).isFalse();
        assertThat(client.send(ready, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      });

      serve.stop();
      assertThat(exit.get(60, TimeUnit.SECONDS)).as(err.toString()).isZero();
    } finally {
      serve.stop();
      thread.shutdownNow();
    }
  }
}
