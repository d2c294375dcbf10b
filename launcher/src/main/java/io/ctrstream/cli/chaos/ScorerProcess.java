package io.ctrstream.cli.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * One {@code ctr serve} as a real child process of this JVM (the same java binary and class path,
 * so the same build), for the chaos checks that kill scorers with SIGKILL: {@link #kill()} is
 * {@link Process#destroyForcibly()}, which on Linux sends SIGKILL, and {@link #start()} may be
 * called again afterwards to restart it on the same state directory and HTTP port.
 *
 * <p>Its settings go to a properties file ({@code serve --config}); its output (stdout and stderr
 * together) is appended to {@code <name>.log} in the work directory. {@link #close()} kills it if it
 * still runs, so a try-with-resources never leaves a scorer behind.
 */
final class ScorerProcess implements AutoCloseable {
  private static final HttpClient HTTP = HttpClient.newBuilder()
      .connectTimeout(Duration.ofSeconds(1)).followRedirects(HttpClient.Redirect.NEVER).build();

  private final String name;
  private final Path config;
  private final Path log;
  private final int httpPort;
  private final int partitions;
  private volatile Process process;
  private int starts;

  /**
   * @param name names the log file and the progress lines
   * @param dir work directory (config file, log)
   * @param settings scorer settings ({@code bootstrap.servers}, {@code state.dir}, ...); {@code
   *     http.host} and {@code http.port} are set here (127.0.0.1 and a free port)
   * @param partitions partitions of the user-keyed topics ({@code serve --partitions})
   */
  ScorerProcess(String name, Path dir, Map<String, String> settings, int partitions) {
    this.name = name;
    this.partitions = partitions;
    this.httpPort = freePort();
    this.config = dir.resolve(name + ".properties");
    this.log = dir.resolve(name + ".log");
    Properties p = new Properties();
    p.putAll(settings);
    p.setProperty("http.host", "127.0.0.1");
    p.setProperty("http.port", Integer.toString(httpPort));
    try (Writer w = Files.newBufferedWriter(config, StandardCharsets.UTF_8)) {
      p.store(w, "ctr chaos: scorer " + name);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + config, e);
    }
  }

  String name() {
    return name;
  }

  /** host:port of its HTTP endpoint, as it announces itself ({@code application.server}). */
  String endpoint() {
    return "127.0.0.1:" + httpPort;
  }

  int httpPort() {
    return httpPort;
  }

  Path log() {
    return log;
  }

  /** How many times it was started. */
  int starts() {
    return starts;
  }

  /** The running process's id, -1 when none runs. */
  long pid() {
    Process p = process;
    return p == null ? -1 : p.pid();
  }

  boolean alive() {
    Process p = process;
    return p != null && p.isAlive();
  }

  /** Starts (or restarts, on the same state directory and port) {@code ctr serve}. */
  synchronized void start() throws IOException {
    if (alive()) {
      throw new IllegalStateException(name + " is already running");
    }
    Files.writeString(log, "---- start " + (starts + 1) + " ----\n", StandardCharsets.UTF_8,
        java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    ProcessBuilder pb = new ProcessBuilder(command(config, partitions))
        .redirectErrorStream(true)
        .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().put("OMP_NUM_THREADS", "1");
    process = pb.start();
    starts++;
  }

  /** SIGKILL ({@link Process#destroyForcibly()}), and waits until the process is gone. */
  synchronized void kill() throws InterruptedException {
    Process p = process;
    if (p != null && p.isAlive()) {
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /**
   * Waits until {@code /health/ready} answers 200; false when the process ended first or the time
   * ran out.
   */
  boolean awaitReady(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!alive()) {
        return false;
      }
      if (get("/health/ready") == 200) {
        return true;
      }
      Thread.sleep(200);
    }
    return false;
  }

  /** The status of a GET on its HTTP endpoint, -1 when it cannot be reached. */
  int get(String path) throws InterruptedException {
    try {
      return HTTP.send(HttpRequest.newBuilder(URI.create("http://" + endpoint() + path))
          .timeout(Duration.ofSeconds(2)).GET().build(), HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    }
  }

  /** The last lines of its log, for a failure report. */
  String logTail(int lines) {
    try {
      List<String> all = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(no log: " + e.getMessage() + ")";
    }
  }

  @Override
  public void close() {
    try {
      kill();
    } catch (InterruptedException e) {
      Process p = process;
      if (p != null) {
        p.destroyForcibly();
      }
      Thread.currentThread().interrupt();
    }
  }

  /**
   * {@code java [options] -cp <this JVM's class path> io.ctrstream.cli.Ctr serve --config FILE}:
   * the java binary of this process, its class path (the jar under {@code ./ctr}, the test class
   * path under Maven) and its {@code ai.djl.*} system properties.
   */
  static List<String> command(Path config, int partitions) {
    String java = ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    List<String> cmd = new ArrayList<>();
    cmd.add(java);
    cmd.add("-Xmx512m");
    // A short-lived scorer on a small machine: the C1 compiler alone starts faster and leaves
    // the cores to the broker and the other scorers.
    cmd.add("-XX:TieredStopAtLevel=1");
    System.getProperties().stringPropertyNames().stream().filter(k -> k.startsWith("ai.djl."))
        .sorted().forEach(k -> cmd.add("-D" + k + "=" + System.getProperty(k)));
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add("io.ctrstream.cli.Ctr");
    cmd.add("serve");
    cmd.add("--config");
    cmd.add(config.toString());
    cmd.add("--partitions");
    cmd.add(Integer.toString(partitions));
    return cmd;
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0)) {
      s.setReuseAddress(true);
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port", e);
    }
  }
}
