package org.ckpt4j.spi.internal;

import static org.ckpt4j.spi.internal.Layout.MARKER;
import static org.ckpt4j.spi.internal.Layout.SLOT;
import static org.ckpt4j.spi.internal.Layout.isOursByName;
import static org.ckpt4j.spi.internal.Records.abbreviate;
import static org.ckpt4j.spi.internal.Records.readSmall;
import static org.ckpt4j.spi.internal.Records.sealed;
import static org.ckpt4j.spi.internal.Records.unseal;

import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.ckpt4j.spi.CorruptCheckpointException;
import org.ckpt4j.spi.ForeignContentException;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.backend.ObjectStore;

/**
 * The checks at open that a backup dir is this store's (docs/contract.md, R5): its marker (magic, format, store
 * id, owner identity), created in an empty dir; and every object in it the store's own, by name for data and by
 * content (the store id) for records. A dir failing them is refused with nothing changed.
 */
final class Ownership {
  private static final String MAGIC = "ckpt4j-backup-dir";
  private static final int FORMAT = 1;

  private Ownership() {}

  /**
   * The store id of a dir opened for reading, or null if it is empty (a writer may create the store later).
   *
   * @throws ForeignContentException if it holds objects but no marker, or a marker ckpt4j did not write
   */
  static String checkForReading(ObjectStore objects, StoreOptions options) throws IOException {
    List<String> keys = objects.list("");
    if (keys.contains(MARKER)) {
      return readMarker(objects, options);
    } else if (!keys.isEmpty()) {
      throw foreign(objects.uri(), keys, "holds objects but no " + MARKER + " marker");
    }
    return null;
  }

  /**
   * The store id of a dir opened for writing, its marker created if the dir is empty.
   *
   * @throws ForeignContentException if it holds objects but no marker, or any object the store did not write
   */
  static String checkForWriting(ObjectStore objects, StoreOptions options) throws IOException {
    List<String> keys = objects.list("");
    String storeId;
    if (keys.contains(MARKER)) {
      storeId = readMarker(objects, options);
    } else if (!keys.isEmpty()) {
      throw foreign(objects.uri(), keys, "holds objects but no " + MARKER + " marker: it was not written by ckpt4j");
    } else {
      storeId = createMarker(objects, options, Layout.newNonce() + Layout.newNonce());
      keys = objects.list("");
    }
    checkAllOurs(objects, storeId, keys);
    return storeId;
  }

  /** Creates the marker of a new store in an empty dir (or reads the one another store created at once). */
  static String createMarker(ObjectStore objects, StoreOptions options, String storeId) throws IOException {
    Map<String, Object> marker = new TreeMap<>();
    marker.put("magic", MAGIC);
    marker.put("format", (long) FORMAT);
    marker.put("storeId", storeId);
    marker.put("owner", options.owner().orElseThrow());
    marker.put("createdAt", Instant.now().toString());
    if (!objects.putIfAbsent(MARKER, sealed(marker))) {
      // Another store created it at the same moment (or our retried request did): read whichever won.
      return readMarker(objects, options);
    }
    return storeId;
  }

  /** @throws ForeignContentException naming the objects the store did not write, if there are any */
  static void checkAllOurs(ObjectStore objects, String storeId, List<String> keys) throws IOException {
    List<String> strangers = new ArrayList<>();
    for (String key : keys) {
      if (!isOurs(objects, storeId, key)) {
        strangers.add(key);
      }
    }
    if (!strangers.isEmpty()) {
      throw foreign(objects.uri(), strangers, "holds objects that ckpt4j did not write");
    }
  }

  /** Reads and verifies the marker; checks the owner when the options name one. Returns the store id. */
  static String readMarker(ObjectStore objects, StoreOptions options) throws IOException {
    URI uri = objects.uri();
    byte[] raw = readSmall(objects, MARKER).orElse(null);
    if (raw == null) {
      throw new CorruptCheckpointException(uri, MARKER, "the marker disappeared while opening (deleted by "
          + "another store?); retry");
    }
    Map<String, Object> marker;
    try {
      marker = unseal(raw);
    } catch (IllegalArgumentException e) {
      if (new String(raw, StandardCharsets.UTF_8).contains(MAGIC)) {
        throw new CorruptCheckpointException(uri, MARKER, "marker failed verification: " + e.getMessage());
      }
      throw foreign(uri, List.of(MARKER), "holds a " + MARKER + " that ckpt4j did not write");
    }
    if (!MAGIC.equals(marker.get("magic")) || !(marker.get("storeId") instanceof String)) {
      throw foreign(uri, List.of(MARKER), "holds a " + MARKER + " that ckpt4j did not write");
    }
    if (!Long.valueOf(FORMAT).equals(marker.get("format"))) {
      throw new CorruptCheckpointException(uri, MARKER, "format " + marker.get("format")
          + " is not supported by this version of ckpt4j (supports " + FORMAT + ")");
    }
    String owner = String.valueOf(marker.get("owner"));
    if (options.owner().isPresent() && !options.owner().get().equals(owner)) {
      throw new ForeignContentException(uri, "belongs to another owner identity; open it with that identity, "
          + "or use another backup dir (owner here: " + abbreviate(owner) + ", asked for: "
          + abbreviate(options.owner().get()) + ")", List.of(), owner);
    }
    return (String) marker.get("storeId");
  }

  static ForeignContentException foreign(URI uri, List<String> names, String what) {
    List<String> some = names.subList(0, Math.min(10, names.size()));
    return new ForeignContentException(uri, "refusing this backup dir: it " + what + " (" + names.size()
        + " object(s), e.g. " + some + "); nothing was changed. Use an empty or dedicated directory/prefix.",
        some, null);
  }

  /** Whether the store wrote {@code key}: by name for data, by content (store id) for records. */
  static boolean isOurs(ObjectStore objects, String storeId, String key) throws IOException {
    if (key.equals(MARKER)) {
      return true;
    }
    if (SLOT.matcher(key).matches()) {
      Optional<byte[]> raw;
      try {
        raw = readSmall(objects, key);
      } catch (CorruptCheckpointException e) {
        return true; // oversized: in a slot of the layout, an unreadable record (never read whole, never deleted)
      }
      // Gone meanwhile: a record the holder pruned. Otherwise it must carry our store id (a bit flip
      // elsewhere in it still makes it ours, reported as corrupt when read).
      return raw.isEmpty() || new String(raw.get(), StandardCharsets.UTF_8).contains(storeId);
    }
    return isOursByName(storeId, key);
  }
}
