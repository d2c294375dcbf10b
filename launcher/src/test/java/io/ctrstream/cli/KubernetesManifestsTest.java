package io.ctrstream.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import io.ctrstream.streams.config.ScorerConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.ParseResult;

/**
 * Checks the manifests of {@code deploy/kubernetes} against the app they deploy: every YAML
 * document parses, the kustomization lists every file, the scorer's environment (ConfigMap, pod
 * env with the downward API filled in) loads into a valid {@link ScorerConfig} whose port, state
 * directory, instance id and advertised host agree with the container's port, probes, volume and
 * headless service, the PodDisruptionBudget and the services select the scorer's pods, the memory
 * limit covers heap and RocksDB, and the trainer's command parses with the {@code train} command's
 * own options.
 */
class KubernetesManifestsTest {
  private static final Pattern VAR_REF = Pattern.compile("\\$\\(([A-Za-z_][A-Za-z0-9_]*)\\)");
  private static final Pattern SHELL_VAR = Pattern.compile("\\$\\{?([A-Z_][A-Z0-9_]*)");
  private static final Pattern ENV_DEFAULT = Pattern.compile("\\$\\{env:([A-Z_][A-Z0-9_]*)");
  private static final long MIB = 1L << 20;

  private static Path dir;
  private static final Map<String, JsonNode> byKindAndName = new LinkedHashMap<>();
  private static final List<String> files = new ArrayList<>();

  @BeforeAll
  static void parseEveryDocument() throws IOException {
    dir = root().resolve("deploy/kubernetes");
    byKindAndName.clear();
    files.clear();
    ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
    try (Stream<Path> s = Files.list(dir)) {
      for (Path f : s.filter(p -> p.toString().endsWith(".yaml")).sorted().toList()) {
        files.add(f.getFileName().toString());
        if (f.getFileName().toString().equals("kustomization.yaml")) {
          continue;
        }
        try (YAMLParser p = new YAMLFactory().createParser(f.toFile())) {
          for (JsonNode doc : yaml.readValues(p, JsonNode.class).readAll()) {
            assertThat(doc.path("apiVersion").asText()).as(f.toString()).isNotBlank();
            String key = doc.path("kind").asText() + "/" + doc.path("metadata").path("name").asText();
            assertThat(doc.path("metadata").has("namespace")).as("%s is namespace-agnostic", key).isFalse();
            assertThat(byKindAndName.put(key, doc)).as("%s defined once", key).isNull();
          }
        }
      }
    }
  }

  @Test
  void kustomizationListsEveryManifest() throws IOException {
    JsonNode k = new ObjectMapper(new YAMLFactory()).readTree(dir.resolve("kustomization.yaml").toFile());
    assertThat(k.path("kind").asText()).isEqualTo("Kustomization");
    assertThat(k.has("namespace")).isFalse();
    List<String> resources = new ArrayList<>();
    k.path("resources").forEach(r -> resources.add(r.asText()));
    List<String> manifests = new ArrayList<>(files);
    manifests.remove("kustomization.yaml");
    assertThat(resources).containsExactlyInAnyOrderElementsOf(manifests);
    assertThat(byKindAndName.keySet()).containsExactlyInAnyOrder(
        "ConfigMap/ctr-scorer", "Service/ctr-scorer-headless", "Service/ctr-scorer",
        "StatefulSet/ctr-scorer", "PodDisruptionBudget/ctr-scorer", "Deployment/ctr-trainer");
  }

