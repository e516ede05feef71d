package org.ckpt4j.spi.internal;

import static org.ckpt4j.spi.internal.Layout.LOG_DIR;
import static org.ckpt4j.spi.internal.Layout.newNonce;
import static org.ckpt4j.spi.internal.Layout.slotKey;
import static org.ckpt4j.spi.internal.Layout.slots;
import static org.ckpt4j.spi.internal.Records.readRecordOrNull;

import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.ckpt4j.spi.BackupDirHolder;
import org.ckpt4j.spi.SharedBackupDirException;
import org.ckpt4j.spi.StoreAccessException;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.backend.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Taking a backup dir for writing (docs/contract.md, R6.3): wait for a silent holder's lease to time out (through
 * {@link Leases}, on its clock), refuse a live one, then create a claim record in the next log slot; a claim that
 * another store's record follows at once, or that the log does not list, is given up.
 */
final class Claims {
  private static final Logger LOG = LoggerFactory.getLogger(Claims.class);

  private Claims() {}

  /**
   * A claim taken: its slot, the base of the store's records, its token and holder, the commit records to keep
   * (found by the walk that gave the claim its base; no slot was added below the claim since, or it would not
   * have been taken) and the log as listed right after the claim.
   */
  record Taken(long seq, long base, String token, Holder holder, List<LogRecord> kept, List<Long> log) {}

  /**
   * Takes the claim (R6.3): waits for a silent holder to time out, refuses a live one, then creates a claim
   * record in the next log slot.
   */
  static Taken claim(ObjectStore objects, StoreOptions options, String storeId, java.time.Clock clock)
      throws IOException {
    URI uri = objects.uri();
    List<Long> slots = slots(objects, LOG_DIR);
    long head = slots.isEmpty() ? 0 : slots.get(slots.size() - 1);
    long holderEpoch = CommitLog.holderEpoch(objects, storeId, slots);
    if (holderEpoch > 0) {
      LogRecord claimRecord = readRecordOrNull(objects, storeId, holderEpoch);
      new Leases(objects, clock).awaitSilence(holderEpoch, claimRecord instanceof LogRecord.Claim c ? c.holder()
          : null, options.leaseTimeout().toMillis());
    }
    List<LogRecord> kept = CommitLog.retained(objects, storeId, slots, options.keepPrevious() ? 2 : 1);
    long base = kept.isEmpty() ? 0 : kept.get(0).seq();
    String token = newNonce() + newNonce();
    Holder holder = Holder.current(options.leaseTimeout().toMillis());
    long seq = head + 1;
    while (true) {
      LogRecord rec = new LogRecord.Claim(new LogRecord.Header(storeId, seq, seq, token, base,
          Instant.now().toString()), holder);
      if (CommitLog.createSlot(objects, storeId, token, seq, rec, null)) {
        break;
      }
      LogRecord other = readRecordOrNull(objects, storeId, seq);
      String otherHolder = other instanceof LogRecord.Claim c ? c.holder().description() : null;
      throw new SharedBackupDirException(uri, "another store claimed this backup dir at the same moment ("
          + (other == null ? "unknown holder" : otherHolder) + "); give each run its own backup dir",
          other == null ? "unknown" : String.valueOf(otherHolder));
    }
    List<Long> after = slots(objects, LOG_DIR);
    if (!after.contains(seq)) {
      throw new StoreAccessException(uri, StoreAccessException.Reason.OTHER, "the claim record " + slotKey(LOG_DIR,
          seq) + " was created but is not listed (listed: " + after + "): the storage lists inconsistently, or "
          + "something else deletes objects in this backup dir; give the run a backup dir of its own", null);
    }
    if (after.get(after.size() - 1) > seq) {
      objects.delete(slotKey(LOG_DIR, seq));
      throw new SharedBackupDirException(uri, "another store claimed this backup dir at the same moment",
          "unknown");
    }
    LOG.debug("{}: claimed as #{}", uri, seq);
    return new Taken(seq, base, token, holder, kept, after);
  }

  /** Who holds the dir, as its newest claim record and that claim's lease say; empty if it is free. */
  static Optional<BackupDirHolder> holder(ObjectStore objects, String storeId, Leases leases) throws IOException {
    long claim = CommitLog.holderEpoch(objects, storeId, slots(objects, LOG_DIR));
    if (claim <= 0) {
      return Optional.empty();
    }
    LogRecord claimRecord = readRecordOrNull(objects, storeId, claim);
    Holder h = claimRecord instanceof LogRecord.Claim c ? c.holder() : null;
    Leases.Lease lease = leases.read(claim);
    java.time.Instant renewed = lease == null ? null : lease.renewedAt();
    h = lease != null && lease.holder() != null ? lease.holder() : h;
    if (h == null) {
      return Optional.of(new BackupDirHolder(claim, "unknown holder (claim #" + claim + ")", -1, null, renewed,
          null));
    }
    return Optional.of(new BackupDirHolder(claim, h.description(), h.pid(), h.host(), renewed,
        h.leaseTimeoutMs() > 0 ? java.time.Duration.ofMillis(h.leaseTimeoutMs()) : null));
  }
}
