package io.ctrstream.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.ctrstream.dien.bundle.BundleException;
import io.ctrstream.dien.bundle.Manifest;
import io.ctrstream.dien.bundle.ModelBundle;
import io.ctrstream.dien.release.BundleUriPolicy;
import io.ctrstream.dien.release.Rejection;
import io.ctrstream.dien.release.ReleaseRejectedException;
import io.ctrstream.dien.release.ReleaseSignature;
import io.ctrstream.dien.release.ReleaseVerifier;
import io.ctrstream.dien.release.ServableSpec;
import io.ctrstream.schemas.ModelRelease;
import io.ctrstream.schemas.Topics;
import io.ctrstream.trainer.replay.ClientProperties;
import io.ctrstream.trainer.service.ReleasePublisher;
import io.ctrstream.trainer.service.ReleaseReader;
import io.ctrstream.trainer.service.ReleaseTooLargeException;
import io.ctrstream.trainer.service.TopicRanges;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.time.Duration;
import java.util.Base64;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.RecordMetadata;
import org.apache.kafka.common.KafkaException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * {@code ./ctr release}: lists, shows, publishes, rolls back, pins and unpins model releases.
 *
 * <p>The live model is what every scorer and the trainer serve: the newest record of the model on
 * {@code model-releases} that passes the release checks ({@link ReleaseVerifier}). Every release
 * also lies on the compacted {@code model-release-history} (key {@code model/version}), from which
 * {@code list}, {@code show} and {@code rollback} read. A rollback (or {@code pin V} of a version
 * not live) publishes the old release again: the same version and bundle with a new {@code
 * createdAt}, signed anew with {@code --signing-key}; the scorers' rule "the newest that passes
 * the checks" swaps them to it. A pin is the live record again with {@code pinned: true}: the
 * trainer trains and reports but does not release ({@code pinned}) until {@code unpin}. Every
 * record is checked as the scorers will check it before it is sent; a refused one is not sent.
 *
 * <p>stdout: one JSON document per command. Exit status: 0 done, 1 refused or failed (the reason
 * on stderr), 2 bad arguments.
 */
@Command(
    name = "release",
    mixinStandardHelpOptions = true,
    description = {
      "Model releases: list, show V, publish BUNDLE, rollback [V], pin [V], unpin.",
      "Each record is checked as the scorers check it (bundle place and size, sha256, signature"
          + " with --release-public-key, bundle, feature layout, probe batch) before it is sent.",
      "Exit status: 0 done, 1 refused or failed, 2 bad arguments."
    },
    subcommands = {
      ReleaseCommand.ListReleases.class,
      ReleaseCommand.Show.class,
      ReleaseCommand.Publish.class,
      ReleaseCommand.Rollback.class,
      ReleaseCommand.Pin.class,
      ReleaseCommand.Unpin.class
    })
public final class ReleaseCommand implements Callable<Integer> {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Spec CommandSpec spec;

  @Override
  public Integer call() {
    spec.commandLine().usage(spec.commandLine().getErr());
    return 2;
  }

  /** The options every subcommand takes. */
  static final class Options {
    @Option(names = "--bootstrap-servers", defaultValue = "${env:CTR_BOOTSTRAP_SERVERS}",
        description = "host:port of the cluster. Default: $CTR_BOOTSTRAP_SERVERS.")
    String bootstrapServers;

    @Option(names = "--prefix", defaultValue = "${env:CTR_TOPIC_PREFIX:-}",
        description = "Prefix of every topic name. Default: $CTR_TOPIC_PREFIX, else none.")
    String prefix;

    @Option(names = "--command-config", paramLabel = "FILE",
        description = "Client properties file (security.protocol, sasl.jaas.config, ...).")
    Path commandConfig;

    @Option(names = "--model-name", defaultValue = "dien",
        description = "Model name, the key of its releases. Default: ${DEFAULT-VALUE}.")
    String modelName;