  @Test
  void scorerEnvironmentIsMadeOfRealSettingsAndLoads() throws IOException {
    Set<String> settings = new TreeSet<>();
    ScorerConfig.SETTINGS.forEach(s -> settings.add(s.envName()));
    Set<String> imageReads = imageEntrypointVariables();
    assertThat(imageReads).contains("JAVA_OPTS", "CTR_TORCH_THREADS");

    JsonNode configMap = doc("ConfigMap/ctr-scorer");
    configMap.path("data").fieldNames().forEachRemaining(name ->
        assertThat(settings).as("ConfigMap key %s is a scorer setting", name).contains(name));

    JsonNode container = scorerContainer();
    assertThat(container.path("envFrom").get(0).path("configMapRef").path("name").asText()).isEqualTo("ctr-scorer");
    Set<String> defined = new TreeSet<>();
    configMap.path("data").fieldNames().forEachRemaining(defined::add);
    for (JsonNode e : container.path("env")) {
      String name = e.path("name").asText();
      if (e.has("valueFrom")) {
        assertThat(name).as("downward API variables").isIn("POD_NAME", "POD_NAMESPACE");
      } else if (name.startsWith("CTR_") && !imageReads.contains(name)) {
        assertThat(settings).as("env %s is a scorer setting", name).contains(name);
      } else {
        assertThat(imageReads).as("env %s is read by the image's entrypoint", name).contains(name);
      }
      Matcher m = VAR_REF.matcher(e.path("value").asText());
      while (m.find()) {
        assertThat(defined).as("$(%s) in %s is defined before it", m.group(1), name).contains(m.group(1));
      }
      defined.add(name);
    }

    ScorerConfig config = ScorerConfig.load(null, scorerEnv("ctr-scorer-0", "ctr"));
    assertThat(config.httpHost()).isEqualTo("0.0.0.0");
    assertThat(config.instanceId()).as("static membership by pod name").isEqualTo("ctr-scorer-0");
    assertThat(config.httpAdvertisedHost()).isEqualTo("ctr-scorer-0.ctr-scorer-headless.ctr.svc");
    assertThat(config.processingGuarantee()).isEqualTo("exactly_once_v2");
    assertThat(config.standbyReplicas()).isGreaterThanOrEqualTo(1);
  }

  @Test
  void probesPortsAndStateVolumeMatchTheScorerSettings() throws IOException {
    ScorerConfig config = ScorerConfig.load(null, scorerEnv("ctr-scorer-1", "ns"));
    JsonNode sts = doc("StatefulSet/ctr-scorer");
    JsonNode container = scorerContainer();
    assertThat(container.path("args").toString()).isEqualTo("[\"serve\"]");
    assertThat(port(container, "http")).isEqualTo(config.httpPort());

    Map<String, String> probes = Map.of("livenessProbe", "/health/live", "readinessProbe", "/health/ready",
        "startupProbe", "/health/live");
    probes.forEach((probe, path) -> {
      JsonNode get = container.path(probe).path("httpGet");
      assertThat(get.path("path").asText()).as(probe).isEqualTo(path);
      assertThat(resolvePort(container, get.path("port"))).as("%s port", probe).isEqualTo(config.httpPort());
      assertThat(container.path(probe).path("periodSeconds").asInt()).as(probe).isBetween(5, 60);
    });
    JsonNode startup = container.path("startupProbe");
    assertThat(startup.path("periodSeconds").asInt() * startup.path("failureThreshold").asInt())
        .as("seconds a start (release catch-up included) may take").isGreaterThanOrEqualTo(300);

    JsonNode pod = sts.path("spec").path("template");
    assertThat(pod.path("metadata").path("annotations").path("prometheus.io/port").asText())
        .isEqualTo(Integer.toString(config.httpPort()));
    assertThat(pod.path("metadata").path("annotations").path("prometheus.io/path").asText()).isEqualTo("/metrics");
    // Kafka Streams closes within 30 s (ScorerApp.close), then producers and the follower.
    assertThat(pod.path("spec").path("terminationGracePeriodSeconds").asInt()).isGreaterThanOrEqualTo(90);

    JsonNode claim = sts.path("spec").path("volumeClaimTemplates").get(0);
    String claimName = claim.path("metadata").path("name").asText();
    assertThat(claim.path("spec").path("accessModes").toString()).isEqualTo("[\"ReadWriteOnce\"]");
    List<String> stateMounts = new ArrayList<>();
    container.path("volumeMounts").forEach(m -> {
      if (m.path("name").asText().equals(claimName)) {
        stateMounts.add(m.path("mountPath").asText());
      }
    });
    assertThat(stateMounts).as("the claim is mounted at state.dir").containsExactly(config.stateDir());
    for (JsonNode v : pod.path("spec").path("volumes")) {
      assertThat(v.path("secret").path("optional").asBoolean()).as("secret %s is optional", v.path("name")).isTrue();
    }

    // Memory limit >= heap + RocksDB + 512 MiB for PyTorch, metaspace and stacks.
    long limit = quantity(container.path("resources").path("limits").path("memory").asText());
    assertThat(limit).isEqualTo(quantity(container.path("resources").path("requests").path("memory").asText()));
    assertThat(limit).isGreaterThanOrEqualTo(heapBytes(envValue(container, "JAVA_OPTS"))
        + config.rocksDbMemoryBytes() + 512 * MIB);
  }

