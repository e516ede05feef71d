package org.ckpt4j.spi.internal;

import static org.ckpt4j.spi.internal.Layout.DATA;
import static org.ckpt4j.spi.internal.Layout.DATA_DIR;
import static org.ckpt4j.spi.internal.Layout.LOG_DIR;
import static org.ckpt4j.spi.internal.Layout.MAX_PACKS;
import static org.ckpt4j.spi.internal.Layout.slotKey;

import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.zip.CRC32;
import org.ckpt4j.spi.BlobNames;
import org.ckpt4j.spi.CorruptCheckpointException;
import org.ckpt4j.spi.backend.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How the protocol's small objects are written and read (docs/contract.md, "Protocol"): log records, leases and
 * the marker are canonical JSON sealed with a CRC32 of themselves ({@link #sealed}, {@link #unseal}), read with a
 * size limit ({@link #readSmall}); log records are encoded from and decoded into {@link LogRecord}s ({@link #encode},
 * {@link #readRecord}):
 * a record failing any of that is unreadable, and an unreadable record is never a reason to delete data (R4.5).
 */
final class Records {
  private static final Logger LOG = LoggerFactory.getLogger(Records.class);

  private Records() {}

  /**
   * The largest record, lease or marker read, and written (16 MiB): a commit record takes about 100 to 300 bytes
   * per blob (its name, size, CRC32, pack and offset) plus its metadata (at most 64 Ki characters), so this holds
   * tens of thousands of blobs; a commit whose record would be larger is refused before anything is published. A
   * larger object in a record's place is reported as corrupt (an unreadable record, R4.5) after reading one byte
   * more than this, never read whole.
   */
  static final int MAX_RECORD_BYTES = 16 << 20;
  static final Set<String> TYPES = Set.of("claim", "commit", "release", "delete");
  static byte[] sealed(Map<String, Object> body) {
    Map<String, Object> m = new TreeMap<>(body);
    m.remove("crc32");
    byte[] canonical = Json.bytes(m);
    m.put("crc32", crc(canonical));
    return Json.bytes(m);
  }

  /**
   * Parses and verifies a sealed record; a blob table in canonical form comes back as a {@link BlobTable}.
   *
   * @throws IllegalArgumentException if it fails verification
   */
  @SuppressWarnings("unchecked")
  static Map<String, Object> unseal(byte[] raw) {
    Json.Parsed parsed = Json.parse(raw, "crc32", "blobs");
    if (!(parsed.value() instanceof Map)) {
      throw new IllegalArgumentException("not a JSON object");
    }
    Map<String, Object> m = (Map<String, Object>) parsed.value();
    Object crc = m.remove("crc32");
    // The checksum covers the canonical form without the crc32 member: the bytes as read, less that member
    // (for a record written by sealed(), the same bytes; writing the parsed record again would cost as much
    // as parsing it).
    CRC32 c = new CRC32();
    c.update(raw, 0, parsed.memberStart());
    c.update(raw, parsed.memberEnd(), raw.length - parsed.memberEnd());
    if (crc == null || !crc.equals(hex8(c.getValue()))) {
      throw new IllegalArgumentException("checksum mismatch");
    }
    return m;
  }

  static String crc(byte[] bytes) {
    CRC32 c = new CRC32();
    c.update(bytes);
    return hex8(c.getValue());
  }

  /** {@code s}, cut to 200 characters: a field of a record that failed verification, in a message. */
  static String abbreviate(String s) {
    return s.length() <= 200 ? s : s.substring(0, 200) + "...";
  }

  /** Eight lower-case hex digits (String.format is slow enough to show in a restore of many blobs). */
  static String hex8(long value) {
    String digits = Long.toHexString(value & 0xffffffffL);
    return "00000000".substring(digits.length()) + digits;
  }

  /** A verified record of this store, or null if absent or failing verification. */
  static LogRecord readRecordOrNull(ObjectStore objects, String storeId, long seq)
      throws IOException {
    try {
      return readRecord(objects, storeId, seq);
    } catch (CorruptCheckpointException e) {
      return null;
    }
  }

  /**
   * The record in slot {@code seq}: null if absent, {@link LogRecord.Unreadable} if it is there but fails
   * verification or decoding (which may be a commit record: an unreadable record is never a reason to delete
   * data, R4.5).
   */
  static LogRecord readSlot(ObjectStore objects, String storeId, long seq) throws IOException {
    try {
      return readRecord(objects, storeId, seq);
    } catch (CorruptCheckpointException e) {
      LOG.debug("{}: {}", objects.uri(), e.getMessage());
      return new LogRecord.Unreadable(seq);
    }
  }

  /**
   * A small object (a record, a lease, the marker) read whole, or empty if absent.
   *
   * @throws CorruptCheckpointException if it holds more than {@link #MAX_RECORD_BYTES} (only that much plus one
   *     byte is read)
   */
  static Optional<byte[]> readSmall(ObjectStore objects, String key) throws IOException {
    Optional<byte[]> raw = objects.getAtMost(key, MAX_RECORD_BYTES + 1);
    if (raw.isPresent() && raw.get().length > MAX_RECORD_BYTES) {
      throw new CorruptCheckpointException(objects.uri(), key, "larger than " + (MAX_RECORD_BYTES >> 20)
          + " MiB, the most a record, lease or marker of ckpt4j holds: not read");
    }
    return raw;
  }

  /**
   * A verified and decoded record, or null if absent: every field the protocol reads has its type (a commit
   * record's checkpoint is decoded whole), so a record with a valid checksum but invalid content is as unreadable
   * as one failing its checksum.
   *
   * @throws CorruptCheckpointException if it fails verification or decoding
   */
  static LogRecord readRecord(ObjectStore objects, String storeId, long seq)
      throws IOException {
    String key = slotKey(LOG_DIR, seq);
    byte[] raw = readSmall(objects, key).orElse(null);
    if (raw == null) {
      return null;
    }
    try {
      Map<String, Object> rec = unseal(raw);
      if (!storeId.equals(rec.get("storeId")) || !Long.valueOf(seq).equals(rec.get("seq"))
          || !(rec.get("epoch") instanceof Long) || !(rec.get("token") instanceof String)) {
        throw new IllegalArgumentException("record does not belong to this slot");
      }
      Object type = rec.get("type");
      if (!TYPES.contains(type)) {
        throw new IllegalArgumentException("unknown record type " + abbreviate(String.valueOf(type)));
      }
      Object base = rec.get("base");
      if (base != null && !(base instanceof Long && (Long) base >= 0)) {
        throw new IllegalArgumentException("bad base " + abbreviate(String.valueOf(base)));
      }
      Holder.check(rec);
      return toRecord(rec);
    } catch (RuntimeException e) { // IllegalArgumentException, ClassCastException, DateTimeException, ...
      throw new CorruptCheckpointException(objects.uri(), key, "commit log record failed verification: "
          + e.getMessage());
    }
  }

  /** The typed record of a verified map (its type known, its header checked). */
  private static LogRecord toRecord(Map<String, Object> rec) {
    LogRecord.Header h = new LogRecord.Header((String) rec.get("storeId"), (Long) rec.get("seq"),
        (Long) rec.get("epoch"), (String) rec.get("token"), rec.get("base") == null ? -1 : (Long) rec.get("base"),
        rec.get("time") instanceof String ? (String) rec.get("time") : null);
    switch ((String) rec.get("type")) {
      case "claim":
        return new LogRecord.Claim(h, Holder.of(rec));
      case "commit":
        return new LogRecord.Commit(h, rec.get("owner") instanceof String ? (String) rec.get("owner") : null,
            decode(rec));
      case "release":
        return new LogRecord.Release(h);
      case "delete":
        return new LogRecord.Tombstone(h);
      default:
        throw new IllegalArgumentException("unknown record type " + abbreviate(String.valueOf(rec.get("type"))));
    }
  }

  /** The type a record is stored with. */
  static String typeName(LogRecord rec) {
    if (rec instanceof LogRecord.Claim) {
      return "claim";
    } else if (rec instanceof LogRecord.Commit) {
      return "commit";
    } else if (rec instanceof LogRecord.Release) {
      return "release";
    } else if (rec instanceof LogRecord.Tombstone) {
      return "delete";
    }
    throw new IllegalArgumentException("not a record to write: " + rec);
  }

  /**
   * A record as stored: the header's fields, a claim's holder, a commit's id, owner, metadata and blob table (in
   * the table's order), sealed ({@link #sealed}).
   */
  static byte[] encode(LogRecord rec) {
    LogRecord.Header h = rec.header();
    Map<String, Object> m = new TreeMap<>();
    m.put("type", typeName(rec));
    m.put("seq", h.seq());
    m.put("epoch", h.claim());
    m.put("token", h.token());
    m.put("storeId", h.storeId());
    if (h.base() >= 0) {
      m.put("base", h.base());
    }
    m.put("time", h.time());
    if (rec instanceof LogRecord.Claim c) {
      c.holder().writeTo(m);
    } else if (rec instanceof LogRecord.Commit c) {
      Decoded d = c.checkpoint();
      m.put("id", d.id());
      if (d.flat()) {
        m.put("layout", Layout.FLAT_LAYOUT);
      }
      if (c.owner() != null) {
        m.put("owner", c.owner());
      }
      m.put("metadata", new TreeMap<String, Object>(d.metadata()));
      List<Object> table = new ArrayList<>(d.blobs().size());
      d.blobs().forEach((name, b) -> {
        Map<String, Object> e = new TreeMap<>();
        e.put("name", name);
        e.put("size", b.size());
        e.put("crc32", hex8(b.crc()));
        if (b.packed()) {
          e.put("pack", b.pack());
          e.put("offset", b.offset());
        }
        table.add(e);
      });
      m.put("blobs", table);
    }
    return sealed(m);
  }

  /**
   * A commit record's content, checked.
   *
   * @param flat whether its packs are directly in {@code data/} (layout 2), else in {@code data/<id>/}
   * @param blobs by name; in the order written for a record this store builds (the order it is stored in)
   */
  record Decoded(String id, boolean flat, Instant time, Map<String, String> metadata, Map<String, BlobEntry> blobs) {}

  /** @throws RuntimeException if a field is missing, of the wrong type or out of range */
  @SuppressWarnings("unchecked")
  static Decoded decode(Map<String, Object> rec) {
    if (!(rec.get("id") instanceof String) || !(rec.get("time") instanceof String)
        || !(rec.get("metadata") instanceof Map) || rec.get("blobs") == null) {
      throw new IllegalArgumentException("a commit record needs id, time, metadata and blobs of the right types");
    }
    String id = (String) rec.get("id");
    Object layout = rec.get("layout");
    if (layout != null && !Long.valueOf(Layout.FLAT_LAYOUT).equals(layout)) {
      throw new IllegalArgumentException("unknown data layout " + abbreviate(String.valueOf(layout))
          + " (written by a newer version?)");
    }
    Map<String, String> metadata = new TreeMap<>();
    ((Map<String, Object>) rec.get("metadata")).forEach((k, v) -> {
      if (!(v instanceof String)) {
        throw new IllegalArgumentException("metadata value of " + abbreviate(k) + " is not a string");
      }
      metadata.put(k, (String) v);
    });
    Object table = rec.get("blobs");
    Map<String, BlobEntry> blobs =
        table instanceof BlobTable ? ((BlobTable) table).entries : blobTable((List<Object>) table);
    for (Map.Entry<String, BlobEntry> e : blobs.entrySet()) {
      BlobEntry b = e.getValue();
      if (b.size() < 0 || b.offset() < 0 || b.pack() < -1 || b.pack() >= MAX_PACKS) {
        throw new IllegalArgumentException("bad range of blob " + e.getKey());
      }
      BlobNames.validate(e.getKey());
    }
    if (!DATA.matcher(DATA_DIR + id + "/x").matches()) {
      throw new IllegalArgumentException("bad checkpoint id " + abbreviate(id));
    }
    return new Decoded(id, layout != null, parseTime((String) rec.get("time")), metadata, blobs);
  }

  /** A blob table the general parser read (see {@link BlobTable} for the usual way). */
  @SuppressWarnings("unchecked")
  static Map<String, BlobEntry> blobTable(List<Object> table) {
    // Hashed: a restore looks every blob up by name, mostly before the JIT has compiled anything.
    Map<String, BlobEntry> blobs = new java.util.HashMap<>(table.size() * 4 / 3 + 1);
    for (Object o : table) {
      Map<String, Object> b = (Map<String, Object>) o;
      boolean packed = b.containsKey("pack");
      BlobEntry entry = new BlobEntry((Long) b.get("size"), Long.parseLong((String) b.get("crc32"), 16),
          packed ? (Long) b.get("pack") : -1, packed ? (Long) b.get("offset") : 0);
      if (blobs.putIfAbsent((String) b.get("name"), entry) != null) {
        throw new IllegalArgumentException("blob " + b.get("name") + " is listed twice");
      }
    }
    return blobs;
  }

  /**
   * Parses the commit time as {@link Instant#toString()} wrote it ({@code 2026-11-23T15:17:11.123456Z}) without
   * the general ISO parser, which costs as much as the rest of reading a small commit record in a new JVM;
   * anything else goes to {@link Instant#parse}.
   */
  static Instant parseTime(String text) {
    int n = text.length();
    if (n >= 20 && n <= 30 && text.charAt(4) == '-' && text.charAt(7) == '-' && text.charAt(10) == 'T'
        && text.charAt(13) == ':' && text.charAt(16) == ':' && text.charAt(n - 1) == 'Z'
        && (n == 20 || (text.charAt(19) == '.' && n > 21))) {
      int year = digits(text, 0, 4);
      int month = digits(text, 5, 7);
      int day = digits(text, 8, 10);
      int hour = digits(text, 11, 13);
      int minute = digits(text, 14, 16);
      int second = digits(text, 17, 19);
      int nanos = 0;
      if (n > 20) {
        int fraction = digits(text, 20, n - 1);
        nanos = fraction < 0 || n - 21 > 9 ? -1 : fraction * (int) Math.pow(10, 9 - (n - 21));
      }
      if (year >= 0 && month >= 1 && day >= 1 && hour >= 0 && hour < 24 && minute >= 0 && minute < 60
          && second >= 0 && second < 60 && nanos >= 0) {
        try {
          long days = java.time.LocalDate.of(year, month, day).toEpochDay();
          return Instant.ofEpochSecond(days * 86_400 + hour * 3_600L + minute * 60L + second, nanos);
        } catch (java.time.DateTimeException e) {
          // not a date (e.g. February 30th): let the general parser word the error
        }
      }
    }
    return Instant.parse(text);
  }

  /** The decimal number in {@code text[from, to)}, or -1 if a character is not a digit. */
  static int digits(String text, int from, int to) {
    int v = 0;
    for (int k = from; k < to; k++) {
      char c = text.charAt(k);
      if (c < '0' || c > '9') {
        return -1;
      }
      v = v * 10 + (c - '0');
    }
    return v;
  }
}
