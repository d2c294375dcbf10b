package io.ctrstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstream.cli.chaos.ChaosModels;
import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.features.FeatureEncoder;
import io.ctrstream.dien.train.TrainOptions;
import io.ctrstream.kafka.EmbeddedKafka;
import io.ctrstream.schemas.Feedback;
import io.ctrstream.schemas.Profile;
import io.ctrstream.schemas.Topics;
import io.ctrstream.streams.ScorerApp;
import io.ctrstream.streams.config.ScorerConfig;
import io.ctrstream.trainer.service.RetrainConfig;
import io.ctrstream.trainer.service.RetrainService;
import io.ctrstream.trainer.service.RunResult;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * {@code ctr release} against a real broker and a scorer in this process: two published bundles,
 * the scorer follows the second; {@code rollback} swaps it back to the first within seconds and
 * {@code GET /model} says so; {@code pin} keeps a trainer run from releasing ({@code pinned}) and
 * {@code unpin} lets the next run release, which the scorer then serves; {@code list} and {@code
 * show} print JSON; a bad bundle, a bundle of another model and an unknown version are refused
 * with exit 1.
 */
class ReleaseCommandTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path work;

  private record Run(int rc, String out, String err) {
    JsonNode json() throws Exception {
      return JSON.readTree(out);
    }
  }

  @Test
  void rollbackSwapsTheScorersBackAndAPinHoldsOffTheTrainer() throws Exception {
    for (String name : List.of("org.apache.kafka", "kafka", "state.change.logger")) {
      ((ch.qos.logback.classic.Logger) LoggerFactory.getLogger(name)).setLevel(Level.WARN);
    }
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().start()) {
      Topics topics = Topics.withPrefix("rel.");
      kafka.createTopics(topics.newTopics((short) 1));
      String[] common = {"--bootstrap-servers", kafka.bootstrapServers(), "--prefix", "rel."};

      long t0 = System.currentTimeMillis();
      FeatureEncoder encoder = ChaosModels.encoder(20, 30);
      Path v1 = write("rel-1.bundle", ChaosModels.bundle(encoder, "rel-1", 1, t0 - 60_000));
      Path v2 = write("rel-2.bundle", ChaosModels.bundle(encoder, "rel-2", 2, t0 - 30_000));

      // refused: not a bundle, no such file, unknown version, nothing to roll back to
      Path bad = work.resolve("bad.bundle");
      Files.write(bad, new byte[] {1, 2, 3, 4, 5});
      Run refused = release(common, "publish", bad.toString());
      assertThat(refused.rc()).as(refused.err()).isEqualTo(1);
      assertThat(refused.err()).contains("refused (corrupt)");
      assertThat(release(common, "publish", work.resolve("missing").toString()).rc()).isEqualTo(1);
      assertThat(release(common, "rollback").rc()).isEqualTo(1);

      Run first = release(common, "publish", v1.toString());
      assertThat(first.rc()).as(first.err()).isZero();
      assertThat(first.json().get("version").asText()).isEqualTo("rel-1");
      Run second = release(common, "publish", v2.toString());
      assertThat(second.rc()).as(second.err()).isZero();
      assertThat(second.json().get("previous").asText()).isEqualTo("rel-1");

      Map<String, String> settings = new HashMap<>(Map.of(
          "bootstrap.servers", kafka.bootstrapServers(),
          "application.id", "rel-scorer",
          "topic.prefix", "rel.",
          "state.dir", work.resolve("state").toString(),
          "http.port", "0"));
      try (ScorerApp app = ScorerApp.builder().setConfig(ScorerConfig.fromMap(settings))
          .optFollowReleases(true).build()) {
        app.start();
        await().atMost(60, TimeUnit.SECONDS).until(() -> "rel-2".equals(app.modelVersion()));
        int port = app.httpPort().orElseThrow();

        Run list = release(common, "list");
        assertThat(list.rc()).as(list.err()).isZero();
        JsonNode l = list.json();
        assertThat(l.get("live").asText()).isEqualTo("rel-2");
        assertThat(l.get("releases")).hasSize(2);
        assertThat(l.get("releases").get(1).get("parent").asText()).isEqualTo("rel-1");

        Run show = release(common, "show", "rel-1");
        assertThat(show.rc()).as(show.err()).isZero();
        assertThat(show.json().get("live").asBoolean()).isFalse();
        assertThat(show.json().get("manifest").get("version").asText()).isEqualTo("rel-1");
        assertThat(release(common, "show", "rel-9").rc()).isEqualTo(1);

        // rollback: to the live release's parent; every scorer swaps within seconds
        long before = System.nanoTime();
        Run back = release(common, "rollback");
        assertThat(back.rc()).as(back.err()).isZero();
        assertThat(back.json().get("version").asText()).isEqualTo("rel-1");
        await().atMost(15, TimeUnit.SECONDS).until(() -> "rel-1".equals(app.modelVersion()));
        double swapSeconds = (System.nanoTime() - before) / 1e9;
        assertThat(swapSeconds).isLessThan(15);
        JsonNode model = getModel(port);
        assertThat(model.get("version").asText()).isEqualTo("rel-1");
        assertThat(model.get("release").get("version").asText()).isEqualTo("rel-1");
        assertThat(model.get("release").get("pinned").asBoolean()).isFalse();
        assertThat(model.get("release").get("ageSeconds").asLong()).isBetween(0L, 60L);

        Run pin = release(common, "pin");
        assertThat(pin.rc()).as(pin.err()).isZero();
        assertThat(pin.json().get("pinned").asBoolean()).isTrue();
        await().atMost(15, TimeUnit.SECONDS).until(() -> getModel(port).get("release").get("pinned").asBoolean());
        assertThat(release(common, "list").json().get("pinned").asBoolean()).isTrue();

        // the trainer trains and passes the gate but does not replace a pinned model
        produceFeedback(kafka, topics, 300);
        RetrainService trainer = RetrainService.builder().setConfig(RetrainConfig.builder()
            .setBootstrapServers(kafka.bootstrapServers())
            .optTopics(topics)
            .optMinExamples(100)
            .optReportsDir(work.resolve("reports"))
            .optTrainOptions(TrainOptions.builder().optBatchSize(64).optLearningRate(0.01).optSeed(3).build())
            .optMaxEpochs(1)
            .optPatience(1)
            .optTolerance(1.0)
            .optLogLossTolerance(100.0)
            .optFullRetrainEvery(1)
            .optTimeout(Duration.ofSeconds(20))
            .build()).build();
        RunResult held = trainer.runOnce();
        assertThat(held.decision()).as(held.reason()).isEqualTo(RunResult.Decision.PINNED);
        assertThat(held.liveVersion()).isEqualTo("rel-1");
        assertThat(held.reason()).contains("pinned");
        // and the scorers keep serving it
        await().during(Duration.ofSeconds(1)).atMost(Duration.ofSeconds(5))
            .until(() -> app.modelVersion().equals("rel-1"));
        assertThat(release(common, "list").json().get("live").asText()).isEqualTo("rel-1");

        Run unpin = release(common, "unpin");
        assertThat(unpin.rc()).as(unpin.err()).isZero();
        assertThat(unpin.json().get("pinned").asBoolean()).isFalse();
        RunResult released = trainer.runOnce();
        assertThat(released.decision()).as(released.reason()).isEqualTo(RunResult.Decision.RELEASED);
        assertThat(released.liveVersion()).isEqualTo("rel-1");
        await().atMost(30, TimeUnit.SECONDS).until(() -> released.version().equals(app.modelVersion()));
        JsonNode after = release(common, "list").json();
        assertThat(after.get("live").asText()).isEqualTo(released.version());
        assertThat(after.get("releases")).hasSize(3);

        // a bundle of another model is refused
        Run other = release(new String[] {"--bootstrap-servers", kafka.bootstrapServers(), "--prefix", "rel.",
            "--model-name", "other"}, "publish", v1.toString());
        assertThat(other.rc()).isEqualTo(1);
        assertThat(other.err()).contains("not other");
      }
    }
  }

  private Path write(String name, ModelBundle bundle) throws Exception {
    Path p = work.resolve(name);
    Files.write(p, bundle.toBytes());
    return p;
  }

  private static JsonNode getModel(int port) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/model")).build(),
        HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private static Run release(String[] common, String sub, String... args) {
    List<String> argv = new ArrayList<>(List.of("release", sub));
    argv.addAll(List.of(common));
    argv.addAll(List.of(args));
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    picocli.CommandLine cmd = Ctr.commandLine();
    cmd.setOut(new PrintWriter(out, true));
    cmd.setErr(new PrintWriter(err, true));
    int rc = cmd.execute(argv.toArray(String[]::new));
    return new Run(rc, out.toString(), err.toString());
  }

  /** Organic feedback a model can learn: movies m0..m9 liked, m10..m19 not. */
  private static void produceFeedback(EmbeddedKafka kafka, Topics topics, int n) throws Exception {
    Map<String, Object> c = new HashMap<>(kafka.clientConfig());
    c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
    c.put(ProducerConfig.MAX_IN_FLIGHT_REQUESTS_PER_CONNECTION, 1);
    c.put(ProducerConfig.ACKS_CONFIG, "all");
    Random r = new Random(11);
    long t0 = System.currentTimeMillis() - n * 60_000L;
    try (KafkaProducer<String, Feedback> producer =
        new KafkaProducer<>(c, new StringSerializer(), topics.feedback().valueSerde().serializer())) {
      for (int i = 0; i < n; i++) {
        int movie = r.nextInt(20);
        boolean liked = r.nextDouble() < (movie < 10 ? 0.9 : 0.1);
        List<String> history = new ArrayList<>();
        List<String> negatives = new ArrayList<>();
        for (int t = 0, len = r.nextInt(5); t < len; t++) {
          history.add("m" + r.nextInt(10));
          negatives.add("m" + (10 + r.nextInt(10)));
        }
        String user = "u" + r.nextInt(30);
        long ts = t0 + i * 60_000L;
        Feedback f = new Feedback(user, "m" + movie, liked ? 1 : 0, liked ? 5.0 : 2.0, ts,
            new Profile(r.nextBoolean() ? "M" : "F", 20 + r.nextInt(40), "occ" + r.nextInt(3), "z" + r.nextInt(3)),
            List.of(movie < 10 ? "Drama" : "Comedy"), history, negatives, null, null, null, Feedback.Source.ORGANIC);
        producer.send(new ProducerRecord<>(topics.feedback().name(), null, ts, user, f));
      }
      producer.flush();
    }
  }
}
