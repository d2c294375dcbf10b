package io.ctrstream.schemas;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Proves that the JSON Schemas and the Java records say the same thing: every valid example
 * passes the schema and the record's validate(), and round-trips through the serde without
 * losing a field; every invalid example is rejected by the schema AND by the serde.
 */
class ContractExamplesTest {
  private static final Topics TOPICS = Topics.defaults();
  private static final Map<String, JsonSchema> SCHEMAS = new HashMap<>();

  static Stream<Arguments> validExamples() throws IOException {
    return examples("valid-");
  }

  static Stream<Arguments> invalidExamples() throws IOException {
    return examples("invalid-");
  }

  @Test
  void everyTopicHasASchemaAndBothKindsOfExamples() throws IOException {
    for (TopicSpec<String, ?> topic : TOPICS.all()) {
      assertThat(ContractExamplesTest.class.getResource(topic.schemaResource()))
          .as("schema of %s", topic.logicalName())
          .isNotNull();
      List<Path> files = files(topic);
      assertThat(files).as("valid examples of %s", topic.logicalName())
          .anyMatch(p -> p.getFileName().toString().startsWith("valid-"));
      assertThat(files).as("invalid examples of %s", topic.logicalName())
          .anyMatch(p -> p.getFileName().toString().startsWith("invalid-"));
    }
  }

  @ParameterizedTest(name = "{0}/{1}")
  @MethodSource("validExamples")
  void validExampleRoundTripsAndPassesSchemaAndRecord(String topicName, String file, byte[] bytes)
      throws IOException {
    TopicSpec<String, ?> topic = TOPICS.byName(topicName).orElseThrow();
    JsonNode original = Json.mapper().readTree(bytes);

    assertThat(schemaErrors(topic, original)).as("schema errors").isEmpty();
    assertThat(roundTrip(topic, bytes, original)).isTrue();
  }

  private <V> boolean roundTrip(TopicSpec<String, V> topic, byte[] bytes, JsonNode original)
      throws IOException {
    Decoded<V> decoded = topic.valueSerde().decode(bytes);
    assertThat(decoded).as("serde decode").isInstanceOf(Decoded.Ok.class);
    V value = ((Decoded.Ok<V>) decoded).value();
    assertThat(((WireValue) value).validate()).as("record validate()").isEmpty();

    byte[] written = topic.valueSerde().serializer().serialize(topic.name(), value);
    V reread = topic.valueSerde().deserializer().deserialize(topic.name(), written);
    assertThat(reread).as("re-read value").isEqualTo(value);

    JsonNode rewritten = Json.mapper().readTree(written);
    assertThat(schemaErrors(topic, rewritten)).as("schema errors of the re-written JSON").isEmpty();
    // Same document up to nulls that stand for absent fields and 5 vs 5.0.
    assertThat(withoutNulls(rewritten).equals(NUMERIC, withoutNulls(original)))
        .as("re-written %s equals original %s", rewritten, original)
        .isTrue();
    return true;
  }

  @ParameterizedTest(name = "{0}/{1}")
  @MethodSource("invalidExamples")
  void invalidExampleIsRejectedBySchemaAndSerde(String topicName, String file, byte[] bytes) {
    TopicSpec<String, ?> topic = TOPICS.byName(topicName).orElseThrow();

    JsonNode tree;
    try {
      tree = Json.mapper().readTree(bytes);
    } catch (IOException e) {
      tree = null; // not one JSON document: no schema can accept it
    }
    if (tree != null) {
      assertThat(schemaErrors(topic, tree)).as("schema errors").isNotEmpty();
    }
    Decoded<?> decoded = topic.valueSerde().decode(bytes);
    assertThat(decoded).as("serde decode").isInstanceOf(Decoded.Failed.class);
    assertThat(((Decoded.Failed<?>) decoded).reason()).isNotBlank();
  }

  private static Set<ValidationMessage> schemaErrors(TopicSpec<String, ?> topic, JsonNode node) {
    return SCHEMAS.computeIfAbsent(topic.logicalName(), n -> loadSchema(topic)).validate(node);
  }

  private static JsonSchema loadSchema(TopicSpec<String, ?> topic) {
    try (InputStream in = ContractExamplesTest.class.getResourceAsStream(topic.schemaResource())) {
      String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(text);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Stream<Arguments> examples(String prefix) throws IOException {
    List<Arguments> out = new ArrayList<>();
    for (TopicSpec<String, ?> topic : TOPICS.all()) {
      for (Path p : files(topic)) {
        String file = p.getFileName().toString();
        if (file.startsWith(prefix)) {
          out.add(Arguments.of(topic.name(), file, Files.readAllBytes(p)));
        }
      }
    }
    return out.stream();
  }

  private static List<Path> files(TopicSpec<String, ?> topic) throws IOException {
    URL dir = ContractExamplesTest.class.getResource(topic.examplesResource());
    if (dir == null) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(Path.of(dir.toURI()))) {
      return s.sorted().toList();
    } catch (URISyntaxException e) {
      throw new IOException(e);
    }
  }

  private static JsonNode withoutNulls(JsonNode node) {
    if (node instanceof ObjectNode obj) {
      ObjectNode copy = Json.mapper().createObjectNode();
      for (Map.Entry<String, JsonNode> e : obj.properties()) {
        if (!e.getValue().isNull()) {
          copy.set(e.getKey(), withoutNulls(e.getValue()));
        }
      }
      return copy;
    }
    return node;
  }

  private static final Comparator<JsonNode> NUMERIC =
      (a, b) -> {
        if (a.isNumber() && b.isNumber()) {
          return Double.compare(a.doubleValue(), b.doubleValue());
        }
        return a.equals(b) ? 0 : 1;
      };
}
