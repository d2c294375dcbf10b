package io.ctrstream.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Proves that {@code ./ctr train} rejects contradictory or impossible arguments with exit code 2
 * and a message saying what to do (before touching Kafka), and that durations are read as people
 * type them. The runs themselves are proven in the trainer's RetrainServiceKafkaTest.
 */
class TrainCommandTest {

  private static int run(StringWriter err, String... args) {
    var cli = Ctr.commandLine();
    cli.setErr(new PrintWriter(err, true));
    cli.setOut(new PrintWriter(new StringWriter(), true));
    String[] all = new String[args.length + 1];
    all[0] = "train";
    System.arraycopy(args, 0, all, 1, args.length);
    return cli.execute(all);
  }

  @Test
  void needsExactlyOneOfOnceAndEvery() {
    StringWriter err = new StringWriter();
    assertThat(run(err, "--bootstrap-servers", "localhost:1")).isEqualTo(2);
    assertThat(err.toString()).contains("exactly one of --once and --every");

    StringWriter both = new StringWriter();
    assertThat(run(both, "--bootstrap-servers", "localhost:1", "--once", "--every", "1m"))
        .isEqualTo(2);
    assertThat(both.toString()).contains("exactly one of --once and --every");
  }

  @Test
  void impossibleSettingsExitWithTwo() {
    StringWriter noBroker = new StringWriter();
    assertThat(run(noBroker, "--once", "--bootstrap-servers=")).isEqualTo(2);
    assertThat(noBroker.toString()).contains("--bootstrap-servers is required");

    StringWriter windows = new StringWriter();
    assertThat(
            run(
                windows,
                "--once",
                "--bootstrap-servers",
                "localhost:1",
                "--window-records",
                "100",
                "--window-duration",
                "7d"))
        .isEqualTo(2);
    assertThat(windows.toString())
        .contains("at most one of --window-records and --window-duration");

    StringWriter tolerance = new StringWriter();
    assertThat(run(tolerance, "--once", "--bootstrap-servers", "localhost:1", "--tolerance", "2"))
        .isEqualTo(2);
    assertThat(tolerance.toString())
        .contains("tolerance must be an AUC difference in [0, 1], got 2.0");

    StringWriter duration = new StringWriter();
    assertThat(run(duration, "--every", "5x", "--bootstrap-servers", "localhost:1")).isEqualTo(2);
    assertThat(duration.toString()).contains("not a duration");
  }

  @Test
  void durationsAsPeopleTypeThem() {
    TrainCommand.DurationConverter c = new TrainCommand.DurationConverter();
    assertThat(c.convert("500ms")).isEqualTo(Duration.ofMillis(500));
    assertThat(c.convert("30s")).isEqualTo(Duration.ofSeconds(30));
    assertThat(c.convert("10m")).isEqualTo(Duration.ofMinutes(10));
    assertThat(c.convert("2h")).isEqualTo(Duration.ofHours(2));
    assertThat(c.convert("7d")).isEqualTo(Duration.ofDays(7));
    assertThat(c.convert("PT1H30M")).isEqualTo(Duration.ofMinutes(90));
    assertThatThrownBy(() -> c.convert("soon")).hasMessageContaining("e.g. 30s, 10m");
  }
}
