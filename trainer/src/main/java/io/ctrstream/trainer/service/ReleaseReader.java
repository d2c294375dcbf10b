package io.ctrstream.trainer.service;

import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.release.Rejection;
import io.ctrstream.dien.release.ReleaseClaims;
import io.ctrstream.dien.release.ReleaseRejectedException;
import io.ctrstream.dien.release.ReleaseVerifier;
import io.ctrstream.schemas.Decoded;
import io.ctrstream.schemas.ModelRelease;
import io.ctrstream.schemas.TopicSpec;
import io.ctrstream.schemas.Topics;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Finds the live release of a model exactly as a scorer starting now would: the newest committed
 * record with its name as key on the compacted {@code model-releases} topic (key model name, value
 * {@link ModelRelease}) that decodes, validates and passes the shared {@link ReleaseVerifier}
 * (bundle place and size, checksum, signature when a public key is configured, bundle, feature
 * layout, probe batch); when the newest is refused, the one before it, and so on. A tombstone or
 * an unreadable record is skipped, as the scorers skip it (they keep serving what they had).
 *
 * <p>The topic is read once to note the offsets of the model's records, holding no values; then
 * the candidates are read again one at a time, newest first, so a topic not yet compacted never
 * has all its bundles in memory at once.
 *
 * <p>It also reads {@code model-release-history} (key {@code model/version}): every release of a
 * model, the bundle of one read again only when asked for.
 */
public final class ReleaseReader {

  private static final Logger LOG = LoggerFactory.getLogger(ReleaseReader.class);

  private ReleaseReader() {}

  /**
   * The live release and its verified bundle (both null when no release passes), and the newer
   * releases that were refused, each as "version (reason): message".
   */
  public record Live(ModelRelease release, ModelBundle bundle, List<String> skipped) {
    static final Live NONE = new Live(null, null, List.of());

    public boolean present() {
      return release != null;
    }
  }

  private record Position(TopicPartition tp, long offset, long timestamp) {}

