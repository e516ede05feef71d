package org.ckpt4j.spi.internal;

import static org.ckpt4j.spi.internal.Layout.DATA_DIR;
import static org.ckpt4j.spi.internal.Layout.LEASE_DIR;
import static org.ckpt4j.spi.internal.Layout.LOG_DIR;
import static org.ckpt4j.spi.internal.Layout.dataId;
import static org.ckpt4j.spi.internal.Layout.slotKey;
import static org.ckpt4j.spi.internal.Layout.slots;

import java.io.IOException;
import java.net.URI;
import java.util.List;
import java.util.Set;
import org.ckpt4j.spi.backend.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Pruning after a commit and at open (docs/contract.md, R3, R4.5): log records below the kept commits, data no
 * kept commit names, and at open the leases and the claim and release records of earlier opens. A record that
 * fails verification may be a commit naming any data dir: while one is kept, every data dir and every record
 * below it stays.
 */
final class Pruner {
  private static final Logger LOG = LoggerFactory.getLogger(Pruner.class);

  private Pruner() {}

  /**
   * Removes log records (of {@code logSeqs}) older than the oldest kept commit and than
   * {@code keepRecordsFrom}, unreferenced data and, {@code atOpen}, the leases of earlier claims and every
   * record below this store's claim that is not kept: the claim and release records of earlier opens, which
   * readers jump over (so restarts without a commit do not lengthen the log). {@code knownHead} is the newest
   * slot the store knows of, {@code epoch} its claim's slot and {@code writingId} the id of the checkpoint being
   * written (its data is kept), or null.
   */
  static void prune(ObjectStore objects, String storeId, List<LogRecord> kept, List<Long> logSeqs, boolean atOpen,
      long keepRecordsFrom, long knownHead, long epoch, String writingId) throws IOException {
    URI uri = objects.uri();
    long oldestKept = knownHead;
    Set<String> keptIds = new java.util.HashSet<>();
    Set<Long> keptSeqs = new java.util.HashSet<>();
    // R4.5: an unreadable record may be a commit naming any data dir, and a record below it may be the latest
    // (the unreadable one a claim): keep every record at or below the highest unreadable one, and every data dir.
    long unreadableFloor = -1;
    for (LogRecord rec : kept) {
      long seq = rec.seq();
      keptSeqs.add(seq);
      oldestKept = Math.min(oldestKept, seq);
      if (rec instanceof LogRecord.Commit c) {
        keptIds.add(c.checkpoint().id());
      } else {
        unreadableFloor = Math.max(unreadableFloor, seq);
      }
    }
    if (unreadableFloor >= 0) {
      LOG.warn("{}: log record {} is unreadable; keeping every checkpoint's data until a newer commit supersedes "
          + "it", uri, slotKey(LOG_DIR, unreadableFloor));
    }
    // Records first (small), then data: a backend may free large data in the background, and small deletes
    // queued behind that would wait for it.
    for (long seq : logSeqs) {
      boolean old = seq < oldestKept && seq < keepRecordsFrom;
      boolean skipped = atOpen && seq < epoch && !keptSeqs.contains(seq);
      if ((old || skipped) && seq != epoch && seq > unreadableFloor) {
        objects.delete(slotKey(LOG_DIR, seq));
      }
    }
    for (String key : unreadableFloor >= 0 ? List.<String>of() : objects.list(DATA_DIR)) {
      String id = dataId(storeId, key); // either layout: packs in data/ or in data/<id>/
      if (id != null && !keptIds.contains(id) && !id.equals(writingId)) {
        objects.delete(key);
      }
    }
    for (long seq : atOpen ? slots(objects, LEASE_DIR) : List.<Long>of()) {
      if (seq < epoch) {
        objects.delete(slotKey(LEASE_DIR, seq));
      }
    }
  }
}
