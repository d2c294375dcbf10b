package io.ctrstream.dien.bundle;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipInputStream;
import java.util.zip.ZipOutputStream;

/**
 * The bundle's container: a zip with exactly the entries {@link #ENTRIES}, written in that order
 * with fixed timestamps so the same content always gives the same bytes (and the same SHA-256).
 *
 * <p>Reading checks every entry's CRC (the zip format's own), refuses unknown, duplicate, missing
 * or oversized entries and a zip that ends early, and reports each case in words.
 */
final class BundleArchive {

  static final String MANIFEST = "manifest.json";
  static final String CONFIG = "config.json";
  static final String ENCODER = "encoder.json";
  static final String WEIGHTS = "weights.params";

  /** Every entry, in write order. */
  static final List<String> ENTRIES = List.of(MANIFEST, CONFIG, ENCODER, WEIGHTS);

  /** The entries the payload hash covers, in hash order: everything but the manifest. */
  static final List<String> PAYLOAD = List.of(CONFIG, ENCODER, WEIGHTS);

  /**
   * Default bound on what one bundle unpacks to (all entries together), for bundles read without
   * an explicit bound (local files). Releases are read with the reader's own, smaller bound.
   */
  static final long DEFAULT_MAX_UNPACKED_BYTES = 1L << 30;

  // 1980-01-01, the zip format's epoch: a fixed time keeps the bytes reproducible.
  private static final long FIXED_TIME = 315532800000L;

  private BundleArchive() {}