  @Test
  void servicesAndDisruptionBudgetSelectTheScorerPods() {
    JsonNode sts = doc("StatefulSet/ctr-scorer");
    JsonNode podLabels = sts.path("spec").path("template").path("metadata").path("labels");
    assertThat(sts.path("spec").path("selector").path("matchLabels")).isEqualTo(podLabels);
    assertThat(sts.path("spec").path("podManagementPolicy").asText()).isEqualTo("Parallel");

    String serviceName = sts.path("spec").path("serviceName").asText();
    JsonNode headless = doc("Service/" + serviceName);
    assertThat(headless.path("spec").path("clusterIP").asText()).isEqualTo("None");
    assertThat(headless.path("spec").path("publishNotReadyAddresses").asBoolean()).isTrue();
    assertThat(envValue(scorerContainer(), "CTR_HTTP_ADVERTISED_HOST")).contains("." + serviceName + ".");
    for (JsonNode svc : List.of(headless, doc("Service/ctr-scorer"))) {
      assertThat(svc.path("spec").path("selector")).isEqualTo(podLabels);
      assertThat(resolvePort(scorerContainer(), svc.path("spec").path("ports").get(0).path("targetPort")))
          .isEqualTo(port(scorerContainer(), "http"));
    }

    JsonNode pdb = doc("PodDisruptionBudget/ctr-scorer");
    assertThat(pdb.path("apiVersion").asText()).isEqualTo("policy/v1");
    assertThat(pdb.path("spec").path("maxUnavailable").asInt()).isEqualTo(1);
    assertThat(pdb.path("spec").path("selector").path("matchLabels")).isEqualTo(podLabels);
    JsonNode trainerLabels = doc("Deployment/ctr-trainer").path("spec").path("template").path("metadata").path("labels");
    assertThat(trainerLabels).as("the trainer is not a scorer pod").isNotEqualTo(podLabels);
  }

