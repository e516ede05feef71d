package org.ckpt4j.spi.internal;

import static org.ckpt4j.spi.internal.Layout.MARKER;
import static org.ckpt4j.spi.internal.Layout.SLOT;
import static org.ckpt4j.spi.internal.Layout.isLayoutKey;
import static org.ckpt4j.spi.internal.Layout.isOursByName;
import static org.ckpt4j.spi.internal.Ownership.isOurs;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.ckpt4j.spi.backend.ObjectStore;

/**
 * How a backup dir goes away (docs/contract.md, {@code delete()}): after the facade has written the tombstone,
 * the store's data and incomplete uploads, then its records (the tombstone last), then the marker; objects that
 * are not the store's are left. A delete that stops midway leaves a dir that reads as empty, and the next
 * read-write open removes the rest.
 */
final class Deleter {
  private Deleter() {}

  /** The removal behind a delete's tombstone: data, incomplete uploads, records (the tombstone last), marker. */
  static void removeAll(ObjectStore objects, String storeId) throws IOException {
    List<String> keys = objects.list("");
    List<String> records = new ArrayList<>();
    for (String key : keys) {
      if (key.equals(MARKER)) {
        continue;
      }
      if (SLOT.matcher(key).matches()) {
        if (isOurs(objects, storeId, key)) {
          records.add(key);
        }
      } else if (isOursByName(storeId, key)) {
        objects.delete(key);
      }
    }
    objects.purgeIncomplete(k -> isLayoutKey(storeId, k));
    // Records last, the tombstone (newest slot) last of them, the marker at the very end.
    for (String key : records) {
      objects.delete(key);
    }
    objects.delete(MARKER);
  }
}
