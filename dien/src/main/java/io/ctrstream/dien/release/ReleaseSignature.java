package io.ctrstream.dien.release;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.InvalidKeyException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.Signature;
import java.security.SignatureException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Objects;

/**
 * Ed25519 signatures of model releases: the trainer signs with its private key, every scorer (and
 * the trainer, when it picks the live model) verifies with the configured public key. A signature
 * proves origin; the SHA-256 it covers binds it to the bundle bytes.
 *
 * <p>The signed bytes ({@link #canonicalBytes}) are the ASCII domain tag {@value #DOMAIN}, then
 * each of model name, version, feature-spec hash, {@code createdAt} (decimal) and the bundle's
 * lower-case hex SHA-256, each as a 4-byte big-endian length followed by its UTF-8 bytes, in that
 * order. The framing keeps one field from bleeding into the next; the tag keeps a signature made
 * for anything else from passing as a release signature.
 *
 * <p>Keys: private keys are PKCS#8, public keys X.509 SubjectPublicKeyInfo, each as PEM or DER
 * ({@link #writeKeyPair} writes PEM). A key's id is the first 16 hex digits of the SHA-256 of its
 * public key's X.509 encoding.
 */
public final class ReleaseSignature {

  /** The only algorithm, as named in {@code signatureAlgorithm}. */
  public static final String ALGORITHM = "Ed25519";

  /** Domain tag at the start of the signed bytes. */
  public static final String DOMAIN = "ctr-model-release-v1";

  /** File names {@link #writeKeyPair} uses. */
  public static final String PRIVATE_KEY_FILE = "release-signing.key";

  public static final String PUBLIC_KEY_FILE = "release-signing.pub";

  private ReleaseSignature() {}

