package io.ctrstream.dien.release;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Proves the bundle URI policy: nothing is allowed by default; a file inside an allowed
 * directory is, one in a sibling directory whose name merely starts the same, a {@code ..}
 * escape or a symbolic link out of it is not; HTTP(S) must match scheme, host, port and path
 * prefix, without user info; reads stop at the size bound (file and HTTP, with or without a
 * Content-Length); a redirect is refused, never followed, even to an allowed place.
 */
class BundleUriPolicyTest {
  @TempDir Path dir;
  private HttpServer server;

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop(0);
    }
  }

  private static Rejection refusal(BundleUriPolicy policy, String uri, long max) {
    try {
      policy.fetch(uri, max);
      return null;
    } catch (ReleaseRejectedException e) {
      return e.reason();
    }
  }

  @Test
  void nothingIsAllowedByDefault() throws Exception {
    Files.write(dir.resolve("b.bundle"), new byte[10]);
    assertThat(BundleUriPolicy.none().allowsAny()).isFalse();
    assertThat(BundleUriPolicy.parse("").problem(dir.resolve("b.bundle").toUri().toString()))
        .contains("allows no bundle URIs");
    assertThat(refusal(BundleUriPolicy.none(), dir.resolve("b.bundle").toUri().toString(), 100))
        .isEqualTo(Rejection.DISALLOWED);
  }

  @Test
  void filesInsideAnAllowedDirectoryOnly() throws Exception {
    Path allowed = Files.createDirectories(dir.resolve("bundles"));
    Path sibling = Files.createDirectories(dir.resolve("bundles-evil"));
    Files.write(allowed.resolve("ok.bundle"), new byte[] {1, 2, 3});
    Files.write(sibling.resolve("x.bundle"), new byte[] {4});
    Files.createSymbolicLink(allowed.resolve("link.bundle"), sibling.resolve("x.bundle"));
    BundleUriPolicy policy = BundleUriPolicy.parse(" " + allowed.toUri() + " , https://models.example.com/ctr/");

    assertThat(policy.fetch(allowed.resolve("ok.bundle").toUri().toString(), 100)).containsExactly(1, 2, 3);
    assertThat(refusal(policy, sibling.resolve("x.bundle").toUri().toString(), 100)).isEqualTo(Rejection.DISALLOWED);
    assertThat(refusal(policy, allowed.toUri() + "../bundles-evil/x.bundle", 100)).isEqualTo(Rejection.DISALLOWED);
    assertThat(refusal(policy, allowed.toUri() + "./ok.bundle", 100)).isEqualTo(Rejection.DISALLOWED);
    assertThat(refusal(policy, allowed.resolve("link.bundle").toUri().toString(), 100)).isEqualTo(Rejection.DISALLOWED);
    assertThat(refusal(policy, allowed.toUri().toString(), 100)).as("the directory itself").isEqualTo(Rejection.DISALLOWED);
    assertThat(refusal(policy, "file://otherhost" + allowed.resolve("ok.bundle").toUri().getPath(), 100))
        .isEqualTo(Rejection.DISALLOWED);
    assertThat(refusal(policy, allowed.resolve("missing.bundle").toUri().toString(), 100)).isEqualTo(Rejection.FETCH);
    assertThat(refusal(policy, allowed.resolve("ok.bundle").toUri().toString(), 2)).isEqualTo(Rejection.TOO_LARGE);
  }

  @Test
  void httpMustMatchSchemeHostPortAndPath() {
    BundleUriPolicy policy = BundleUriPolicy.parse("https://models.example.com/ctr/");
    assertThat(policy.problem("https://models.example.com/ctr/v1.bundle")).isNull();
    assertThat(policy.problem("https://models.example.com:443/ctr/v1.bundle")).isNull();
    assertThat(policy.problem("https://MODELS.example.com/ctr/v1.bundle")).isNull();
    assertThat(policy.problem("http://models.example.com/ctr/v1.bundle")).isNotNull();
    assertThat(policy.problem("https://models.example.com:8443/ctr/v1.bundle")).isNotNull();
    assertThat(policy.problem("https://models.example.com/other/v1.bundle")).isNotNull();
    assertThat(policy.problem("https://models.example.com/ctr/../other/v1.bundle")).isNotNull();
    assertThat(policy.problem("https://models.example.com.evil.net/ctr/v1.bundle")).isNotNull();
    assertThat(policy.problem("https://user@models.example.com/ctr/v1.bundle")).isNotNull();
    assertThat(policy.problem("ftp://models.example.com/ctr/v1.bundle")).isNotNull();
    assertThat(policy.problem("not a uri")).isNotNull();
  }

  @Test
  void badEntriesAreRefusedAtStart() {
    assertThatThrownBy(() -> BundleUriPolicy.parse("ftp://x/")).hasMessageContaining("file:, http: or https:");
    assertThatThrownBy(() -> BundleUriPolicy.parse("file:relative/dir/")).hasMessageContaining("absolute");
    assertThatThrownBy(() -> BundleUriPolicy.parse("https://u:p@host/")).hasMessageContaining("user info");
    assertThatThrownBy(() -> BundleUriPolicy.parse("/var/ctr/bundles/")).hasMessageContaining("file:, http: or https:");
  }

  @Test
  void httpReadsAreCappedAndRedirectsAreNotFollowed() throws Exception {
    server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    server.createContext("/ctr/small", x -> {
      x.sendResponseHeaders(200, 3);
      try (OutputStream out = x.getResponseBody()) {
        out.write(new byte[] {7, 8, 9});
      }
    });
    server.createContext("/ctr/declared-big", x -> {
      x.sendResponseHeaders(200, 5_000);
      try (OutputStream out = x.getResponseBody()) {
        out.write(new byte[5_000]);
      }
    });
    server.createContext("/ctr/chunked-big", x -> {
      x.sendResponseHeaders(200, 0); // chunked: no Content-Length
      try (OutputStream out = x.getResponseBody()) {
        for (int i = 0; i < 100; i++) {
          out.write(new byte[1_000]);
        }
      }
    });
    server.createContext("/ctr/redirect", x -> {
      x.getResponseHeaders().add("Location", "/ctr/small");
      x.sendResponseHeaders(302, -1);
      x.close();
    });
    server.start();
    String base = "http://127.0.0.1:" + server.getAddress().getPort() + "/ctr/";
    BundleUriPolicy policy = BundleUriPolicy.parse(base);

    assertThat(policy.fetch(base + "small", 1_000)).containsExactly(7, 8, 9);
    assertThat(refusal(policy, base + "declared-big", 1_000)).isEqualTo(Rejection.TOO_LARGE);
    assertThat(refusal(policy, base + "chunked-big", 1_000)).isEqualTo(Rejection.TOO_LARGE);
    assertThat(refusal(policy, base + "redirect", 1_000)).as("even to an allowed place").isEqualTo(Rejection.DISALLOWED);
    assertThat(refusal(policy, base + "missing", 1_000)).isEqualTo(Rejection.FETCH);
  }
}