    @Option(names = "--signing-key", paramLabel = "FILE", defaultValue = "${env:CTR_SIGNING_KEY}",
        description = "Ed25519 private key every record sent is signed with."
            + " Default: $CTR_SIGNING_KEY, else unsigned.")
    String signingKey;

    @Option(names = "--release-public-key", paramLabel = "FILE", defaultValue = "${env:CTR_RELEASE_PUBLIC_KEY}",
        description = "The scorers' public key: releases must be signed by it."
            + " Default: $CTR_RELEASE_PUBLIC_KEY, else signatures not checked.")
    String releasePublicKey;

    @Option(names = "--release-uri-allowed", paramLabel = "LIST", defaultValue = "${env:CTR_RELEASE_URI_ALLOWED}",
        description = "As the scorers' release.uri.allowed. Default: $CTR_RELEASE_URI_ALLOWED, else inline only.")
    String releaseUriAllowed;

    @Option(names = "--release-max-bundle-bytes", paramLabel = "N",
        defaultValue = "${env:CTR_RELEASE_MAX_BUNDLE_BYTES:-67108864}",
        description = "As the scorers' release.max.bundle.bytes. Default: ${DEFAULT-VALUE}.")
    long releaseMaxBundleBytes;

    @Option(names = "--history-length", paramLabel = "N", defaultValue = "${env:CTR_HISTORY_LENGTH:-10}",
        description = "As the scorers' history.length (the feature layout they serve). Default: ${DEFAULT-VALUE}.")
    int historyLength;

    @Option(names = "--max-release-bytes", defaultValue = "8388608",
        description = "Largest release record (the producer's max.request.size). Default: ${DEFAULT-VALUE}.")
    int maxReleaseBytes;

    @Option(names = "--timeout", converter = TrainCommand.DurationConverter.class, defaultValue = "30s",
        description = "How long to wait for Kafka. Default: ${DEFAULT-VALUE}.")
    Duration timeout;
  }

  /** A command refused: the reason goes to stderr, exit 1. */
  static final class Refused extends Exception {
    Refused(String message) {
      super(message);
    }
  }

  /** One subcommand: options, the cluster, exit codes. */
  abstract static class Sub implements Callable<Integer> {
    @Mixin Options o;
    @Spec CommandSpec spec;

    abstract Object run(Session s) throws Exception;

    @Override
    public Integer call() {
      PrintWriter err = spec.commandLine().getErr();
      String name = "ctr release " + spec.name();
      if (o.bootstrapServers == null || o.bootstrapServers.isBlank()) {
        err.println(name + ": --bootstrap-servers is required (or set CTR_BOOTSTRAP_SERVERS)");
        return 2;
      }
      Session s;
      try {
        s = new Session(o);
      } catch (IOException | IllegalArgumentException | IllegalStateException e) {
        err.println(name + ": " + e.getMessage());
        return 2;
      }
      try (s) {
        Object result = run(s);
        PrintWriter out = spec.commandLine().getOut();
        out.println(JSON.writeValueAsString(result));
        out.flush();
        return 0;
      } catch (ReleaseRejectedException e) {
        err.println(name + ": refused (" + e.reason().wireName() + "): " + e.getMessage());
        return 1;
      } catch (Refused | ReleaseTooLargeException e) {
        err.println(name + ": refused: " + e.getMessage());
        return 1;
      } catch (JsonProcessingException e) {
        err.println(name + ": " + e.getMessage());
        return 1;
      } catch (Exception e) {
        err.println(name + ": failed: " + e);
        return 1;
      } finally {
        err.flush();
      }
    }
  }

  /** The cluster, the checks and the key of one command. */
  static final class Session implements AutoCloseable {
    final Options o;
    final Topics topics;
    final Map<String, Object> client;
    final ReleaseVerifier verifier;
    final PrivateKey signingKey;
    final String keyId;
    final KafkaConsumer<byte[], byte[]> consumer;

