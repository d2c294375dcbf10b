package io.ctrstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Proves {@code ctr serve} refuses a bad configuration before connecting anywhere, with exit code
 * 2 and a message naming what to change: a bad option value, an unknown key in the --config file,
 * a missing Kafka client properties file.
 */
class ServeCommandTest {
  @TempDir Path dir;

  private int run(StringWriter err, String... args) {
    CommandLine cl = Ctr.commandLine();
    cl.setErr(new PrintWriter(err, true));
    return cl.execute(args);
  }

  @Test
  void aBadPortIsRefusedWithWhatToChange() {
    StringWriter err = new StringWriter();
    assertThat(run(err, "serve", "--bootstrap-servers", "localhost:1", "--http-port", "70000")).isEqualTo(2);
    assertThat(err.toString()).contains("http.port must be 0..65535");
  }

  @Test
  void anUnknownSettingInTheConfigFileIsRefused() throws Exception {
    Path file = dir.resolve("scorer.properties");
    Files.writeString(file, "batch.sise=8\n");
    StringWriter err = new StringWriter();
    assertThat(run(err, "serve", "--config", file.toString())).isEqualTo(2);
    assertThat(err.toString()).contains("unknown setting \"batch.sise\"");
  }

  @Test
  void aMissingKafkaPropertiesFileIsRefused() {
    StringWriter err = new StringWriter();
    assertThat(run(err, "serve", "--kafka-properties", dir.resolve("sasl.properties").toString())).isEqualTo(2);
    assertThat(err.toString()).contains("kafka.properties file").contains("sasl.properties");
  }
}
