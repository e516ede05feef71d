package org.ckpt4j.tck;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32;
import org.ckpt4j.spi.backend.ObjectStore;

/**
 * Surgery on the records of the ckpt4j layout ({@code log/<seq>.json}, {@code lease/<seq>.json}; docs/contract.md,
 * "Protocol") through raw access: finding the newest commit record, damaging it in ways a reader must treat as
 * unreadable, and sealing edited content again (a record's {@code crc32} covers its canonical JSON without the
 * {@code crc32} member), so that a record with a valid checksum but invalid content can be made. Rules that use it
 * skip for backends whose store does not use this layout.
 */
final class Records {
  static final String LOG = "log/";
  private static final Pattern CRC = Pattern.compile("\"crc32\":\"([0-9a-f]{8})\"");
  private static final Pattern BASE = Pattern.compile("\"base\":(\\d+)");
  private static final Pattern TIME_DIGIT = Pattern.compile("\"time\":\"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:(\\d)");
  /**
   * An oversized record: larger than any record a reader should load into memory whole (ckpt4j reads at most
   * 1 MiB of a record).
   */
  static final int OVERSIZED_BYTES = (16 << 20) + 1;

  private Records() {}

  /** The ways a commit record is made unreadable. */
  enum Damage {
    /** One digit of the {@code time} value changed: valid JSON, checksum mismatch (issue's reproduction). */
    BAD_CHECKSUM,
    /** {@code base} turned into a string, then sealed again: a valid checksum over invalid content. */
    WRONG_TYPE_VALID_CHECKSUM,
    /** The record followed by spaces up to 16 MiB + 1 byte. */
    OVERSIZED
  }

  /** The newest log record holding a commit, or empty when the layout is not ckpt4j's. */
  static Optional<String> newestCommitKey(ObjectStore raw) throws IOException {
    List<String> keys = new ArrayList<>();
    for (String k : raw.list(LOG)) {
      if (k.matches("log/\\d{20}\\.json")) {
        keys.add(k);
      }
    }
    Collections.sort(keys, Collections.reverseOrder());
    for (String k : keys) {
      Optional<byte[]> b = raw.get(k);
      if (b.isPresent() && text(b.get()).contains("\"type\":\"commit\"")) {
        return Optional.of(k);
      }
    }
    return Optional.empty();
  }

  static byte[] damage(byte[] record, Damage how) {
    String t = text(record);
    switch (how) {
      case BAD_CHECKSUM: {
        Matcher m = TIME_DIGIT.matcher(t);
        if (!m.find()) {
          throw new AssertionError("the commit record has no \"time\" member to damage: " + t);
        }
        char d = t.charAt(m.start(1));
        return bytes(t.substring(0, m.start(1)) + (char) ('0' + (d - '0' + 1) % 10) + t.substring(m.end(1)));
      }
      case WRONG_TYPE_VALID_CHECKSUM: {
        Matcher m = BASE.matcher(t);
        if (!m.find()) {
          throw new AssertionError("the commit record has no \"base\" member to damage: " + t);
        }
        return reseal(bytes(t.substring(0, m.start()) + "\"base\":\"" + m.group(1) + "\"" + t.substring(m.end())));
      }
      case OVERSIZED: {
        byte[] big = new byte[OVERSIZED_BYTES];
        java.util.Arrays.fill(big, (byte) ' ');
        System.arraycopy(record, 0, big, 0, record.length);
        return big;
      }
      default:
        throw new IllegalArgumentException(how.toString());
    }
  }

  /** Whether the record's {@code crc32} matches its content. */
  static boolean sealedOk(byte[] record) {
    String t = text(record);
    Matcher m = CRC.matcher(t);
    return m.find() && m.group(1).equals(crcWithout(t, m));
  }

  /** The record with its {@code crc32} computed again over its (edited) content. */
  static byte[] reseal(byte[] record) {
    String t = text(record);
    Matcher m = CRC.matcher(t);
    if (!m.find()) {
      throw new IllegalArgumentException("no crc32 member in " + t);
    }
    return bytes(t.substring(0, m.start(1)) + crcWithout(t, m) + t.substring(m.end(1)));
  }

  /** CRC32 over the text without the crc32 member and one adjacent comma, as eight hex digits. */
  private static String crcWithout(String t, Matcher m) {
    int from = m.start();
    int to = m.end();
    if (to < t.length() && t.charAt(to) == ',') {
      to++;
    } else if (from > 0 && t.charAt(from - 1) == ',') {
      from--;
    }
    CRC32 c = new CRC32();
    c.update(bytes(t.substring(0, from) + t.substring(to)));
    String hex = Long.toHexString(c.getValue());
    return "0".repeat(8 - hex.length()) + hex;
  }

  static String text(byte[] b) {
    return new String(b, StandardCharsets.UTF_8);
  }

  static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