    Session(Options o) throws IOException {
      this.o = o;
      this.topics = Topics.builder().optPrefix(o.prefix == null ? "" : o.prefix)
          .optMaxReleaseBytes(Math.max(1 << 20, o.maxReleaseBytes)).build();
      Map<String, Object> c = new HashMap<>();
      if (o.commandConfig != null) {
        c.putAll(ClientProperties.load(o.commandConfig));
      }
      c.put("bootstrap.servers", o.bootstrapServers);
      this.client = c;
      PublicKey publicKey = blank(o.releasePublicKey) ? null
          : ReleaseSignature.readPublicKey(Path.of(o.releasePublicKey.trim()));
      this.signingKey = blank(o.signingKey) ? null : ReleaseSignature.readPrivateKey(Path.of(o.signingKey.trim()));
      this.keyId = publicKey == null ? null : ReleaseSignature.keyId(publicKey);
      this.verifier = ReleaseVerifier.builder()
          .setServable(new ServableSpec(o.historyLength))
          .optPublicKey(publicKey)
          .optUriPolicy(BundleUriPolicy.parse(blank(o.releaseUriAllowed) ? "" : o.releaseUriAllowed.trim()))
          .optMaxBundleBytes(o.releaseMaxBundleBytes)
          .build();
      this.consumer = TopicRanges.consumer(client);
    }

    private static boolean blank(String s) {
      return s == null || s.isBlank();
    }

    /** The live release as the scorers decide it now. */
    ReleaseReader.Live live() {
      return ReleaseReader.newestThatLoads(consumer, topics.modelReleases(), o.modelName, verifier, o.timeout);
    }

    List<ReleaseReader.HistoryEntry> history() {
      return ReleaseReader.history(consumer, topics.modelReleaseHistory(), o.modelName, o.timeout);
    }

    /** The whole record of {@code version} from the history. */
    ModelRelease fromHistory(String version) throws Refused {
      for (ReleaseReader.HistoryEntry e : history()) {
        if (e.release().version().equals(version)) {
          return ReleaseReader.read(consumer, topics.modelReleaseHistory(), e, o.timeout)
              .orElseThrow(() -> new Refused("release " + version + " is no longer readable on "
                  + topics.modelReleaseHistory().name()));
        }
      }
      throw new Refused("no release " + version + " of " + o.modelName + " on " + topics.modelReleaseHistory().name()
          + "; `ctr release list` shows those there are");
    }

    /** {@code r} signed with the signing key (unsigned without one). */
    ModelRelease sign(ModelRelease r) {
      if (signingKey == null) {
        return r;
      }
      return r.withSignature(ReleaseSignature.sign(ReleaseReader.claims(r), signingKey), ReleaseSignature.ALGORITHM,
          keyId);
    }

    /** Every check a scorer makes. */
    ModelBundle verify(ModelRelease r) throws ReleaseRejectedException {
      List<String> invalid = r.validate();
      if (!invalid.isEmpty()) {
        throw new ReleaseRejectedException(Rejection.INVALID, String.join("; ", invalid));
      }
      return verifier.verify(ReleaseReader.claims(r), verifier.bundleBytes(r.bundle(), r.bundleUri()));
    }

    RecordMetadata publish(ModelRelease r) throws ReleaseTooLargeException {
      return new ReleasePublisher(client, topics.modelReleases(), topics.modelReleaseHistory(),
          topics.prefix() + "ctr-release-" + o.modelName, o.maxReleaseBytes, true, o.timeout).publish(r);
    }

    /** Checks, sends, and says what was done. */
    Map<String, Object> checkAndPublish(String action, ModelRelease r, String previous)
        throws ReleaseRejectedException, ReleaseTooLargeException {
      verify(r);
      RecordMetadata meta = publish(r);
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("action", action);
      m.put("model", r.modelName());
      m.put("version", r.version());
      m.put("previous", previous);
      m.put("pinned", r.markedPinned());
      m.put("signed", r.signature() != null);
      m.put("createdAt", r.createdAt());
      m.put("topic", meta.topic());
      m.put("offset", meta.offset());
      return m;
    }

    @Override
    public void close() {
      consumer.close(Duration.ofSeconds(5));
    }
  }