  @Test
  void trainerIsOneRecreatedPodWhoseCommandParses() throws IOException {
    JsonNode deployment = doc("Deployment/ctr-trainer");
    assertThat(deployment.path("spec").path("replicas").asInt()).isEqualTo(1);
    assertThat(deployment.path("spec").path("strategy").path("type").asText()).isEqualTo("Recreate");
    JsonNode pod = deployment.path("spec").path("template");
    assertThat(pod.path("spec").path("containers")).hasSize(1);
    JsonNode container = pod.path("spec").path("containers").get(0);
    assertThat(container.path("image").asText()).isEqualTo(scorerContainer().path("image").asText());

    Map<String, String> env = new HashMap<>();
    JsonNode configMap = doc("ConfigMap/ctr-scorer");
    // Without interpolation the defaults say which variables they come from (${env:CTR_...}).
    CommandSpec train = Ctr.commandLine().setInterpolateVariables(false).getSubcommands().get("train").getCommandSpec();
    Set<String> trainReads = new TreeSet<>(imageEntrypointVariables());
    for (OptionSpec o : train.options()) {
      Matcher m = ENV_DEFAULT.matcher(String.valueOf(o.defaultValue()));
      while (m.find()) {
        trainReads.add(m.group(1));
      }
    }
    String args = container.path("args").toString();
    for (JsonNode e : container.path("env")) {
      String name = e.path("name").asText();
      assertThat(trainReads.contains(name) || args.contains("$(" + name + ")"))
          .as("env %s is read by train or used in its args", name).isTrue();
      JsonNode ref = e.path("valueFrom").path("configMapKeyRef");
      if (!ref.isMissingNode()) {
        assertThat(ref.path("name").asText()).isEqualTo("ctr-scorer");
        assertThat(configMap.path("data").has(ref.path("key").asText())).as(name).isTrue();
        env.put(name, configMap.path("data").path(ref.path("key").asText()).asText());
      } else {
        env.put(name, e.path("value").asText());
      }
    }

    List<String> argv = new ArrayList<>();
    for (JsonNode a : container.path("args")) {
      Matcher m = VAR_REF.matcher(a.asText());
      StringBuilder sb = new StringBuilder();
      while (m.find()) {
        assertThat(env).as("$(%s) is defined", m.group(1)).containsKey(m.group(1));
        m.appendReplacement(sb, Matcher.quoteReplacement(env.get(m.group(1))));
      }
      m.appendTail(sb);
      argv.add(sb.toString());
    }
    ParseResult parsed = Ctr.commandLine().parseArgs(argv.toArray(String[]::new));
    assertThat(parsed.subcommand().commandSpec().name()).isEqualTo("train");
    ParseResult t = parsed.subcommand();
    assertThat(t.hasMatchedOption("--every")).isTrue();
    assertThat(t.hasMatchedOption("--once")).isFalse();
    int metricsPort = t.matchedOptionValue("--metrics-port", -1);
    assertThat(metricsPort).isEqualTo(port(container, "metrics"));
    assertThat(t.matchedOptionValue("--metrics-host", "")).isEqualTo("0.0.0.0");
    assertThat(pod.path("metadata").path("annotations").path("prometheus.io/port").asText())
        .isEqualTo(Integer.toString(metricsPort));
    assertThat(container.path("livenessProbe").path("httpGet").path("path").asText()).isEqualTo("/metrics");
    assertThat(resolvePort(container, container.path("livenessProbe").path("httpGet").path("port")))
        .isEqualTo(metricsPort);
    String reports = t.matchedOptionValue("--reports", Path.of("")).toString();
    assertThat(container.path("volumeMounts").findValuesAsText("mountPath")).contains(reports);
    for (JsonNode v : pod.path("spec").path("volumes")) {
      if (v.has("secret")) {
        assertThat(v.path("secret").path("optional").asBoolean()).as("secret %s is optional", v.path("name")).isTrue();
      }
    }
  }

  @Test
  void imageIsTheOneDockerComposeBuilds() throws IOException {
    JsonNode compose = new ObjectMapper(new YAMLFactory()).readTree(root().resolve("docker-compose.yml").toFile());
    // The scorer's image comes through the x-ctr-service anchor (Jackson does not expand "<<").
    String image = compose.path("x-ctr-service").path("image").asText();
    Matcher m = Pattern.compile("\\$\\{CTR_IMAGE:-(.+)}").matcher(image);
    assertThat(m.matches()).as(image).isTrue();
    assertThat(scorerContainer().path("image").asText()).isEqualTo(m.group(1));
  }

  @Test
  void heapAndQuantitiesAreRead() {
    assertThat(heapBytes("-Xms1g -Xmx1536m -XX:+ExitOnOutOfMemoryError")).isEqualTo(1536 * MIB);
    assertThat(heapBytes("-Xmx2g")).isEqualTo(2048 * MIB);
    assertThat(quantity("3Gi")).isEqualTo(3072 * MIB);
    assertThat(quantity("512Mi")).isEqualTo(512 * MIB);
  }

