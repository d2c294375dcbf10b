package io.ctrstream.dien.features;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.InputStream;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Proves the mean imputation + uniform quantile transform matches scikit-learn's
 * QuantileTransformer on cases worked out by hand from its algorithm (np.percentile "linear",
 * forward/backward np.interp averaged, exact bounds).
 */
class QuantileTransformTest {

  private static final double EPS = 1e-12;

  private static Double[] col(double... v) {
    Double[] c = new Double[v.length];
    for (int i = 0; i < v.length; i++) {
      c[i] = v[i];
    }
    return c;
  }

  @Test
  void fewerSamplesThanQuantilesUsesOneQuantilePerSample() {
    QuantileTransform t = QuantileTransform.fit(col(5, 1, 4, 2, 3), 1000);
    // n = min(1000, 5) = 5 references 0, .25, .5, .75, 1 at the sorted values 1..5.
    assertThat(t.quantiles()).containsExactly(1, 2, 3, 4, 5);
    assertThat(t.references()).containsExactly(0, 0.25, 0.5, 0.75, 1);
    assertThat(t.transform(2.5)).isCloseTo(0.375, within(EPS));
    assertThat(t.transform(4.0)).isCloseTo(0.75, within(EPS));
    assertThat(t.transform(1.0)).isEqualTo(0.0);
    assertThat(t.transform(5.0)).isEqualTo(1.0);
    // clamped outside the training range
    assertThat(t.transform(-10.0)).isEqualTo(0.0);
    assertThat(t.transform(99.0)).isEqualTo(1.0);
  }

  @Test
  void percentilesInterpolateLinearlyBetweenOrderStatistics() {
    // n = 3 references 0, .5, 1; the median's virtual index is (4 - 1) * .5 = 1.5 -> 15.
    QuantileTransform t = QuantileTransform.fit(col(0, 10, 20, 30), 3);
    assertThat(t.quantiles()).containsExactly(0, 15, 30);
    assertThat(t.transform(15.0)).isCloseTo(0.5, within(EPS));
    assertThat(t.transform(7.5)).isCloseTo(0.25, within(EPS));
    assertThat(t.transform(22.5)).isCloseTo(0.75, within(EPS));
  }

  @Test
  void tiedQuantilesMapToTheMiddleOfTheirRun() {
    // quantiles 0, 1, 1, 1, 2 at references 0, .25, .5, .75, 1: the forward interp of 1 gives
    // .75 (last tie), the backward one .25 (first tie); their mean is .5.
    QuantileTransform t = QuantileTransform.fit(col(0, 1, 1, 1, 2), 1000);
    assertThat(t.quantiles()).containsExactly(0, 1, 1, 1, 2);
    assertThat(t.transform(1.0)).isCloseTo(0.5, within(EPS));
    // between 1 and 2 both passes agree: .75 + .25 * (1.5 - 1) = .875
    assertThat(t.transform(1.5)).isCloseTo(0.875, within(EPS));
  }

  @Test
  void missingValuesAreImputedWithTheTrainingMean() {
    // mean of the present values 1, 2, 6 is 3; the imputed column is 1, 2, 3, 6.
    QuantileTransform t = QuantileTransform.fit(new Double[] {1.0, null, 2.0, 6.0}, 1000);
    assertThat(t.mean()).isCloseTo(3.0, within(EPS));
    assertThat(t.quantiles()).containsExactly(new double[] {1, 2, 3, 6}, within(1e-12));
    // references 0, 1/3, 2/3, 1: 3 sits exactly on the third quantile.
    assertThat(t.transform((Double) null)).isCloseTo(2.0 / 3.0, within(EPS));
    assertThat(t.transform(Double.NaN)).isCloseTo(2.0 / 3.0, within(EPS));
  }

  @Test
  void thousandQuantilesOverManySamples() {
    // 0..1998: n = 1000 references i/999, quantile_i = 1998 * i / 999 = 2 i (integer virtual
    // indices), so x maps to x / 1998 on the grid and linearly in between.
    Double[] c = new Double[1999];
    for (int i = 0; i < c.length; i++) {
      c[i] = (double) i;
    }
    QuantileTransform t = QuantileTransform.fit(c, 1000);
    assertThat(t.quantiles()).hasSize(1000);
    assertThat(t.quantiles()[500]).isCloseTo(1000, within(1e-9));
    assertThat(t.transform(1000.0)).isCloseTo(500.0 / 999, within(1e-12));
    assertThat(t.transform(1001.0)).isCloseTo(500.5 / 999, within(1e-12));
  }

  @Test
  void jsonRoundTripTransformsIdentically() throws Exception {
    ObjectMapper json = new ObjectMapper();
    QuantileTransform t = QuantileTransform.fit(col(18, 25, 25, 35, 45, 50, 56, 1), 1000);
    QuantileTransform back = json.readValue(json.writeValueAsBytes(t), QuantileTransform.class);
    for (double x = 0; x < 60; x += 0.5) {
      assertThat(back.transform(x)).isEqualTo(t.transform(x));
    }
    assertThat(back.mean()).isEqualTo(t.mean());
  }

  @Test
  void matchesNumpyOnTheFixtureColumns() throws Exception {
    // quantile-numpy.json is written by quantile_numpy.py (beside it) with NumPy, following
    // scikit-learn's algorithm step by step; 1500 and 1200 rows, so 1000 quantiles are fitted.
    JsonNode root;
    try (InputStream in = getClass().getResourceAsStream("/features/quantile-numpy.json")) {
      root = new ObjectMapper().readTree(in);
    }
    for (String name : List.of("ages", "continuous")) {
      JsonNode n = root.get(name);
      Double[] column = new Double[n.get("column").size()];
      for (int i = 0; i < column.length; i++) {
        JsonNode v = n.get("column").get(i);
        column[i] = v.isNull() ? null : v.asDouble();
      }
      QuantileTransform t = QuantileTransform.fit(column, 1000);
      assertThat(t.mean()).as(name).isCloseTo(n.get("mean").asDouble(), within(1e-12));
      double[] q = t.quantiles();
      assertThat(q).as(name).hasSize(1000);
      for (int i = 0; i < q.length; i++) {
        assertThat(q[i]).as("%s quantile %d", name, i)
            .isCloseTo(n.get("quantiles").get(i).asDouble(), within(1e-12));
      }
      for (int i = 0; i < n.get("probe").size(); i++) {
        double x = n.get("probe").get(i).asDouble();
        assertThat(t.transform(x)).as("%s transform(%s)", name, x)
            .isCloseTo(n.get("expected").get(i).asDouble(), within(1e-12));
      }
    }
  }

  @Test
  void columnWithoutValuesBecomesConstantZero() {
    // ml-latest / ml-25m have no demographics: every age is missing
    QuantileTransform t = QuantileTransform.fit(new Double[] {null, null, Double.NaN}, 1000);
    assertThat(t.transform((Double) null)).isEqualTo(0.0);
    assertThat(t.transform(35.0)).isEqualTo(0.0);
    assertThat(t.transform(-3.0)).isEqualTo(0.0);
  }

  @Test
  void rejectsZeroQuantiles() {
    assertThatThrownBy(() -> QuantileTransform.fit(col(1), 0))
        .hasMessageContaining("nQuantiles must be >= 1, got 0");
  }
}