  /** The bytes a release signature covers (see the class comment). */
  public static byte[] canonicalBytes(ReleaseClaims c) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      out.write(DOMAIN.getBytes(StandardCharsets.US_ASCII));
      for (String field :
          new String[] {
            c.modelName(), c.version(), c.featureSpecHash(), Long.toString(c.createdAt()), c.sha256()
          }) {
        byte[] utf8 = Objects.requireNonNull(field, "release fields must not be null").getBytes(StandardCharsets.UTF_8);
        out.writeInt(utf8.length);
        out.write(utf8);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory cannot fail", e);
    }
    return bytes.toByteArray();
  }

  /** The base64 signature of {@code claims} by {@code key}. */
  public static String sign(ReleaseClaims claims, PrivateKey key) {
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initSign(key);
      s.update(canonicalBytes(claims));
      return Base64.getEncoder().encodeToString(s.sign());
    } catch (InvalidKeyException e) {
      throw new IllegalArgumentException("not an Ed25519 private key: " + e.getMessage(), e);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed: " + e, e);
    }
  }

  /**
   * Checks the signature of {@code claims} against {@code key}.
   *
   * @throws ReleaseRejectedException {@link Rejection#UNSIGNED} without a signature, {@link
   *     Rejection#SIGNATURE} for another algorithm, another key id, or a signature that does not
   *     verify
   */
  public static void verify(ReleaseClaims claims, PublicKey key) throws ReleaseRejectedException {
    String expectedId = keyId(key);
    if (claims.signature() == null || claims.signature().isEmpty()) {
      throw new ReleaseRejectedException(Rejection.UNSIGNED, "release is not signed, and this scorer"
          + " accepts only releases signed by key " + expectedId + " (release.public.key)");
    }
    if (claims.signatureAlgorithm() != null && !ALGORITHM.equals(claims.signatureAlgorithm())) {
      throw new ReleaseRejectedException(Rejection.SIGNATURE, "signature algorithm "
          + claims.signatureAlgorithm() + " is not accepted; releases are signed with " + ALGORITHM);
    }
    if (claims.keyId() != null && !claims.keyId().equals(expectedId)) {
      throw new ReleaseRejectedException(Rejection.SIGNATURE, "release is signed by key " + claims.keyId()
          + ", but the trusted key is " + expectedId);
    }
    byte[] sig;
    try {
      sig = Base64.getDecoder().decode(claims.signature());
    } catch (IllegalArgumentException e) {
      throw new ReleaseRejectedException(Rejection.SIGNATURE, "signature is not base64: " + e.getMessage(), e);
    }
    boolean ok;
    try {
      Signature s = Signature.getInstance(ALGORITHM);
      s.initVerify(key);
      s.update(canonicalBytes(claims));
      ok = s.verify(sig);
    } catch (SignatureException e) {
      ok = false;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 verification failed to run: " + e, e);
    }
    if (!ok) {
      throw new ReleaseRejectedException(Rejection.SIGNATURE, "signature does not verify with key " + expectedId
          + ": the release was altered after signing, or signed by another key");
    }
  }

  /** The first 16 hex digits of the SHA-256 of the public key's X.509 encoding. */
  public static String keyId(PublicKey key) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getEncoded());
      return HexFormat.of().formatHex(digest, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  /** A new Ed25519 key pair. */
  public static KeyPair generate() {
    try {
      return KeyPairGenerator.getInstance(ALGORITHM).generateKeyPair();
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("Java 17 has Ed25519", e);
    }
  }

  /**
   * Writes {@link #PRIVATE_KEY_FILE} (PKCS#8 PEM, owner read/write only where the file system
   * allows) and {@link #PUBLIC_KEY_FILE} (X.509 PEM) into {@code dir}; refuses to overwrite.
   */
  public static void writeKeyPair(KeyPair pair, Path dir) throws IOException {
    Files.createDirectories(dir);
    Path priv = dir.resolve(PRIVATE_KEY_FILE);
    Path pub = dir.resolve(PUBLIC_KEY_FILE);
    for (Path p : new Path[] {priv, pub}) {
      if (Files.exists(p)) {
        throw new IOException(p + " already exists; not overwriting a key");
      }
    }
    try {
      Files.createFile(priv, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    } catch (UnsupportedOperationException e) {
      Files.createFile(priv);
    }
    Files.writeString(priv, pem("PRIVATE KEY", pair.getPrivate().getEncoded()), StandardCharsets.US_ASCII);
    Files.writeString(pub, pem("PUBLIC KEY", pair.getPublic().getEncoded()), StandardCharsets.US_ASCII);
  }

  /** Reads a PKCS#8 Ed25519 private key, PEM or DER. */
  public static PrivateKey readPrivateKey(Path file) throws IOException {
    byte[] der = der(file, "PRIVATE KEY");
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePrivate(new PKCS8EncodedKeySpec(der));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IOException(file + " is not an Ed25519 private key (PKCS#8, PEM or DER): " + e.getMessage(), e);
    }
  }

  /** Reads an X.509 Ed25519 public key, PEM or DER. */
  public static PublicKey readPublicKey(Path file) throws IOException {
    byte[] der = der(file, "PUBLIC KEY");
    try {
      return KeyFactory.getInstance(ALGORITHM).generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException | RuntimeException e) {
      throw new IOException(file + " is not an Ed25519 public key (X.509, PEM or DER): " + e.getMessage(), e);
    }
  }

  private static String pem(String type, byte[] der) {
    String body = Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(der);
    return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
  }

  private static byte[] der(Path file, String type) throws IOException {
    byte[] raw = Files.readAllBytes(file);
    String text = new String(raw, StandardCharsets.US_ASCII);
    String begin = "-----BEGIN " + type + "-----";
    int at = text.indexOf(begin);
    if (at < 0) {
      if (text.contains("-----BEGIN ")) {
        throw new IOException(file + " is PEM but not a \"" + type + "\" block");
      }
      return raw;
    }
    int end = text.indexOf("-----END " + type + "-----", at);
    if (end < 0) {
      throw new IOException(file + " has no END line for its " + type);
    }
    try {
      return Base64.getMimeDecoder().decode(text.substring(at + begin.length(), end));
    } catch (IllegalArgumentException e) {
      throw new IOException(file + " holds invalid base64: " + e.getMessage(), e);
    }
  }
}
