package io.ctrstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstream.kafka.EmbeddedKafka;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Proves that {@code ./ctr replay} wires its options to the replayer: against a real in-process
 * broker, --create-topics creates the registry's topics and the one JSON line on stdout carries
 * the counts of a tiny hand-written ml-100k folder; without the topics it exits 1 naming them;
 * impossible arguments exit 2 with a message and touch no broker.
 */
class ReplayCommandTest {

  @TempDir Path data;

  /** 2 users, 2 movies, 3 ratings (one of them 0 stars, which the contract forbids). */
  private void writeTinyDataSet() throws Exception {
    Files.writeString(data.resolve("u.user"), "1|24|M|technician|85711\n2|53|F|other|94043\n");
    String flags = "|0".repeat(19);
    Files.writeString(data.resolve("u.item"),
        "7|Seven (1995)|01-Jan-1995||" + flags + "\n8|Eight (1996)|01-Jan-1996||" + flags + "\n");
    Files.writeString(data.resolve("u.data"),
        "1\t7\t5\t880000000\n2\t8\t3\t880000100\n2\t7\t0\t880000200\n");
  }

  private record Result(int exit, String out, String err) {}

  private static Result run(String... args) {
    CommandLine cli = Ctr.commandLine();
    StringWriter out = new StringWriter();
    StringWriter err = new StringWriter();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(args);
    return new Result(exit, out.toString(), err.toString());
  }

  @Test
  void replaysIntoABrokerAndPrintsOneJsonLine() throws Exception {
    writeTinyDataSet();
    try (EmbeddedKafka kafka = EmbeddedKafka.builder().start()) {
      Result missing = run("replay", "--bootstrap-servers", kafka.bootstrapServers(),
          "--data", data.toString(), "--prefix", "absent.", "--no-progress");
      assertThat(missing.exit()).isEqualTo(1);
      assertThat(missing.err()).contains("[absent.users, absent.movies, absent.impressions,"
          + " absent.ratings] do not exist");

      Result ok = run("replay", "--bootstrap-servers", kafka.bootstrapServers(),
          "--data", data.toString(), "--prefix", "cli.", "--create-topics", "--partitions", "2",
          "--speed", "100", "--no-progress");
      assertThat(ok.exit()).as(ok.err()).isZero();
      assertThat(ok.out().lines()).hasSize(1);
      JsonNode line = new ObjectMapper().readTree(ok.out());
      assertThat(line.get("users").asLong()).isEqualTo(2);
      assertThat(line.get("movies").asLong()).isEqualTo(2);
      assertThat(line.get("impressions").asLong()).isEqualTo(2);
      assertThat(line.get("ratings").asLong()).isEqualTo(2);
      assertThat(line.get("skipped").asLong()).isEqualTo(1);
      assertThat(line.get("completed").asBoolean()).isTrue();
      // users, movies, impressions, ratings, clicks, scores, feedback, movie-stats, model-releases,
      // model-release-history, dead-letters
      assertThat(line.get("topicsCreated").asInt()).isEqualTo(11);
      // live is the default: data-set time (1997) would fall to time-based retention
      assertThat(line.get("eventTime").asText()).isEqualTo("live");
      assertThat(line.get("prefix").asText()).isEqualTo("cli.");
    }
  }

  @Test
  void impossibleArgumentsExitWithTwo() throws Exception {
    writeTinyDataSet();
    String unreachable = "localhost:1";
    assertThat(run("replay", "--bootstrap-servers", "", "--data", data.toString()).err())
        .contains("--bootstrap-servers is required");
    Result noData = run("replay", "--bootstrap-servers", unreachable, "--data",
        data.resolve("absent").toString());
    assertThat(noData.exit()).isEqualTo(2);
    assertThat(noData.err()).contains("is not a folder");
    Result speed = run("replay", "--bootstrap-servers", unreachable, "--data", data.toString(),
        "--speed", "-1");
    assertThat(speed.exit()).isEqualTo(2);
    assertThat(speed.err()).contains("--speed must be >= 0");
    Result limit = run("replay", "--bootstrap-servers", unreachable, "--data", data.toString(),
        "--limit", "0");
    assertThat(limit.exit()).isEqualTo(2);
    assertThat(limit.err()).contains("--limit must be > 0");
    Result config = run("replay", "--bootstrap-servers", unreachable, "--data", data.toString(),
        "--command-config", data.resolve("nope.properties").toString());
    assertThat(config.exit()).isEqualTo(2);
    assertThat(config.err()).contains("nope.properties does not exist");
    Result prefix = run("replay", "--bootstrap-servers", unreachable, "--data", data.toString(),
        "--prefix", "bad prefix");
    assertThat(prefix.exit()).isEqualTo(2);
    assertThat(prefix.err()).contains("prefix may hold only");
  }
}
