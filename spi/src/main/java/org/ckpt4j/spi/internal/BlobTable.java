package org.ckpt4j.spi.internal;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

/**
 * The blob table of a commit record read straight from its bytes, when they are in the canonical form that
 * {@link Json} writes: {@code [{"crc32":"<8 hex>","name":"<name>","offset":<n>,"pack":<n>,"size":<n>},...]}.
 * A restore parses the table of every blob before reading any data, mostly before the JIT has compiled
 * anything; read this way, a table of 1,000 entries costs no map, key string or boxed number per entry.
 *
 * <p>{@link #parse} returns null at the first byte that departs from that form, and the general parser reads
 * the table instead (with its error messages); the two give the same table for any input both accept.
 */
final class BlobTable {
  /** Entries by blob name: {size, crc32, pack, offset}. */
  final Map<String, BlobEntry> entries;
  /** Index just after the table's closing bracket. */
  final int end;

  private BlobTable(Map<String, BlobEntry> entries, int end) {
    this.entries = entries;
    this.end = end;
  }

  private static final byte[] CRC = bytes("{\"crc32\":\"");
  private static final byte[] NAME = bytes("\",\"name\":\"");
  private static final byte[] OFFSET = bytes("\",\"offset\":");
  private static final byte[] PACK = bytes(",\"pack\":");
  private static final byte[] SIZE = bytes(",\"size\":");

  /**
   * Reads the canonical table at {@code b[at]}; null if the bytes there depart from the canonical form. Values
   * are not checked beyond their syntax (names, ranges and duplicates are the caller's).
   */
  static BlobTable parse(byte[] b, int at) {
    Parser p = new Parser(b, at);
    return p.table();
  }

  private static final class Parser {
    private final byte[] b;
    private int i;

    Parser(byte[] b, int at) {
      this.b = b;
      this.i = at;
    }

    BlobTable table() {
      if (!skip('[')) {
        return null;
      }
      // An entry takes about 70 bytes: sized so that the map is not rehashed while it fills.
      Map<String, BlobEntry> entries = new HashMap<>(Math.max(16, (b.length - i) / 50));
      if (skip(']')) {
        return new BlobTable(entries, i);
      }
      while (true) {
        if (!literal(CRC)) {
          return null;
        }
        long crc = hex8();
        if (crc < 0 || !literal(NAME)) {
          return null;
        }
        int start = i;
        while (i < b.length && b[i] != '"' && b[i] != '\\' && b[i] >= 0x20) {
          i++;
        }
        if (i == start || i >= b.length || b[i] != '"') {
          return null; // empty, escaped, non-ASCII or unterminated: the general parser decides
        }
        String name = new String(b, start, i - start, StandardCharsets.ISO_8859_1);
        if (!literal(OFFSET)) {
          return null;
        }
        long offset = number();
        if (offset < 0 || !literal(PACK)) {
          return null;
        }
        long pack = number();
        if (pack < 0 || !literal(SIZE)) {
          return null;
        }
        long size = number();
        if (size < 0 || !skip('}')) {
          return null;
        }
        if (entries.putIfAbsent(name, new BlobEntry(size, crc, pack, offset)) != null) {
          return null; // a duplicate: the general path reports it
        }
        if (skip(']')) {
          return new BlobTable(entries, i);
        }
        if (!skip(',')) {
          return null;
        }
      }
    }

    private boolean skip(char c) {
      if (i < b.length && b[i] == c) {
        i++;
        return true;
      }
      return false;
    }

    private boolean literal(byte[] text) {
      if (i + text.length > b.length) {
        return false;
      }
      for (int k = 0; k < text.length; k++) {
        if (b[i + k] != text[k]) {
          return false;
        }
      }
      i += text.length;
      return true;
    }

    /** Eight lower-case hex digits, or -1. */
    private long hex8() {
      if (i + 8 > b.length) {
        return -1;
      }
      long v = 0;
      for (int k = 0; k < 8; k++) {
        int c = b[i + k];
        int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
        if (d < 0) {
          return -1;
        }
        v = v << 4 | d;
      }
      i += 8;
      return v;
    }

    /** A non-negative whole number of 1 to 18 digits, or -1. */
    private long number() {
      int start = i;
      long v = 0;
      while (i < b.length && b[i] >= '0' && b[i] <= '9' && i - start < 18) {
        v = v * 10 + (b[i] - '0');
        i++;
      }
      if (i == start || (i < b.length && b[i] >= '0' && b[i] <= '9')) {
        return -1; // none, or more than 18 digits
      }
      return v;
    }
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.ISO_8859_1);
  }
}
