package org.ckpt4j.spi.internal;

import static org.ckpt4j.spi.internal.Layout.LEASE_DIR;
import static org.ckpt4j.spi.internal.Layout.LOG_DIR;
import static org.ckpt4j.spi.internal.Layout.slotKey;
import static org.ckpt4j.spi.internal.Layout.slots;
import static org.ckpt4j.spi.internal.Records.MAX_RECORD_BYTES;
import static org.ckpt4j.spi.internal.Records.encode;
import static org.ckpt4j.spi.internal.Records.readRecord;
import static org.ckpt4j.spi.internal.Records.readRecordOrNull;
import static org.ckpt4j.spi.internal.Records.readSlot;
import static org.ckpt4j.spi.internal.Records.typeName;

import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.ckpt4j.spi.StoreAccessException;
import org.ckpt4j.spi.backend.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The commit log (docs/contract.md, "Protocol"): creating a slot, where creating it is the only atomic step and a
 * writer whose retried request already created its own record knows it won ({@link #createSlot}); who holds the
 * dir ({@link #holderEpoch}); and the reader's walk from the highest slot down, from each record to its base
 * ({@link #below}), to the latest commits ({@link #commits}), the previous one ({@link #previous}) or those a
 * writer keeps ({@link #retained}), listing again when records vanish under it ({@link #relistPause}).
 */
final class CommitLog {
  private static final Logger LOG = LoggerFactory.getLogger(CommitLog.class);
  /** Relists of a log that changed while read, before a reader starts pausing between relists. */
  private static final int MAX_RELISTS = 20;
  /** How long a reader keeps relisting a log that changes under it before it reports an error. */
  private static final long RELIST_DEADLINE_MS = 30_000;

  private CommitLog() {}

  /**
   * Creates log slot {@code seq} with {@code rec}. Returns true if the record of the store with {@code token} is
   * there afterwards (including when a retried request of ours had already created it), false if another
   * store's is.
   */
  static boolean createSlot(ObjectStore objects, String storeId, String token, long seq, LogRecord rec,
      String checkpointId) throws IOException {
    String key = slotKey(LOG_DIR, seq);
    byte[] bytes = encode(rec);
    if (bytes.length > MAX_RECORD_BYTES) {
      // Never publish a record that readers would have to refuse as oversized (R4.5).
      throw new IllegalArgumentException("the " + typeName(rec) + " record would take " + bytes.length
          + " bytes, more than the " + (MAX_RECORD_BYTES >> 20) + " MiB a record may hold"
          + (rec instanceof LogRecord.Commit c ? " (" + c.checkpoint().blobs().size() + " blobs)" : "")
          + "; nothing was committed. "
          + "Write fewer, larger blobs (for example, concatenate small tensors), or less metadata");
    }
    try {
      if (objects.putIfAbsent(key, bytes)) {
        return true;
      }
    } catch (IOException e) {
      // Outcome unknown (e.g. the response was lost): the record itself tells.
      LogRecord there;
      try {
        there = readRecordOrNull(objects, storeId, seq);
      } catch (IOException readFailure) {
        e.addSuppressed(readFailure);
        throw e;
      }
      if (there == null) {
        throw e;
      }
      return isMine(token, there, rec, checkpointId);
    }
    LogRecord there = readRecordOrNull(objects, storeId, seq);
    return there != null && isMine(token, there, rec, checkpointId);
  }

  /** Whether {@code there} is {@code mine}: this store's token, the same type, the same checkpoint. */
  private static boolean isMine(String token, LogRecord there, LogRecord mine, String checkpointId) {
    return token.equals(there.token()) && there.getClass() == mine.getClass()
        && (checkpointId == null
            || (there instanceof LogRecord.Commit c && checkpointId.equals(c.checkpoint().id())));
  }

  /**
   * Whether a record of another store than the one with {@code token} follows slot {@code known} (R6.4: then
   * that store is fenced); a record that fails verification counts as another's.
   */
  static boolean anotherFollows(ObjectStore objects, String storeId, String token, long known) throws IOException {
    for (long seq : slots(objects, LOG_DIR)) {
      if (seq > known) {
        LogRecord rec = readSlot(objects, storeId, seq);
        if (rec == null) {
          continue; // a stale slot its writer deleted again
        }
        if (!token.equals(rec.token())) {
          return true;
        }
      }
    }
    return false;
  }

  /** The claim of the store holding the backup dir, as the newest log record tells; -1 if it is free. */
  static long holderEpoch(ObjectStore objects, String storeId, List<Long> slots) throws IOException {
    if (slots.isEmpty()) {
      return -1;
    }
    LogRecord last = readRecordOrNull(objects, storeId, slots.get(slots.size() - 1));
    if (last == null) {
      // Unreadable last record: judge liveness by the newest lease.
      List<Long> leases = slots(objects, LEASE_DIR);
      return leases.isEmpty() ? -1 : leases.get(leases.size() - 1);
    }
    return last instanceof LogRecord.Release || last instanceof LogRecord.Tombstone ? -1 : last.header().claim();
  }

  /**
   * The newest {@code max} commit records, newest first, walking {@code listed} (the log's slots, or null to list
   * them) first. @throws CorruptCheckpointException on the way
   */
  static List<LogRecord.Commit> commits(ObjectStore objects, String storeId, int max, List<Long> listed)
      throws IOException {
    List<LogRecord.Commit> found = new ArrayList<>();
    // A record listed but gone when read was pruned by a concurrent commit: the listing is stale, list again.
    long start = System.nanoTime();
    for (int attempt = 0; ; attempt++) {
      found.clear();
      boolean vanished = false;
      List<Long> seqs = attempt == 0 && listed != null ? listed : slots(objects, LOG_DIR);
      for (int k = seqs.size() - 1; k >= 0 && found.size() < max; ) {
        LogRecord rec = readRecord(objects, storeId, seqs.get(k));
        if (rec == null) {
          vanished = true;
          break;
        }
        if (rec instanceof LogRecord.Tombstone) {
          break; // a delete() was under way: nothing older counts
        }
        if (rec instanceof LogRecord.Commit c) {
          found.add(c);
        }
        k = below(seqs, k, rec);
      }
      if (!vanished) {
        return found;
      }
      relistPause(objects.uri(), attempt, start);
    }
  }

  /**
   * The commit before the latest (a commit, or a record failing verification, which may be one): walks the log
   * past the latest slot to the next commit; null if there is none (or a tombstone comes first).
   */
  static LogRecord.Commit previous(ObjectStore objects, String storeId) throws IOException {
    // Skip the latest slot (a commit, or a record that fails verification), then take the next commit.
    List<Long> seqs = slots(objects, LOG_DIR);
    boolean skippedLatest = false;
    for (int k = seqs.size() - 1; k >= 0; ) {
      LogRecord rec = readSlot(objects, storeId, seqs.get(k));
      boolean unreadable = rec instanceof LogRecord.Unreadable;
      if (rec instanceof LogRecord.Tombstone) {
        break;
      }
      boolean commit = rec instanceof LogRecord.Commit;
      if (!skippedLatest) {
        skippedLatest = commit || unreadable;
      } else if (commit) {
        return (LogRecord.Commit) rec;
      }
      k = below(seqs, k, rec);
    }
    return null;
  }

  /**
   * The newest {@code want} commit records of the log {@code seqs}, newest first; a record that fails
   * verification may be a commit, so it counts (as {@link LogRecord.Unreadable}).
   */
  static List<LogRecord> retained(ObjectStore objects, String storeId, List<Long> seqs,
      int want) throws IOException {
    List<LogRecord> kept = new ArrayList<>();
    for (int k = seqs.size() - 1; k >= 0 && kept.size() < want; ) {
      LogRecord rec = readSlot(objects, storeId, seqs.get(k));
      if (rec instanceof LogRecord.Unreadable) {
        // An unreadable record may be a commit: keep it, and every record and data dir below it (see prune).
        kept.add(rec);
      } else if (rec == null) {
        LOG.debug("{}: log slot {} vanished while read", objects.uri(), seqs.get(k));
      } else if (rec instanceof LogRecord.Tombstone) {
        break;
      } else if (rec instanceof LogRecord.Commit) {
        kept.add(rec);
      }
      k = below(seqs, k, rec);
    }
    return kept;
  }

  /**
   * Where a reader of the log {@code seqs} (sorted) goes after the record at index {@code k}: to the record's
   * base when it names one, or nowhere (-1) when its base is 0 or not listed (pruned by a later commit: no
   * older record counts); to the next lower slot when the record names no base (a record written before
   * bases, one that failed verification or vanished). The slots skipped hold only claim and release records,
   * or a slot a paused writer recreated after it was pruned, which it deletes again once it lists the log.
   */
  static int below(List<Long> seqs, int k, LogRecord rec) {
    long base = rec == null ? -1 : rec.base();
    if (base < 0 || base >= seqs.get(k)) {
      return k - 1;
    }
    int at = Collections.binarySearch(seqs, base);
    return at >= 0 ? at : -1;
  }

  /**
   * Between relists of a log that changed while it was read: at first none; after {@link #MAX_RELISTS} a pause
   * that grows to 50 ms (a reader starved of CPU while commits follow each other quickly must still get a
   * consistent view, never an empty one); after {@link #RELIST_DEADLINE_MS} an error.
   */
  static void relistPause(URI uri, int attempt, long startNanos) throws IOException {
    if (attempt < MAX_RELISTS) {
      return;
    }
    if (System.nanoTime() - startNanos > RELIST_DEADLINE_MS * 1_000_000) {
      throw new StoreAccessException(uri, StoreAccessException.Reason.OTHER, "the commit log changed under "
          + "every one of " + (attempt + 1) + " reads in " + RELIST_DEADLINE_MS / 1000 + " s (records listed "
          + "were gone when read); is something deleting log/ records?", null);
    }
    sleep(Math.min(50, 1L << Math.min(6, attempt - MAX_RELISTS)));
  }

  private static void sleep(long ms) throws IOException {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while waiting (for the backup dir's holder, or for "
          + "the commit log to settle)");
    }
  }
}
