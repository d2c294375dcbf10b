package io.ctrstream.cli;

import io.ctrstream.dien.model.ParityCheck;
import io.ctrstream.dien.model.ParityReport;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code ./ctr parity --golden FILE}: checks the DIEN port against one golden-vector file of the
 * reference and prints one JSON line (file, max_abs_logit_diff, aux_loss_diff, train_loss_diff,
 * max_rel_grad_diff, worst_gradient, passed). Exit status 0 within tolerance, 1 beyond it, 2 when
 * the file cannot be read or is not a golden-vector file.
 */
@Command(
    name = "parity",
    mixinStandardHelpOptions = true,
    description = "Check the DIEN port against a golden-vector file of the reference.")
public final class ParityCommand implements Callable<Integer> {

  @Spec CommandSpec spec;

  @Option(
      names = "--golden",
      required = true,
      paramLabel = "FILE",
      description = "golden-vector JSON file (e.g. /work/shared/golden/dien-augru-neg.json)")
  Path golden;

  @Override
  public Integer call() {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!Files.isReadable(golden)) {
      err.println("ctr parity: cannot read " + golden + " (no such file or not readable)");
      err.flush();
      return 2;
    }
    ParityReport report;
    try {
      report = ParityCheck.run(golden);
    } catch (IOException e) {
      err.println("ctr parity: " + golden + ": " + e.getMessage());
      err.flush();
      return 2;
    }
    out.println(report.toJson());
    out.flush();
    return report.passed() ? 0 : 1;
  }
}
