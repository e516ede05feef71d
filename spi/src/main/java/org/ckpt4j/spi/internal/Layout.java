package org.ckpt4j.spi.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ckpt4j.spi.BlobNames;
import org.ckpt4j.spi.backend.ObjectStore;

/**
 * Every key of a backup dir and how it is parsed (docs/contract.md, "Protocol").
 *
 * <p>Layout under the backup dir:
 * <ul>
 *   <li>{@code ckpt4j.json}: the marker, created once: format, a random store id, the owner identity.</li>
 *   <li>{@code log/<seq>.json}: the commit log, one record per slot, each created with
 *       {@link ObjectStore#putIfAbsent}: {@code claim} (a store took the backup dir), {@code commit} (a
 *       checkpoint: blob names, sizes, CRC32, where each blob is stored, metadata), {@code release} (a
 *       store closed) and {@code delete} (a tombstone: nothing below it counts). Every record names its
 *       {@code base}, the newest commit below it (0 if none); a reader walks down from the highest slot, jumping
 *       from each record to its base, and the first commit it reaches is the latest checkpoint. Creating a slot
 *       is the only atomic step, so exactly one writer wins each slot; a writer that finds another store's
 *       record in its slot is fenced.</li>
 *   <li>{@code lease/<claim seq>.json}: the holder's heartbeat, rewritten every lease timeout / 4; written, read
 *       and waited for by {@link Leases}.</li>
 *   <li>{@code data/<nonce>-<tag>.pack-<n>}: the blobs, stored one after another in a few pack objects (a new
 *       pack when the current one holds {@link ObjectStore#packSize()} bytes, or when blobs are written
 *       concurrently),
 *       named by an id unique to one write, directly in {@code data/} (layout 2: on a file system a directory
 *       per checkpoint cost one more directory fsync per commit; records before it, without {@code layout}, name
 *       packs {@code data/<nonce>-<tag>/pack-<n>}, still read and pruned); the commit record gives each blob's
 *       pack, offset, size and
 *       CRC32, and a reader fetches exactly that range. Packing makes a checkpoint of many small tensors cost
 *       a few objects (one fsync, one upload) instead of one per tensor. The tag is derived from the store id,
 *       so foreign objects imitating the layout are told apart from the store's own. (Records written before
 *       packs existed name no pack: their blob is the whole object {@code data/<id>/<blob name>}.)</li>
 * </ul>
 * Every record carries the store id and a CRC32 over its canonical JSON. Records, leases and the marker are read
 * with a limit ({@link Records#MAX_RECORD_BYTES}) and decoded into typed fields ({@link Records}, {@link LogRecord});
 * a record failing any of that is unreadable, and an unreadable record is never a reason to delete data (R4.5).
 * Claim records and leases name their holder ({@link Holder}): its lease timeout, which governs a takeover, and its
 * process and machine.
 */
final class Layout {
  private Layout() {}

  static final String MARKER = "ckpt4j.json";
  static final String LOG_DIR = "log/";
  static final String LEASE_DIR = Leases.DIR;
  static final String DATA_DIR = "data/";
  static final int MAX_PACKS = 100_000;
  static final Pattern SLOT = Pattern.compile("(log|lease)/(\\d{20})\\.json");
  /** Data under a checkpoint's own directory: packs of records before layout 2, or blobs from before packs. */
  static final Pattern DATA = Pattern.compile("data/([0-9a-f]{16})-([0-9a-f]{16})/(.+)");
  /** A pack directly in {@code data/} (layout 2): no directory per checkpoint, so one directory fsync fewer. */
  static final Pattern FLAT_PACK = Pattern.compile("data/([0-9a-f]{16})-([0-9a-f]{16})\\.(pack-\\d{5})");
  /** The commit record's {@code layout} of packs written directly in {@code data/}; absent: in {@code data/<id>/}. */
  static final long FLAT_LAYOUT = 2;
  private static final SecureRandom RANDOM = new SecureRandom();

  static String slotKey(String dir, long seq) {
    String digits = Long.toString(seq);
    return dir + "00000000000000000000".substring(Math.min(20, digits.length())) + digits + ".json";
  }

  static List<Long> slots(ObjectStore objects, String dir) throws IOException {
    List<Long> seqs = new ArrayList<>();
    for (String key : objects.list(dir)) {
      Matcher m = SLOT.matcher(key);
      if (m.matches()) {
        try {
          seqs.add(Long.parseLong(m.group(2)));
        } catch (NumberFormatException e) {
          // 20 digits beyond Long.MAX_VALUE: never a slot of ours (foreign content imitating the layout)
        }
      }
    }
    Collections.sort(seqs);
    return seqs;
  }

  static String packName(int index) {
    String digits = Integer.toString(index);
    return "pack-" + "00000".substring(Math.min(5, digits.length())) + digits;
  }

  /**
   * The key of a checkpoint's pack: {@code data/<id>.pack-<n>} when {@code flat} (layout 2, what this version
   * writes), else {@code data/<id>/pack-<n>} (records written before it, still read and pruned).
   */
  static String packKey(String id, boolean flat, int index) {
    return DATA_DIR + id + (flat ? "." : "/") + packName(index);
  }

  /** The prefix every data object of a checkpoint starts with, in either layout. */
  static String dataPrefix(String id, boolean flat) {
    return DATA_DIR + id + (flat ? "." : "/");
  }

  /** The checkpoint id a data key belongs to, in either layout, or null if it is none of the store's. */
  static String dataId(String storeId, String key) {
    Matcher m = DATA.matcher(key);
    if (!m.matches()) {
      m = FLAT_PACK.matcher(key);
      if (!m.matches()) {
        return null;
      }
    } else if (!BlobNames.isValid(m.group(3))) {
      return null;
    }
    return m.group(2).equals(tag(storeId, m.group(1))) ? m.group(1) + "-" + m.group(2) : null;
  }

  /**
   * Whether an incomplete write of {@code key} (a backend's temporary file or upload, whose content cannot be
   * checked) is the store's: the marker, a log or lease slot, or data of this store.
   */
  static boolean isLayoutKey(String storeId, String key) {
    return key != null && (key.equals(MARKER) || SLOT.matcher(key).matches() || isOursByName(storeId, key));
  }

  static boolean isOursByName(String storeId, String key) {
    return dataId(storeId, key) != null;
  }

  static String newNonce() {
    return String.format("%016x", RANDOM.nextLong());
  }

  static String tag(String storeId, String nonce) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] d = sha.digest((storeId + "/" + nonce).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(d, 0, 8);
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
