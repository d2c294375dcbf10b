package io.ctrstream.streams.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The JVM and the process as an operator sees them: heap and non-heap pools, GC pauses, threads,
 * classes, CPU, uptime, open files (Micrometer's binders), and the memory the operating system
 * charges the process, which is where libtorch and RocksDB live (outside the heap):
 *
 * <ul>
 *   <li>{@code process.resident.memory} (bytes): {@code VmRSS} of {@code /proc/self/status}
 *   <li>{@code process.virtual.memory} (bytes): {@code VmSize}
 * </ul>
 *
 * Both are NaN where {@code /proc/self/status} cannot be read (not Linux). Bound by the scorer
 * and by the trainer's {@code --every} service.
 */
public final class ProcessMetrics implements MeterBinder, AutoCloseable {
  private static final Path STATUS = Path.of("/proc/self/status");
  private JvmGcMetrics gc;

  @Override
  public void bindTo(MeterRegistry registry) {
    new ClassLoaderMetrics().bindTo(registry);
    new JvmMemoryMetrics().bindTo(registry);
    gc = new JvmGcMetrics();
    gc.bindTo(registry);
    new JvmThreadMetrics().bindTo(registry);
    new ProcessorMetrics().bindTo(registry);
    new UptimeMetrics().bindTo(registry);
    new FileDescriptorMetrics().bindTo(registry);
    Gauge.builder("process.resident.memory", () -> statusBytes("VmRSS:")).baseUnit("bytes")
        .description("resident set size (heap, libtorch, RocksDB, thread stacks, ...)")
        .strongReference(true).register(registry);
    Gauge.builder("process.virtual.memory", () -> statusBytes("VmSize:")).baseUnit("bytes")
        .description("virtual memory size").strongReference(true).register(registry);
  }

  /** The bytes of {@code field} (a {@code kB} line) in {@code /proc/self/status}, NaN if unknown. */
  static double statusBytes(String field) {
    try {
      for (String line : Files.readAllLines(STATUS, StandardCharsets.US_ASCII)) {
        if (line.startsWith(field)) {
          String[] parts = line.substring(field.length()).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024.0;
        }
      }
    } catch (IOException | RuntimeException e) {
      return Double.NaN;
    }
    return Double.NaN;
  }

  /** Stops listening for GC notifications. */
  @Override
  public void close() {
    if (gc != null) {
      gc.close();
    }
  }
}
