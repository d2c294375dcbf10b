package io.ctrstream.streams.config;

import java.util.Map;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.CompressionType;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;
import org.apache.kafka.streams.state.RocksDBConfigSetter;

/**
 * Bounds RocksDB's off-heap memory for the whole instance: every store shares one block cache
 * (index and filter blocks included), and memtables are charged to that same cache through one
 * write buffer manager. The bound comes from {@link ScorerConfig#ROCKSDB_MEMORY_PROPERTY}.
 *
 * <p>Kafka Streams instantiates this class once per store, so the shared cache is held in a
 * private static; it is created on first use and lives as long as the process (never closed
 * per store, since other stores still use it). The first bound seen in a JVM is the one used.
 */
public final class BoundedRocksDbConfig implements RocksDBConfigSetter {
  /** Share of the bound that memtables may take. */
  private static final double MEMTABLE_SHARE = 0.25;
  /** Share of the cache kept for index and filter blocks (high priority). */
  private static final double INDEX_FILTER_SHARE = 0.1;
  private static final long BLOCK_SIZE = 16 * 1024;

  private static Shared shared;

  private record Shared(long bytes, Cache cache, WriteBufferManager writeBufferManager) {}

  private static synchronized Shared shared(long bytes) {
    if (shared == null) {
      Cache cache = new LRUCache(bytes, -1, false, INDEX_FILTER_SHARE);
      shared = new Shared(bytes, cache, new WriteBufferManager((long) (bytes * MEMTABLE_SHARE), cache));
    }
    return shared;
  }

  /**
   * What the shared cache holds now, memtables included (they are charged to it), against its
   * capacity; empty before any store of this JVM opened.
   *
   * @param capacityBytes the configured bound
   * @param usageBytes bytes in the cache now (blocks, index and filter blocks, memtable charges)
   * @param pinnedBytes of which pinned (in use, not evictable)
   */
  public record Usage(long capacityBytes, long usageBytes, long pinnedBytes) {}

  /** The shared cache's usage now, or empty when no store has opened in this JVM. */
  public static synchronized java.util.Optional<Usage> usage() {
    if (shared == null) {
      return java.util.Optional.empty();
    }
    return java.util.Optional.of(new Usage(shared.bytes(), shared.cache().getUsage(),
        shared.cache().getPinnedUsage()));
  }

  @Override
  public void setConfig(String storeName, Options options, Map<String, Object> configs) {
    Object configured = configs.get(ScorerConfig.ROCKSDB_MEMORY_PROPERTY);
    long bytes = configured == null ? 256L << 20 : Long.parseLong(configured.toString());
    Shared s = shared(bytes);
    BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
    table.setBlockCache(s.cache());
    table.setCacheIndexAndFilterBlocks(true);
    table.setCacheIndexAndFilterBlocksWithHighPriority(true);
    table.setPinTopLevelIndexAndFilter(true);
    table.setBlockSize(BLOCK_SIZE);
    options.setTableFormatConfig(table);
    options.setWriteBufferManager(s.writeBufferManager());
    options.setMaxWriteBufferNumber(2);
    options.setWriteBufferSize(Math.max(1L << 20, (long) (s.bytes() * MEMTABLE_SHARE) / 8));
    options.setCompressionType(CompressionType.LZ4_COMPRESSION);
  }

  @Override
  public void close(String storeName, Options options) {
    // The cache and write buffer manager are shared by every store: not ours to close here.
  }
}