  /**
   * The newest release of {@code modelName} that passes {@code verifier}, with the newer ones it
   * refused; no release when none passes (or the topic does not exist).
   */
  public static Live newestThatLoads(
      Consumer<byte[], byte[]> consumer,
      TopicSpec<String, ModelRelease> topic,
      String modelName,
      ReleaseVerifier verifier,
      Duration timeout) {
    List<TopicPartition> partitions = TopicRanges.partitions(consumer, topic.name(), timeout);
    if (partitions.isEmpty()) {
      return Live.NONE;
    }
    Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, timeout);
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
    List<Position> ours = new ArrayList<>();
    for (TopicPartition tp : partitions) {
      TopicRanges.scan(consumer, tp, begin.get(tp), end.get(tp), timeout, r -> {
        if (r.key() != null && r.value() != null
            && modelName.equals(new String(r.key(), StandardCharsets.UTF_8))) {
          ours.add(new Position(tp, r.offset(), r.timestamp()));
        }
      });
    }
    // one partition in the registry; with more, the newest record time wins (stable: offset order)
    ours.sort(Comparator.comparingLong(Position::timestamp));
    List<String> skipped = new ArrayList<>();
    for (int i = ours.size() - 1; i >= 0; i--) {
      Position p = ours.get(i);
      List<ConsumerRecord<byte[], byte[]>> one =
          TopicRanges.read(consumer, p.tp(), p.offset(), p.offset() + 1, timeout);
      if (one.isEmpty() || one.get(0).value() == null) {
        continue; // compacted away since the scan
      }
      Decoded<ModelRelease> d = topic.valueSerde().decode(one.get(0).value());
      if (d instanceof Decoded.Failed<ModelRelease> f) {
        LOG.warn("skipping unreadable release at {} offset {}: {}", p.tp(), p.offset(), f.reason());
        skipped.add("(undecodable at offset " + p.offset() + ") (" + Rejection.INVALID.wireName() + "): "
            + f.reason());
        continue;
      }
      ModelRelease release = ((Decoded.Ok<ModelRelease>) d).value();
      try {
        if (!modelName.equals(release.modelName())) {
          throw new ReleaseRejectedException(Rejection.INVALID,
              "release is for model " + release.modelName() + " but keyed " + modelName);
        }
        byte[] bytes = verifier.bundleBytes(release.bundle(), release.bundleUri());
        ModelBundle bundle = verifier.verify(claims(release), bytes);
        return new Live(release, bundle, List.copyOf(skipped));
      } catch (ReleaseRejectedException e) {
        LOG.warn("release {} at {} offset {} is not live ({}): {}", release.version(), p.tp(), p.offset(),
            e.reason().wireName(), e.getMessage());
        skipped.add(release.version() + " (" + e.reason().wireName() + "): " + e.getMessage());
      }
    }
    if (!skipped.isEmpty()) {
      LOG.warn("no release of {} passes its checks; {} refused", modelName, skipped.size());
    }
    return new Live(null, null, List.copyOf(skipped));
  }

  /** What {@code release} claims about its bundle, for the shared checks. */
  public static ReleaseClaims claims(ModelRelease release) {
    return new ReleaseClaims(release.modelName(), release.version(), release.createdAt(), release.sha256(),
        release.featureSpecHash(), release.signature(), release.signatureAlgorithm(), release.keyId());
  }

  /**
   * The newest record of {@code modelName} on {@code topic} as written (decoded, not verified);
   * empty when there is none or it does not decode.
   */
  public static Optional<ModelRelease> newestRecord(
      Consumer<byte[], byte[]> consumer,
      TopicSpec<String, ModelRelease> topic,
      String modelName,
      Duration timeout) {
    List<TopicPartition> partitions = TopicRanges.partitions(consumer, topic.name(), timeout);
    if (partitions.isEmpty()) {
      return Optional.empty();
    }
    Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, timeout);
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
    Position[] newest = new Position[1];
    for (TopicPartition tp : partitions) {
      TopicRanges.scan(consumer, tp, begin.get(tp), end.get(tp), timeout, r -> {
        if (r.key() != null && modelName.equals(new String(r.key(), StandardCharsets.UTF_8))
            && (newest[0] == null || r.timestamp() >= newest[0].timestamp())) {
          newest[0] = new Position(tp, r.offset(), r.timestamp());
        }
      });
    }
    return newest[0] == null ? Optional.empty() : readOne(consumer, topic, newest[0], timeout);
  }

  /** Where one version's record is on {@code model-release-history}, and the record without its bundle. */
  public record HistoryEntry(ModelRelease release, TopicPartition tp, long offset) {}

  /**
   * Every release of {@code modelName} on {@code history} (key {@code model/version}), by version
   * (the last record of each), oldest {@code createdAt} first; bundles left out.
   */
  public static List<HistoryEntry> history(
      Consumer<byte[], byte[]> consumer,
      TopicSpec<String, ModelRelease> history,
      String modelName,
      Duration timeout) {
    List<TopicPartition> partitions = TopicRanges.partitions(consumer, history.name(), timeout);
    Map<String, HistoryEntry> byKey = new LinkedHashMap<>();
    if (partitions.isEmpty()) {
      return List.of();
    }
    String prefix = Topics.historyKey(modelName, "");
    Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions, timeout);
    Map<TopicPartition, Long> end = consumer.endOffsets(partitions, timeout);
    for (TopicPartition tp : partitions) {
      TopicRanges.scan(consumer, tp, begin.get(tp), end.get(tp), timeout, r -> {
        String key = r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8);
        if (key == null || !key.startsWith(prefix)) {
          return;
        }
        if (r.value() == null) {
          byKey.remove(key); // a tombstone forgets the version
          return;
        }
        Decoded<ModelRelease> d = history.valueSerde().decode(r.value());
        if (d instanceof Decoded.Ok<ModelRelease> ok && modelName.equals(ok.value().modelName())) {
          byKey.remove(key);
          byKey.put(key, new HistoryEntry(ok.value().withoutBundle(), tp, r.offset()));
        }
      });
    }
    List<HistoryEntry> out = new ArrayList<>(byKey.values());
    out.sort(Comparator.comparingLong(e -> e.release().createdAt()));
    return out;
  }

  /** The whole record (bundle included) of a history entry, read again; empty when compacted away. */
  public static Optional<ModelRelease> read(
      Consumer<byte[], byte[]> consumer,
      TopicSpec<String, ModelRelease> history,
      HistoryEntry entry,
      Duration timeout) {
    return readOne(consumer, history, new Position(entry.tp(), entry.offset(), 0L), timeout);
  }

  private static Optional<ModelRelease> readOne(
      Consumer<byte[], byte[]> consumer, TopicSpec<String, ModelRelease> topic, Position p, Duration timeout) {
    List<ConsumerRecord<byte[], byte[]>> one =
        TopicRanges.read(consumer, p.tp(), p.offset(), p.offset() + 1, timeout);
    if (one.isEmpty() || one.get(0).value() == null) {
      return Optional.empty();
    }
    return topic.valueSerde().decode(one.get(0).value()) instanceof Decoded.Ok<ModelRelease> ok
        ? Optional.of(ok.value()) : Optional.empty();
  }
}
