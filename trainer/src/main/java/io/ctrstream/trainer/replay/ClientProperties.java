package io.ctrstream.trainer.replay;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * Kafka client properties from a file, the {@code --command-config} convention of Kafka's own
 * tools: {@code security.protocol=SASL_SSL}, {@code sasl.mechanism}, {@code sasl.jaas.config},
 * {@code ssl.truststore.location}, ... They apply to every client the replayer opens (producer
 * and admin).
 */
public final class ClientProperties {

  private ClientProperties() {}

  /**
   * Reads a Java properties file (UTF-8).
   *
   * @throws IOException when the file is missing or unreadable, with the path in the message
   */
  public static Map<String, Object> load(Path file) throws IOException {
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      p.load(r);
    } catch (NoSuchFileException e) {
      throw new IOException("client properties file " + file + " does not exist", e);
    }
    Map<String, Object> out = new TreeMap<>();
    p.stringPropertyNames().forEach(k -> out.put(k.trim(), p.getProperty(k).trim()));
    return out;
  }

  /**
   * The properties with secrets masked, for logs: any key containing "password", "secret" or
   * "jaas" shows as {@code [hidden]}.
   */
  public static Map<String, Object> masked(Map<String, ?> properties) {
    Map<String, Object> out = new TreeMap<>();
    properties.forEach((k, v) -> {
      String key = k.toLowerCase(java.util.Locale.ROOT);
      boolean secret = key.contains("password") || key.contains("secret") || key.contains("jaas");
      out.put(k, secret ? "[hidden]" : v);
    });
    return out;
  }
}
