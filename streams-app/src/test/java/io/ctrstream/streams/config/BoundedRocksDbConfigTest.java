package io.ctrstream.streams.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

/** Proves every store gets the shared, bounded block cache and memtable sizes derived from the bound. */
class BoundedRocksDbConfigTest {

  @Test
  void storesShareOneBoundedCacheAndSizedMemtables() {
    RocksDB.loadLibrary();
    Map<String, Object> configs = Map.of(ScorerConfig.ROCKSDB_MEMORY_PROPERTY, Long.toString(64L << 20));
    try (Options a = new Options(); Options b = new Options()) {
      a.setTableFormatConfig(new BlockBasedTableConfig());
      b.setTableFormatConfig(new BlockBasedTableConfig());
      BoundedRocksDbConfig setter = new BoundedRocksDbConfig();
      setter.setConfig("user-state", a, configs);
      new BoundedRocksDbConfig().setConfig("score-buffer", b, configs);

      BlockBasedTableConfig ta = (BlockBasedTableConfig) a.tableFormatConfig();
      assertThat(ta.cacheIndexAndFilterBlocks()).isTrue();
      assertThat(ta.blockSize()).isEqualTo(16 * 1024);
      // A quarter of 64 MiB for memtables, split over 8 memtable slots: 2 MiB each, 2 per store.
      assertThat(a.writeBufferSize()).isEqualTo(2L << 20);
      assertThat(a.maxWriteBufferNumber()).isEqualTo(2);
      assertThat(b.writeBufferSize()).isEqualTo(a.writeBufferSize());
      setter.close("user-state", a);
    }
  }

  @Test
  void eachBoundHasItsOwnCacheWhicheverCameFirst() {
    RocksDB.loadLibrary();
    try (Options big = new Options(); Options small = new Options()) {
      big.setTableFormatConfig(new BlockBasedTableConfig());
      small.setTableFormatConfig(new BlockBasedTableConfig());
      new BoundedRocksDbConfig().setConfig("user-state", big,
          Map.of(ScorerConfig.ROCKSDB_MEMORY_PROPERTY, Long.toString(256L << 20)));
      new BoundedRocksDbConfig().setConfig("user-state", small,
          Map.of(ScorerConfig.ROCKSDB_MEMORY_PROPERTY, Long.toString(32L << 20)));
      assertThat(big.writeBufferSize()).isEqualTo(8L << 20);
      assertThat(small.writeBufferSize()).isEqualTo(1L << 20);
      assertThat(BoundedRocksDbConfig.usage(32L << 20)).hasValueSatisfying(
          u -> assertThat(u.capacityBytes()).isEqualTo(32L << 20));
      assertThat(BoundedRocksDbConfig.usage(48L << 20)).as("no store with that bound").isEmpty();
    }
  }
}
