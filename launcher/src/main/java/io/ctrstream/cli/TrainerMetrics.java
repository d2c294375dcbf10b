package io.ctrstream.cli;

import com.sun.net.httpserver.HttpServer;
import io.ctrstream.streams.metrics.ProcessMetrics;
import io.ctrstream.trainer.service.RunResult;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Timer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.DoubleAdder;

/**
 * The periodic trainer's meters (Prometheus text on {@code GET /metrics} of {@code
 * --metrics-port}), with the JVM and process meters of {@link ProcessMetrics}:
 *
 * <ul>
 *   <li>{@code ctr.trainer.runs{outcome}}: runs by outcome (released, gated, refused, skipped,
 *       failed), every outcome at 0 from the start
 *   <li>{@code ctr.trainer.run}: run time (histogram; skipped cycles are not timed)
 *   <li>{@code ctr.trainer.examples}: examples the last run read (train plus validation)
 *   <li>{@code ctr.trainer.candidate.auc}, {@code ctr.trainer.candidate.logloss}, {@code
 *       ctr.trainer.live.auc}, {@code ctr.trainer.live.logloss}: the last run's validation figures
 *       (NaN when there was none)
 *   <li>{@code ctr.trainer.last.success.timestamp} (seconds): when the last run that did not fail
 *       ended, epoch seconds; 0 before one
 * </ul>
 */
final class TrainerMetrics implements AutoCloseable {
  private final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final ProcessMetrics process = new ProcessMetrics();
  private final Timer runTime;
  private final AtomicReference<RunResult> last = new AtomicReference<>();
  private final DoubleAdder lastSuccess = new DoubleAdder();
  private HttpServer server;

  TrainerMetrics() {
    process.bindTo(registry);
    for (RunResult.Decision d : RunResult.Decision.values()) {
      runs(d);
    }
    runTime = Timer.builder("ctr.trainer.run").description("time of one retraining run")
        .publishPercentileHistogram()
        .minimumExpectedValue(Duration.ofSeconds(1)).maximumExpectedValue(Duration.ofHours(2))
        .register(registry);
    Gauge.builder("ctr.trainer.examples", last, l -> value(l.get(), r -> (double) (r.trainRows() + r.validationRows())))
        .description("examples the last run read (train plus validation)").register(registry);
    Gauge.builder("ctr.trainer.candidate.auc", last, l -> value(l.get(), RunResult::candidateAuc))
        .description("validation AUC of the last candidate").register(registry);
    Gauge.builder("ctr.trainer.candidate.logloss", last, l -> value(l.get(), RunResult::candidateLogLoss))
        .description("validation log loss of the last candidate").register(registry);
    Gauge.builder("ctr.trainer.live.auc", last, l -> value(l.get(), RunResult::liveAuc))
        .description("AUC of the live model on the last validation window").register(registry);
    Gauge.builder("ctr.trainer.live.logloss", last, l -> value(l.get(), RunResult::liveLogLoss))
        .description("log loss of the live model on the last validation window").register(registry);
    Gauge.builder("ctr.trainer.last.success.timestamp", lastSuccess, DoubleAdder::sum).baseUnit("seconds")
        .description("epoch seconds when the last run that did not fail ended").register(registry);
  }

  private Counter runs(RunResult.Decision d) {
    return Counter.builder("ctr.trainer.runs").description("retraining runs by outcome")
        .tag("outcome", d.wireName()).register(registry);
  }

  private static double value(RunResult r, java.util.function.ToDoubleFunction<RunResult> f) {
    return r == null ? Double.NaN : f.applyAsDouble(r);
  }

  /** Counts one run's result (the service's result callback). */
  void record(RunResult r) {
    runs(r.decision()).increment();
    if (r.decision() == RunResult.Decision.SKIPPED) {
      return;
    }
    runTime.record(Duration.ofNanos((long) (r.seconds() * 1e9)));
    last.set(r);
    if (r.decision() != RunResult.Decision.FAILED) {
      double now = System.currentTimeMillis() / 1000.0;
      lastSuccess.add(now - lastSuccess.sum());
    }
  }

  /** The Prometheus text of every meter. */
  String scrape() {
    return registry.scrape();
  }

  /** Serves {@code GET /metrics} on {@code host:port} (0: a free port); returns the port bound. */
  int serve(String host, int port) throws IOException {
    server = HttpServer.create(new InetSocketAddress(host, port), 0);
    server.createContext("/metrics", ex -> {
      try (ex) {
        if (!"GET".equals(ex.getRequestMethod())) {
          ex.sendResponseHeaders(405, -1);
          return;
        }
        byte[] body = scrape().getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
          out.write(body);
        }
      }
    });
    server.setExecutor(Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "ctr-trainer-metrics");
      t.setDaemon(true);
      return t;
    }));
    server.start();
    return server.getAddress().getPort();
  }

  @Override
  public void close() {
    if (server != null) {
      server.stop(0);
    }
    process.close();
  }
}
