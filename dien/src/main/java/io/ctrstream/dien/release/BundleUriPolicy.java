package io.ctrstream.dien.release;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Where a release's {@code bundleUri} may point, and the bounded fetch of what it points at.
 *
 * <p>The policy is a list of allowed prefixes ({@code release.uri.allowed}), each either a
 * directory, {@code file:/var/ctr/bundles/}, or an HTTP(S) origin and path, {@code
 * https://models.example.com/bundles/}. A {@code file:} URI is allowed when its path, normalised
 * and with symbolic links resolved, lies inside an allowed directory (its real path too); an
 * {@code http:}/{@code https:} URI when its scheme, host and port equal an allowed entry's and its
 * normalised path starts with the entry's path. URIs with user info, a fragment, {@code ..}
 * segments or another scheme are never allowed. The empty list ({@link #none()}, the default)
 * allows no URI at all: only inline bundles load.
 *
 * <p>Fetching streams the bytes and stops with {@link Rejection#TOO_LARGE} as soon as they exceed
 * the cap (a {@code Content-Length} or file size over the cap is refused before reading). HTTP
 * redirects are never followed (a 3xx answer is refused with {@link Rejection#DISALLOWED}), so a
 * fetch cannot leave the allowed hosts.
 */
public final class BundleUriPolicy {
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration FETCH_TIMEOUT = Duration.ofMinutes(2);

  private final List<URI> allowed;
  private final String spec;

  private BundleUriPolicy(List<URI> allowed, String spec) {
    this.allowed = List.copyOf(allowed);
    this.spec = spec;
  }

  /** No URI allowed: only inline bundles. */
  public static BundleUriPolicy none() {
    return new BundleUriPolicy(List.of(), "");
  }

  /**
   * Parses a comma-separated list of allowed prefixes; blank for {@link #none()}.
   *
   * @throws IllegalArgumentException naming an entry that is not an absolute {@code file:}
   *     directory or an {@code http(s)://host[:port]/path/} prefix
   */
  public static BundleUriPolicy parse(String list) {
    List<URI> out = new ArrayList<>();
    if (list != null) {
      for (String raw : list.split(",")) {
        String entry = raw.trim();
        if (entry.isEmpty()) {
          continue;
        }
        URI u;
        try {
          u = new URI(entry).normalize();
        } catch (URISyntaxException e) {
          throw new IllegalArgumentException("allowed bundle URI prefix " + entry + " is not a URI: " + e.getMessage(), e);
        }
        String scheme = u.getScheme() == null ? "" : u.getScheme().toLowerCase(Locale.ROOT);
        switch (scheme) {
          case "file" -> {
            if (u.getPath() == null || !u.getPath().startsWith("/") || u.getAuthority() != null) {
              throw new IllegalArgumentException("allowed bundle directory " + entry
                  + " must be an absolute file: URI such as file:/var/ctr/bundles/");
            }
          }
          case "http", "https" -> {
            if (u.getHost() == null || u.getUserInfo() != null || u.getQuery() != null || u.getFragment() != null) {
              throw new IllegalArgumentException("allowed bundle location " + entry
                  + " must be scheme://host[:port]/path/ without user info, query or fragment");
            }
          }
          default -> throw new IllegalArgumentException("allowed bundle URI prefix " + entry
              + " must start with file:, http: or https:");
        }
        if (hasDotDot(u.getPath())) {
          throw new IllegalArgumentException("allowed bundle URI prefix " + entry + " must not contain ..");
        }
        if (u.getPath() == null || !u.getPath().endsWith("/")) {
          // a prefix is a directory: https://host/ctr must not allow https://host/ctr-evil/
          u = URI.create(u.toString() + "/");
        }
        out.add(u);
      }
    }
    return new BundleUriPolicy(out, list == null ? "" : list.trim());
  }

  /** Whether any URI can pass (false: inline bundles only). */
  public boolean allowsAny() {
    return !allowed.isEmpty();
  }

  @Override
  public String toString() {
    return allowed.isEmpty() ? "(none: inline bundles only)" : spec;
  }

  /** Why {@code uri} is not allowed; null when it is. */
  public String problem(String uri) {
    if (allowed.isEmpty()) {
      return "bundleUri " + uri + " is not allowed: this reader allows no bundle URIs (release.uri.allowed is empty),"
          + " only inline bundles";
    }
    URI u;
    try {
      u = new URI(uri);
    } catch (URISyntaxException e) {
      return "bundleUri " + uri + " is not a URI: " + e.getMessage();
    }
    if (u.getUserInfo() != null || u.getFragment() != null || u.getRawQuery() != null && "file".equalsIgnoreCase(u.getScheme())) {
      return "bundleUri " + uri + " is not allowed: user info, fragments and file queries are refused";
    }
    if (u.getPath() == null || hasDotDot(u.getPath())) {
      return "bundleUri " + uri + " is not allowed: it needs a path without .. segments";
    }
    URI n = u.normalize();
    String scheme = n.getScheme() == null ? "" : n.getScheme().toLowerCase(Locale.ROOT);
    for (URI a : allowed) {
      if (!a.getScheme().equalsIgnoreCase(scheme)) {
        continue;
      }
      if (scheme.equals("file")) {
        if (n.getAuthority() == null && insideDirectory(n.getPath(), a.getPath())) {
          return null;
        }
      } else if (a.getHost().equalsIgnoreCase(n.getHost() == null ? "" : n.getHost())
          && port(a) == port(n)
          && n.getPath().startsWith(a.getPath().isEmpty() ? "/" : a.getPath())) {
        return null;
      }
    }
    return "bundleUri " + uri + " is not allowed: it is outside every allowed location (release.uri.allowed = "
        + spec + ")";
  }

  /**
   * The bytes behind {@code uri}, at most {@code maxBytes}.
   *
   * @throws ReleaseRejectedException {@link Rejection#DISALLOWED} outside the policy or on a
   *     redirect, {@link Rejection#TOO_LARGE} beyond {@code maxBytes}, {@link Rejection#FETCH} when
   *     it cannot be read
   */
  public byte[] fetch(String uri, long maxBytes) throws ReleaseRejectedException {
    String problem = problem(uri);
    if (problem != null) {
      throw new ReleaseRejectedException(Rejection.DISALLOWED, problem);
    }
    URI u = URI.create(uri).normalize();
    try {
      if ("file".equalsIgnoreCase(u.getScheme())) {
        return readFile(uri, Path.of(u), maxBytes);
      }
      return readHttp(uri, u, maxBytes);
    } catch (NoSuchFileException e) {
      throw new ReleaseRejectedException(Rejection.FETCH, "bundle file " + uri + " does not exist", e);
    } catch (IOException | IllegalArgumentException | SecurityException e) {
      throw new ReleaseRejectedException(Rejection.FETCH, "bundle " + uri + " cannot be read: " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new ReleaseRejectedException(Rejection.FETCH, "interrupted while fetching " + uri, e);
    }
  }

  private byte[] readFile(String uri, Path path, long maxBytes) throws IOException, ReleaseRejectedException {
    // A symbolic link inside an allowed directory must not lead out of it.
    Path real = path.toRealPath();
    if (!insideAllowedDirectory(real)) {
      throw new ReleaseRejectedException(Rejection.DISALLOWED, "bundleUri " + uri + " resolves to " + real
          + ", outside every allowed location (release.uri.allowed = " + spec + ")");
    }
    if (!Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)) {
      throw new ReleaseRejectedException(Rejection.FETCH, "bundle " + uri + " is not a regular file");
    }
    long size = Files.size(real);
    if (size > maxBytes) {
      throw tooLarge(uri, size + " bytes", maxBytes);
    }
    try (InputStream in = Files.newInputStream(real)) {
      return readCapped(uri, in, maxBytes);
    }
  }

  private static byte[] readHttp(String uri, URI u, long maxBytes)
      throws IOException, InterruptedException, ReleaseRejectedException {
    HttpClient client = HttpClient.newBuilder().connectTimeout(CONNECT_TIMEOUT)
        .followRedirects(HttpClient.Redirect.NEVER).build();
    HttpResponse<InputStream> r = client.send(HttpRequest.newBuilder(u).timeout(FETCH_TIMEOUT).GET().build(),
        HttpResponse.BodyHandlers.ofInputStream());
    try (InputStream body = r.body()) {
      if (r.statusCode() >= 300 && r.statusCode() < 400) {
        throw new ReleaseRejectedException(Rejection.DISALLOWED, "GET " + uri + " answered " + r.statusCode()
            + " (redirect to " + r.headers().firstValue("location").orElse("?") + "); redirects are not followed");
      }
      if (r.statusCode() != 200) {
        throw new ReleaseRejectedException(Rejection.FETCH, "GET " + uri + " answered " + r.statusCode());
      }
      long declared = r.headers().firstValueAsLong("content-length").orElse(-1);
      if (declared > maxBytes) {
        throw tooLarge(uri, "Content-Length " + declared, maxBytes);
      }
      return readCapped(uri, body, maxBytes);
    }
  }

  /** Reads {@code in} to its end, refusing it as soon as it passes {@code maxBytes}. */
  static byte[] readCapped(String what, InputStream in, long maxBytes) throws IOException, ReleaseRejectedException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[64 * 1024];
    long total = 0;
    int n;
    while ((n = in.read(buf)) > 0) {
      total += n;
      if (total > maxBytes) {
        throw tooLarge(what, "more than " + maxBytes + " bytes", maxBytes);
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  private static ReleaseRejectedException tooLarge(String what, String size, long maxBytes) {
    return new ReleaseRejectedException(Rejection.TOO_LARGE, "bundle " + what + " is " + size
        + ", over the limit of " + maxBytes + " bytes (release.max.bundle.bytes)");
  }

  private boolean insideAllowedDirectory(Path real) throws IOException {
    for (URI a : allowed) {
      if (!"file".equalsIgnoreCase(a.getScheme())) {
        continue;
      }
      Path dir = Path.of(a.getPath());
      Path dirReal = Files.exists(dir) ? dir.toRealPath() : dir;
      if (real.startsWith(dirReal) && !real.equals(dirReal)) {
        return true;
      }
    }
    return false;
  }

  private static boolean insideDirectory(String path, String dir) {
    String d = dir.endsWith("/") ? dir : dir + "/";
    return path.startsWith(d) && path.length() > d.length();
  }

  private static boolean hasDotDot(String path) {
    if (path == null) {
      return false;
    }
    for (String seg : path.split("/")) {
      if (seg.equals("..") || seg.equals(".")) {
        return true;
      }
    }
    return false;
  }

  private static int port(URI u) {
    if (u.getPort() >= 0) {
      return u.getPort();
    }
    return "https".equalsIgnoreCase(u.getScheme()) ? 443 : 80;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BundleUriPolicy p && p.allowed.equals(allowed);
  }

  @Override
  public int hashCode() {
    return Objects.hash(allowed);
  }
}
