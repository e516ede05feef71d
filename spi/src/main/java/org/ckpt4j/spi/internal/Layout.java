package org.ckpt4j.spi.internal;

import org.ckpt4j.spi.BlobNames;
import org.ckpt4j.spi.backend.ObjectStore;

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
 *   <li>{@code data/<nonce>-<tag>/pack-<n>}: the blobs, stored one after another in a few pack objects (a new
 *       pack when the current one holds {@link ObjectStore#packSize()} bytes, or when blobs are written
 *       concurrently),
 *       under a directory unique to one write; the commit record gives each blob's pack, offset, size and
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
  static final Pattern DATA = Pattern.compile("data/([0-9a-f]{16})-([0-9a-f]{16})/(.+)");
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
   * Whether an incomplete write of {@code key} (a backend's temporary file or upload, whose content cannot be
   * checked) is the store's: the marker, a log or lease slot, or data of this store.
   */
  static boolean isLayoutKey(String storeId, String key) {
    return key != null && (key.equals(MARKER) || SLOT.matcher(key).matches() || isOursByName(storeId, key));
  }

  static boolean isOursByName(String storeId, String key) {
    Matcher m = DATA.matcher(key);
    return m.matches() && m.group(2).equals(tag(storeId, m.group(1))) && BlobNames.isValid(m.group(3));
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
