package io.ctrstream.streams.topology;

import static org.assertj.core.api.Assertions.assertThat;

import io.ctrstream.schemas.Movie;
import io.ctrstream.streams.model.ModelProvider;
import io.ctrstream.streams.state.StoreNames;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.apache.kafka.streams.state.KeyValueStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the catalog's sampling: it reaches most of the catalog (near-uniform, not stuck on a few
 * ids), respects the acceptance rule, follows tombstones, and gives up cleanly when nothing fits.
 */
class CatalogTest {
  @TempDir Path stateDir;

  @Test
  void drawsSpreadOverTheCatalogAndRespectTheRule() {
    try (Harness h = new Harness(Harness.config(stateDir, Map.of()), ModelProvider.prior(0.5))) {
      for (int i = 0; i < 50; i++) {
        h.movie(Integer.toString(i), "G");
      }
      KeyValueStore<String, Movie> store = h.driver.getKeyValueStore(StoreNames.CATALOG);
      Catalog catalog = new Catalog(store);
      assertThat(catalog.get("7").genres()).containsExactly("G");

      Map<String, Integer> hits = new HashMap<>();
      for (int u = 0; u < 5_000; u++) {
        hits.merge(catalog.sample("u" + u, "m", 1, c -> true), 1, Integer::sum);
      }
      // 5,000 draws over 50 movies: 100 each on average; every movie is drawn, none dominates
      // (with one ring point per movie the spread was 1 to 431).
      assertThat(hits).hasSize(50);
      assertThat(hits.values()).allSatisfy(n -> assertThat(n).isBetween(40, 200));

      assertThat(catalog.sample("u", "m", 32, c -> c.equals("13"))).as("found by retrying").isIn("13", null);
      assertThat(catalog.sample("u", "m", 32, c -> false)).isNull();
      assertThat(catalog.sample("u", "m", 1, c -> true)).isEqualTo(catalog.sample("u", "m", 1, c -> true));

      h.movies.pipeInput("7", (String) null);
      assertThat(catalog.get("7")).isNull();
      for (int u = 0; u < 2_000; u++) {
        assertThat(catalog.sample("u" + u, "m", 1, c -> true)).isNotEqualTo("7");
      }
    }
  }

  @Test
  void invalidMovieIsSkippedAndCountedNotStored() {
    try (Harness h = new Harness(Harness.config(stateDir, Map.of()), ModelProvider.prior(0.5))) {
      h.movie("1", "Comedy");
      h.movies.pipeInput("1", "{\"movieId\":\"1\",\"title\":\"x\",\"genres\":\"Drama\"}");
      h.movies.pipeInput("2", "{\"movieId\":\"3\",\"title\":\"x\",\"genres\":[]}");
      Catalog catalog = new Catalog(h.driver.getKeyValueStore(StoreNames.CATALOG));
      assertThat(catalog.get("1").genres()).as("the last good value stays").containsExactly("Comedy");
      assertThat(catalog.get("2")).isNull();
      assertThat(catalog.get("3")).isNull();
      assertThat(h.metrics.registry().find("ctr.catalog.rejected").counters())
          .extracting(c -> c.getId().getTag("kind") + "=" + c.count())
          .containsExactlyInAnyOrder("wrong-type=1.0", "key-mismatch=1.0");
    }
  }

  @Test
  void emptyCatalogGivesNoNegative() {
    try (Harness h = new Harness(Harness.config(stateDir, Map.of()), ModelProvider.prior(0.5))) {
      Catalog catalog = new Catalog(h.driver.getKeyValueStore(StoreNames.CATALOG));
      assertThat(catalog.sample("u", "m", 4, c -> true)).isNull();
    }
  }
}