  static byte[] write(Map<String, byte[]> entries) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(out)) {
      for (String name : ENTRIES) {
        byte[] data = entries.get(name);
        if (data == null) {
          throw new IllegalArgumentException("missing bundle entry " + name);
        }
        ZipEntry e = new ZipEntry(name);
        e.setTime(FIXED_TIME);
        zip.putNextEntry(e);
        zip.write(data);
        zip.closeEntry();
      }
    } catch (IOException e) {
      throw new UncheckedIOException("writing to memory cannot fail", e);
    }
    return out.toByteArray();
  }

  static Map<String, byte[]> read(byte[] bytes) throws BundleException {
    return read(bytes, DEFAULT_MAX_UNPACKED_BYTES);
  }

  /**
   * Reads the entries, inflating at most {@code maxUnpackedBytes} in all: a zip whose entries
   * inflate beyond it (a zip bomb, or a garbled size field) is refused as it streams, before the
   * excess is buffered.
   */
  static Map<String, byte[]> read(byte[] bytes, long maxUnpackedBytes) throws BundleException {
    if (bytes == null || bytes.length == 0) {
      throw new BundleException("bundle is empty (0 bytes)");
    }
    long[] budget = {maxUnpackedBytes};
    Map<String, byte[]> entries = new LinkedHashMap<>();
    try (ZipInputStream zip = new ZipInputStream(new ByteArrayInputStream(bytes))) {
      ZipEntry e;
      while ((e = zip.getNextEntry()) != null) {
        String name = e.getName();
        if (!ENTRIES.contains(name)) {
          throw new BundleException(
              "bundle is corrupt or not a model bundle: unexpected entry '" + name
                  + "' (expected " + ENTRIES + ")");
        }
        if (entries.containsKey(name)) {
          throw new BundleException("bundle is corrupt: entry " + name + " appears twice");
        }
        entries.put(name, readEntry(zip, name, budget, maxUnpackedBytes));
      }
    } catch (EOFException e) {
      throw new BundleException(
          "bundle is truncated: the zip ends inside an entry (" + bytes.length + " bytes read)", e);
    } catch (ZipException e) {
      throw new BundleException("bundle is corrupt: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new BundleException("bundle cannot be read: " + e.getMessage(), e);
    } catch (RuntimeException e) {
      // ZipInputStream throws IllegalArgumentException for a garbled entry name, among others.
      throw new BundleException("bundle is corrupt: " + e, e);
    }
    if (entries.isEmpty()) {
      throw new BundleException(
          "bundle is not a zip or is corrupt/truncated before its first entry ("
              + bytes.length + " bytes)");
    }
    for (String name : ENTRIES) {
      if (!entries.containsKey(name)) {
        throw new BundleException(
            "bundle is incomplete: entry " + name + " is missing (found " + entries.keySet()
                + "); the file may be truncated");
      }
    }
    checkCentralDirectory(bytes, entries);
    return entries;
  }

  /**
   * ZipInputStream reads the local entries only, so a file cut inside (or after) the central
   * directory would pass; this checks the end record and that the directory lists exactly the
   * entries read, with the same CRC and size.
   */
  private static void checkCentralDirectory(byte[] b, Map<String, byte[]> entries)
      throws BundleException {
    ByteBuffer buf = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
    int eocd = b.length - 22;
    if (eocd < 0 || buf.getInt(eocd) != 0x06054b50) {
      throw new BundleException(
          "bundle is truncated or corrupt: the zip end-of-central-directory record is missing ("
              + b.length + " bytes)");
    }
    int total = buf.getShort(eocd + 10) & 0xffff;
    long cdSize = buf.getInt(eocd + 12) & 0xffffffffL;
    long cdOffset = buf.getInt(eocd + 16) & 0xffffffffL;
    int commentLength = buf.getShort(eocd + 20) & 0xffff;
    if (commentLength != 0 || total != ENTRIES.size() || cdOffset + cdSize != eocd) {
      throw new BundleException(
          "bundle is corrupt: the zip central directory does not describe " + ENTRIES.size()
              + " entries ending at byte " + eocd);
    }
    int p = (int) cdOffset;
    CRC32 crc = new CRC32();
    for (int i = 0; i < total; i++) {
      if (p + 46 > eocd || buf.getInt(p) != 0x02014b50) {
        throw new BundleException("bundle is corrupt: bad central directory record " + i);
      }
      long entryCrc = buf.getInt(p + 16) & 0xffffffffL;
      long size = buf.getInt(p + 24) & 0xffffffffL;
      int nameLength = buf.getShort(p + 28) & 0xffff;
      int extraLength = buf.getShort(p + 30) & 0xffff;
      int entryCommentLength = buf.getShort(p + 32) & 0xffff;
      if (p + 46 + nameLength > eocd) {
        throw new BundleException("bundle is corrupt: bad central directory record " + i);
      }
      String name = new String(b, p + 46, nameLength, StandardCharsets.UTF_8);
      byte[] data = entries.get(name);
      if (data == null) {
        throw new BundleException(
            "bundle is corrupt: the central directory lists an unknown entry '" + name + "'");
      }
      crc.reset();
      crc.update(data);
      if (size != data.length || entryCrc != crc.getValue()) {
        throw new BundleException(
            "bundle is corrupt: entry " + name + " disagrees with the central directory");
      }
      p += 46 + nameLength + extraLength + entryCommentLength;
    }
    if (p != eocd) {
      throw new BundleException("bundle is corrupt: the central directory has trailing bytes");
    }
  }

  private static byte[] readEntry(InputStream zip, String name, long[] budget, long max)
      throws IOException, BundleException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] buf = new byte[64 * 1024];
    int n;
    // ZipInputStream checks the entry's CRC and size when the entry's end is reached.
    while ((n = zip.read(buf)) > 0) {
      budget[0] -= n;
      if (budget[0] < 0) {
        throw new BundleException(
            "bundle unpacks to more than " + max + " bytes (at entry " + name + "); refusing it");
      }
      out.write(buf, 0, n);
    }
    return out.toByteArray();
  }

  /**
   * The payload hash: SHA-256 over, for each of {@link #PAYLOAD} in order, the entry name in
   * UTF-8, one zero byte, the entry length as an 8-byte big-endian integer, then the entry bytes.
   * Names and lengths are framed so no byte can move from one entry to the next unnoticed.
   */
  static String payloadSha256(Map<String, byte[]> entries) {
    MessageDigest sha = sha256();
    for (String name : PAYLOAD) {
      byte[] data = entries.get(name);
      sha.update(name.getBytes(StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(ByteBuffer.allocate(Long.BYTES).putLong(data.length).array());
      sha.update(data);
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  static String sha256Hex(byte[] bytes) {
    return HexFormat.of().formatHex(sha256().digest(bytes));
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }
}
