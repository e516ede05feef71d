package org.ckpt4j.spi.internal;

import static org.ckpt4j.spi.internal.Layout.LOG_DIR;
import static org.ckpt4j.spi.internal.Layout.slotKey;
import static org.ckpt4j.spi.internal.Layout.slots;
import static org.ckpt4j.spi.internal.Records.readRecordOrNull;

import java.io.IOException;
import java.util.List;
import java.util.Optional;
import java.util.function.LongFunction;
import org.ckpt4j.spi.backend.ObjectStore;

/**
 * How a checkpoint becomes visible (docs/contract.md, R2, R6.4): its commit record is created in the next free
 * log slot, past records of this store's own earlier requests whose outcome it did not learn; then the log is
 * listed, and the commit stands only if its slot is listed and every newer slot is this store's too. Anything
 * else means another store took over: the writer is fenced (and removes a slot it recreated after a prune).
 */
final class Publication {
  private Publication() {}

  /** A commit record created and confirmed, with the log as listed right after. */
  record Published(LogRecord.Commit commit, List<Long> log) {}

  /**
   * Publishes the commit record {@code recordFor} builds for a slot, from slot {@code from} up.
   *
   * @return empty if the store with {@code token} is fenced (another store's record is in its way)
   */
  static Optional<Published> publish(ObjectStore objects, String storeId, String token, long from,
      String checkpointId, LongFunction<LogRecord.Commit> recordFor) throws IOException {
    long seq = from;
    LogRecord.Commit committed;
    while (true) {
      LogRecord.Commit rec = recordFor.apply(seq);
      if (CommitLog.createSlot(objects, storeId, token, seq, rec, checkpointId)) {
        committed = rec;
        break;
      }
      LogRecord there = readRecordOrNull(objects, storeId, seq);
      if (there != null && token.equals(there.token())) {
        // An earlier request of ours whose outcome we did not learn: move past it.
        seq++;
        continue;
      }
      return Optional.empty();
    }
    // A paused writer may have recreated a slot that was pruned long ago: then newer slots exist.
    List<Long> seqs = slots(objects, LOG_DIR);
    if (!seqs.contains(seq)) {
      // Created, then gone before this list: only a store that took over prunes records, so this one is fenced.
      return Optional.empty();
    }
    if (seqs.get(seqs.size() - 1) > seq) {
      for (long s : seqs) {
        if (s > seq) {
          LogRecord rec = readRecordOrNull(objects, storeId, s);
          if (rec == null || !token.equals(rec.token())) {
            objects.delete(slotKey(LOG_DIR, seq));
            return Optional.empty();
          }
        }
      }
    }
    return Optional.of(new Published(committed, seqs));
  }
}