  /** The scorer's environment as Kubernetes builds it: ConfigMap, then env with $(VAR) expanded. */
  private static Map<String, String> scorerEnv(String podName, String namespace) {
    Map<String, String> env = new LinkedHashMap<>();
    doc("ConfigMap/ctr-scorer").path("data").fields().forEachRemaining(f -> env.put(f.getKey(), f.getValue().asText()));
    for (JsonNode e : scorerContainer().path("env")) {
      String name = e.path("name").asText();
      String field = e.path("valueFrom").path("fieldRef").path("fieldPath").asText();
      String value = switch (field) {
        case "metadata.name" -> podName;
        case "metadata.namespace" -> namespace;
        default -> e.path("value").asText();
      };
      Matcher m = VAR_REF.matcher(value);
      StringBuilder sb = new StringBuilder();
      while (m.find()) {
        m.appendReplacement(sb, Matcher.quoteReplacement(env.getOrDefault(m.group(1), m.group())));
      }
      m.appendTail(sb);
      env.put(name, sb.toString());
    }
    return env;
  }

  /** Variables the image's entrypoint reads ($JAVA_OPTS, $CTR_TORCH_THREADS). */
  private static Set<String> imageEntrypointVariables() throws IOException {
    Set<String> names = new TreeSet<>();
    for (String line : Files.readAllLines(root().resolve("docker/ctr.Dockerfile"))) {
      if (line.startsWith("ENTRYPOINT")) {
        Matcher m = SHELL_VAR.matcher(line);
        while (m.find()) {
          names.add(m.group(1));
        }
      }
    }
    return names;
  }

  private static JsonNode scorerContainer() {
    JsonNode containers = doc("StatefulSet/ctr-scorer").path("spec").path("template").path("spec").path("containers");
    assertThat(containers).hasSize(1);
    return containers.get(0);
  }

  private static JsonNode doc(String kindAndName) {
    assertThat(byKindAndName).containsKey(kindAndName);
    return byKindAndName.get(kindAndName);
  }

  private static String envValue(JsonNode container, String name) {
    for (JsonNode e : container.path("env")) {
      if (e.path("name").asText().equals(name)) {
        return e.path("value").asText();
      }
    }
    throw new AssertionError("no env " + name);
  }

  private static int port(JsonNode container, String name) {
    for (JsonNode p : container.path("ports")) {
      if (p.path("name").asText().equals(name)) {
        return p.path("containerPort").asInt();
      }
    }
    throw new AssertionError("no container port named " + name);
  }

  private static int resolvePort(JsonNode container, JsonNode port) {
    return port.isInt() ? port.asInt() : port(container, port.asText());
  }

  static long heapBytes(String javaOpts) {
    Matcher m = Pattern.compile("-Xmx([0-9]+)([kKmMgG])").matcher(javaOpts);
    assertThat(m.find()).as("JAVA_OPTS sets -Xmx: %s", javaOpts).isTrue();
    long n = Long.parseLong(m.group(1));
    return switch (Character.toLowerCase(m.group(2).charAt(0))) {
      case 'k' -> n << 10;
      case 'm' -> n << 20;
      default -> n << 30;
    };
  }

  static long quantity(String q) {
    Matcher m = Pattern.compile("([0-9]+)(Ki|Mi|Gi)").matcher(q);
    assertThat(m.matches()).as("binary quantity: %s", q).isTrue();
    long n = Long.parseLong(m.group(1));
    return switch (m.group(2)) {
      case "Ki" -> n << 10;
      case "Mi" -> n << 20;
      default -> n << 30;
    };
  }

  private static Path root() {
    Path d = Path.of("").toAbsolutePath();
    while (d != null && !Files.exists(d.resolve("docker-compose.yml"))) {
      d = d.getParent();
    }
    assertThat(d).as("no docker-compose.yml above %s", Path.of("").toAbsolutePath()).isNotNull();
    return d;
  }
}
