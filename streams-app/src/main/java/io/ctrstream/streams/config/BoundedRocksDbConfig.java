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
 * static, one per configured bound (a service has one; a JVM running several scorers with other
 * bounds, as tests and tools do, gets one for each); it is created on first use and lives as long
 * as the process (never closed per store, since other stores still use it).
 */
public final class BoundedRocksDbConfig implements RocksDBConfigSetter {
  /** Share of the bound that memtables may take. */
  private static final double MEMTABLE_SHARE = 0.25;
  /** Share of the cache kept for index and filter blocks (high priority). */
  private static final double INDEX_FILTER_SHARE = 0.1;
  private static final long BLOCK_SIZE = 16 * 1024;

  private static final Map<Long, Shared> SHARED = new java.util.concurrent.ConcurrentHashMap<>();

  private record Shared(long bytes, Cache cache, WriteBufferManager writeBufferManager) {}

  private static Shared shared(long bytes) {
    return SHARED.computeIfAbsent(bytes, b -> {
      Cache cache = new LRUCache(b, -1, false, INDEX_FILTER_SHARE);
      return new Shared(b, cache, new WriteBufferManager((long) (b * MEMTABLE_SHARE), cache));
    });
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

  /**
   * The usage now of the cache shared by the stores configured with this bound, or empty when no
   * such store has opened in this JVM.
   */
  public static java.util.Optional<Usage> usage(long capacityBytes) {
    Shared s = SHARED.get(capacityBytes);
    return s == null ? java.util.Optional.empty()
        : java.util.Optional.of(new Usage(s.bytes(), s.cache().getUsage(), s.cache().getPinnedUsage()));
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
