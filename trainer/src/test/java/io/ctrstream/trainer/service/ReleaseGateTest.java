package io.ctrstream.trainer.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

/**
 * Proves the gate's four decisions (nothing live: release; better: release; worse beyond the
 * tolerance: gated; worse within it: release), that an unusable live model does not block a release
 * while a candidate without an AUC is never released, and that versions count up from the live one.
 */
class ReleaseGateTest {

  private final ReleaseGate gate = new ReleaseGate(0.01);

  @Test
  void releasesWhenNothingIsLive() {
    ReleaseGate.Decision d = gate.decide(0.61, Double.NaN, null);
    assertThat(d.release()).isTrue();
    assertThat(d.reason()).contains("no live model").contains("0.6100");
  }

  @Test
  void releasesABetterCandidate() {
    ReleaseGate.Decision d = gate.decide(0.80, 0.75, "v3-x");
    assertThat(d.release()).isTrue();
    assertThat(d.reason())
        .contains("0.8000")
        .contains("v3-x")
        .contains("0.7500")
        .contains("+0.0500");
  }

  @Test
  void gatesACandidateWorseBeyondTheTolerance() {
    ReleaseGate.Decision d = gate.decide(0.73, 0.75, "v3-x");
    assertThat(d.release()).isFalse();
    assertThat(d.reason())
        .contains("worse than live v3-x")
        .contains("0.0200")
        .contains("tolerance 0.0100");
  }

  @Test
  void releasesACandidateWorseWithinTheTolerance() {
    assertThat(gate.decide(0.745, 0.75, "v3-x").release()).isTrue();
    assertThat(gate.decide(0.74, 0.75, "v3-x").release()).isTrue(); // exactly at the tolerance
    assertThat(new ReleaseGate(0).decide(0.75, 0.75, "v3-x").release()).isTrue();
    assertThat(new ReleaseGate(0).decide(0.7499, 0.75, "v3-x").release()).isFalse();
  }

  @Test
  void unusableLiveModelDoesNotBlockButACandidateWithoutAucIsRefused() {
    ReleaseGate.Decision d = gate.decide(0.7, Double.NaN, "v3-x");
    assertThat(d.release()).isTrue();
    assertThat(d.reason()).contains("could not be evaluated");
    assertThat(gate.decide(Double.NaN, Double.NaN, null).release()).isFalse();
    assertThatThrownBy(() -> new ReleaseGate(-0.1)).hasMessageContaining("tolerance");
  }

  @Test
  void versionsCountUpFromTheLiveOne() {
    long t = 1_767_225_600_000L; // 2026-01-01T00:00:00Z
    assertThat(ReleaseGate.nextVersion(null, t)).isEqualTo("v1-20260101T000000Z");
    assertThat(ReleaseGate.nextVersion("v41-20251231T000000Z", t))
        .isEqualTo("v42-20260101T000000Z");
    assertThat(ReleaseGate.nextVersion("dien-handmade", t)).isEqualTo("v1-20260101T000000Z");
  }

  @Test
  void aCandidateThatPassesOnAucIsStillGatedOnAWorseLogLoss() {
    ReleaseGate gate = new ReleaseGate(0.005);
    ReleaseGate.Decision worse = gate.decide(0.75, 0.74, 0.60, 0.55, 0.01, "v1-x");
    assertThat(worse.release()).isFalse();
    assertThat(worse.reason()).contains("log loss 0.6000 is worse than live v1-x 0.5500");
    ReleaseGate.Decision within = gate.decide(0.75, 0.74, 0.555, 0.55, 0.01, "v1-x");
    assertThat(within.release()).isTrue();
    assertThat(within.reason()).contains("log loss 0.5550 vs 0.5500");
    // no live log loss (it could not be scored): the AUC decides
    assertThat(gate.decide(0.75, 0.74, 0.60, Double.NaN, 0.01, "v1-x").release()).isTrue();
    // a worse AUC is gated whatever the log loss
    assertThat(gate.decide(0.70, 0.74, 0.40, 0.55, 0.01, "v1-x").release()).isFalse();
  }
}