  private static Map<String, Object> describe(ModelRelease r) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("version", r.version());
    m.put("parent", r.parentVersion());
    m.put("createdAt", r.createdAt());
    m.put("sha256", r.sha256());
    m.put("featureSpecHash", r.featureSpecHash());
    m.put("signed", r.signature() != null);
    m.put("keyId", r.keyId());
    m.put("bundleUri", r.bundleUri());
    m.put("metrics", r.metrics());
    return m;
  }

  private static String liveVersion(ReleaseReader.Live live) {
    return live.present() ? live.release().version() : null;
  }

  @Command(name = "list", mixinStandardHelpOptions = true,
      description = "Every release of the model kept on model-release-history, oldest first, and which is live.")
  static final class ListReleases extends Sub {
    @Override
    Object run(Session s) {
      ReleaseReader.Live live = s.live();
      Map<String, Object> out = new LinkedHashMap<>();
      out.put("model", s.o.modelName);
      out.put("live", liveVersion(live));
      out.put("pinned", live.present() && live.release().markedPinned());
      if (!live.skipped().isEmpty()) {
        out.put("refused", live.skipped());
      }
      List<Map<String, Object>> releases = s.history().stream().map(e -> {
        Map<String, Object> m = describe(e.release());
        m.put("live", e.release().version().equals(liveVersion(live)));
        return m;
      }).toList();
      out.put("releases", releases);
      return out;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "One release: its record and its bundle's manifest.")
  static final class Show extends Sub {
    @Parameters(paramLabel = "VERSION", description = "The version.")
    String version;

    @Override
    Object run(Session s) throws Refused {
      ModelRelease r = s.fromHistory(version);
      Map<String, Object> m = describe(r);
      ReleaseReader.Live live = s.live();
      m.put("live", version.equals(liveVersion(live)));
      m.put("pinned", version.equals(liveVersion(live)) && live.release().markedPinned());
      if (r.bundle() != null) {
        byte[] bytes = r.bundleBytes();
        m.put("bundleBytes", bytes.length);
        try {
          m.put("manifest", ModelBundle.fromBytes(bytes, s.verifier.maxUnpackedBytes()).manifest());
        } catch (BundleException e) {
          m.put("manifest", null);
          m.put("problem", e.getMessage());
        }
      }
      return m;
    }
  }

  @Command(name = "publish", mixinStandardHelpOptions = true,
      description = {"Release a bundle file (model.bundle of `ctr experiment`, or any bundle of this model).",
          "Its version and model name come from the bundle; a version already released with another bundle is refused."})
  static final class Publish extends Sub {
    @Parameters(paramLabel = "BUNDLE", description = "The bundle file.")
    Path file;

    @Override
    Object run(Session s) throws Exception {
      if (!Files.isRegularFile(file)) {
        throw new Refused("no bundle file " + file);
      }
      byte[] bytes = Files.readAllBytes(file);
      if (bytes.length > s.verifier.maxBundleBytes()) {
        throw new ReleaseRejectedException(Rejection.TOO_LARGE, file + " is " + bytes.length
            + " bytes, over the limit of " + s.verifier.maxBundleBytes() + " (--release-max-bundle-bytes)");
      }
      ModelBundle bundle;
      try {
        bundle = ModelBundle.fromBytes(bytes, s.verifier.maxUnpackedBytes());
      } catch (BundleException e) {
        throw new ReleaseRejectedException(Rejection.CORRUPT, file + " is not a usable bundle: " + e.getMessage(), e);
      }
      Manifest mf = bundle.manifest();
      if (!mf.modelName().equals(s.o.modelName)) {
        throw new Refused(file + " is a bundle of model " + mf.modelName() + ", not " + s.o.modelName
            + " (--model-name)");
      }
      String sha = ReleaseVerifier.sha256Hex(bytes);
      for (ReleaseReader.HistoryEntry e : s.history()) {
        if (e.release().version().equals(mf.version()) && !e.release().sha256().equals(sha)) {
          throw new Refused("version " + mf.version() + " was already released with another bundle (sha256 "
              + e.release().sha256() + "); build the bundle under a new version");
        }
      }
      ReleaseReader.Live live = s.live();
      Map<String, Double> metrics = new LinkedHashMap<>();
      mf.metrics().forEach((k, v) -> {
        if (v != null && Double.isFinite(v)) {
          metrics.put(k, v);
        }
      });
      ModelRelease r = new ModelRelease(mf.modelName(), mf.version(),
          mf.parentVersion() != null ? mf.parentVersion() : liveVersion(live),
          System.currentTimeMillis(), sha, mf.featureSpecHash(), metrics,
          Base64.getEncoder().encodeToString(bytes), null);
      r = s.sign(r).withPinned(live.present() && live.release().markedPinned());
      return s.checkAndPublish("publish", r, liveVersion(live));
    }
  }

  @Command(name = "rollback", mixinStandardHelpOptions = true,
      description = {"Serve an earlier release again: VERSION, or without one the live release's parent.",
          "The release is published again (same version and bundle, a new createdAt, signed anew with"
              + " --signing-key); every scorer swaps to it within seconds. A pin stays."})
  static final class Rollback extends Sub {
    @Parameters(paramLabel = "VERSION", arity = "0..1", description = "The version (default: the live one's parent).")
    String version;

    @Override
    Object run(Session s) throws Exception {
      ReleaseReader.Live live = s.live();
      String target = version;
      if (target == null) {
        if (!live.present()) {
          throw new Refused("no live release of " + s.o.modelName + " to roll back from");
        }
        target = live.release().parentVersion();
        if (target == null) {
          throw new Refused("live release " + live.release().version() + " has no parent; name a VERSION");
        }
      }
      boolean pinned = live.present() && live.release().markedPinned();
      return republish(s, "rollback", target, pinned, live);
    }
  }

  /** Publishes {@code version} from the history again, now, pinned or not. */
  static Map<String, Object> republish(Session s, String action, String version, boolean pinned,
      ReleaseReader.Live live) throws Exception {
    if (version.equals(liveVersion(live))) {
      throw new Refused(version + " is already live");
    }
    ModelRelease old = s.fromHistory(version);
    ModelRelease r = s.sign(old.republishedAt(Math.max(System.currentTimeMillis(),
        live.present() ? live.release().createdAt() + 1 : 0L))).withPinned(pinned);
    return s.checkAndPublish(action, r, liveVersion(live));
  }

  @Command(name = "pin", mixinStandardHelpOptions = true,
      description = {"Pin the live release (or VERSION, rolled back to first): the trainer trains and reports"
          + " but does not replace it until `ctr release unpin`."})
  static final class Pin extends Sub {
    @Parameters(paramLabel = "VERSION", arity = "0..1", description = "The version (default: the live one).")
    String version;

    @Override
    Object run(Session s) throws Exception {
      ReleaseReader.Live live = s.live();
      if (version != null && !version.equals(liveVersion(live))) {
        return republish(s, "pin", version, true, live);
      }
      if (!live.present()) {
        throw new Refused("no live release of " + s.o.modelName + " to pin");
      }
      // the live record as it is (signature and createdAt kept), with the flag
      return s.checkAndPublish("pin", live.release().withPinned(true), live.release().version());
    }
  }

  @Command(name = "unpin", mixinStandardHelpOptions = true,
      description = "Lift the pin: the trainer may release again.")
  static final class Unpin extends Sub {
    @Override
    Object run(Session s) throws Exception {
      ReleaseReader.Live live = s.live();
      if (!live.present()) {
        throw new Refused("no live release of " + s.o.modelName);
      }
      if (!live.release().markedPinned()) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("action", "unpin");
        m.put("model", s.o.modelName);
        m.put("version", live.release().version());
        m.put("pinned", false);
        m.put("note", "was not pinned; nothing sent");
        return m;
      }
      return s.checkAndPublish("unpin", live.release().withPinned(false), live.release().version());
    }
  }
}
