package org.ckpt4j.spi.internal;

import static org.ckpt4j.spi.internal.Layout.*;
import static org.ckpt4j.spi.internal.Ownership.*;
import static org.ckpt4j.spi.internal.Records.*;

import java.io.IOException;
import java.net.URI;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.ckpt4j.spi.BackupDirHolder;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointWriter;
import org.ckpt4j.spi.FencedWriterException;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.spi.backend.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The checkpoint protocol, implemented once over {@link ObjectStore} primitives (docs/contract.md, "Protocol").
 *
 * <p>This class is the facade: it owns the store's state (its claim, the log's head as it knows it, the base of
 * its next record, the checkpoint it last committed, the open writer, closed and fenced) and its lock, and runs
 * open, commit, prune, delete and close; the keys are {@link Layout}'s, the records {@link LogRecord}s written
 * and read by {@link Records}, the checks at open {@link Ownership}'s, writing {@link PackWriter}'s and reading
 * {@link StoredCheckpoint}'s. The package's javadoc has the map.
 */
public final class ObjectCheckpointStore implements CheckpointStore {
  private static final Logger LOG = LoggerFactory.getLogger(ObjectCheckpointStore.class);

  private final ObjectStore objects;
  private final StoreOptions options;
  private final URI uri;
  private volatile String storeId;
  private final String token;
  private final long epoch;
  /**
   * The slot every record this store writes names as its {@code base}: the newest commit record (or record
   * failing verification, which may be one) below it; 0 if there is none. A reader jumps from a record to its
   * base, so the claim and release records of restarts without a commit cost it nothing, and a slot between
   * the two (pruned at open, perhaps recreated by a paused writer) is never read. Guarded by this.
   */
  private long base;
  private final Heartbeat heartbeat;

  // guarded by this
  private volatile long knownHead;
  /** The newest commit record this store knows (its own, or the latest at open); kept for pruning. */
  private LogRecord.Commit lastCommitted;
  /** What {@link #latest()} returns while no slot above this store's newest record exists; null if unknown. */
  private volatile OwnHead ownHead;
  private PackWriter openWriter;
  private volatile boolean closed;
  private volatile boolean fenced;
  /** The lease role: this store's heartbeat, a newcomer's wait. */
  private final Leases leases;
  /** {@link ObjectStore#packSize()}. */
  private final long packRoll;

  private ObjectCheckpointStore(ObjectStore objects, StoreOptions options, String storeId, long epoch,
      long knownHead, long base, java.time.Clock clock, String token, Holder holder,
      boolean holding) {
    this.objects = objects;
    this.leases = new Leases(objects, clock);
    this.token = token;
    this.base = base;
    this.packRoll = objects.packSize(); // checked at open
    this.options = options;
    this.uri = objects.uri();
    this.storeId = storeId;
    this.epoch = epoch;
    this.knownHead = knownHead;
    this.heartbeat = new Heartbeat(leases, storeId, epoch, holder, uri, holding);
  }

  // ---------------------------------------------------------------------------------------------- open

  public static CheckpointStore open(ObjectStore objects, StoreOptions options) throws IOException {
    return open(objects, options, java.time.Clock.systemUTC());
  }

  /** As {@link #open(ObjectStore, StoreOptions)}, with lease times by {@code clock} (tests move it). */
  public static CheckpointStore open(ObjectStore objects, StoreOptions options, java.time.Clock clock) throws IOException {
    boolean ok = false;
    try {
      PackWriter.checkPackSize(objects);
      CheckpointStore store = options.isReadOnly() ? openReadOnly(objects, options, clock) : openReadWrite(objects,
          options, clock);
      ok = true;
      return store;
    } finally {
      if (!ok) {
        objects.close();
      }
    }
  }

  private static CheckpointStore openReadOnly(ObjectStore objects, StoreOptions options, java.time.Clock clock)
      throws IOException {
    return new ObjectCheckpointStore(objects, options, checkForReading(objects, options), -1, 0, 0, clock,
        newNonce() + newNonce(), Holder.current(options.leaseTimeout().toMillis()), false);
  }

  private static CheckpointStore openReadWrite(ObjectStore objects, StoreOptions options, java.time.Clock clock)
      throws IOException {
    String storeId = checkForWriting(objects, options);
    Claims.Taken claimed = Claims.claim(objects, options, storeId, clock);
    ObjectCheckpointStore store = new ObjectCheckpointStore(objects, options, storeId, claimed.seq(), claimed.seq(),
        claimed.base(), clock, claimed.token(), claimed.holder(), true);
    try {
      store.heartbeat.writeLease();
      List<LogRecord> kept = claimed.kept();
      // The newest readable commit: with keepPrevious, the fallback when the latest record is unreadable (R4.3),
      // kept by the next commit as its previous one.
      store.lastCommitted = kept.stream().filter(r -> r instanceof LogRecord.Commit).map(r -> (LogRecord.Commit) r)
          .findFirst().orElse(null);
      if (store.lastCommitted != null && store.lastCommitted.seq() == store.base) {
        store.ownHead = new OwnHead(store.epoch, store.toCheckpoint(store.lastCommitted));
      }
      store.prune(kept, claimed.log(), true, Long.MAX_VALUE);
      String id = storeId;
      objects.purgeIncomplete(k -> isLayoutKey(id, k));
    } catch (IOException | RuntimeException e) {
      store.releaseFailedOpen(e);
      throw e;
    }
    store.heartbeat.start(options.leaseTimeout().toMillis(), store::heartbeat);
    return store;
  }

  @Override
  public Optional<BackupDirHolder> holder() throws IOException {
    ensureOpen();
    if (!resolveStoreId()) {
      return Optional.empty();
    }
    return Claims.holder(objects, storeId, leases);
  }

  // ------------------------------------------------------------------------------------------ records

  /** The header of a record this store writes in slot {@code seq}. */
  private LogRecord.Header header(long seq) {
    return new LogRecord.Header(storeId, seq, epoch, token, base, Instant.now().toString());
  }

  // ------------------------------------------------------------------------------------------- leases

  /** Runs on the lease thread; never takes the store's lock, so long commits do not silence the lease. */
  private void heartbeat() {
    try {
      if (closed || fenced) {
        return;
      }
      checkNotFenced();
      heartbeat.writeLease();
    } catch (FencedWriterException e) {
      LOG.warn("{}: {}", uri, e.getMessage());
    } catch (IOException | RuntimeException e) {
      if (!closed) {
        LOG.warn("{}: heartbeat failed ({}); will retry", uri, e.toString());
      }
    }
  }

  /** Fenced if a record of another store follows the ones this store knows of (R6.4). */
  private void checkNotFenced() throws IOException {
    if (fenced) {
      throw fencedError();
    }
    if (CommitLog.anotherFollows(objects, storeId, token, knownHead)) {
      fenced = true;
      throw fencedError();
    }
  }

  private FencedWriterException fencedError() {
    return new FencedWriterException(uri, "another store took over this backup dir (this store was silent "
        + "for longer than the lease timeout of " + options.leaseTimeout().toMillis() + " ms, or the dir is "
        + "shared); this store can no longer commit. Stop this run; the run that took over continues");
  }

  // ---------------------------------------------------------------------------------------- reading

  @Override
  public URI uri() {
    return uri;
  }

  @Override
  public StoreOptions options() {
    return options;
  }

  @Override
  public Set<Capability> capabilities() {
    return objects.capabilities();
  }

  /**
   * The record in slot {@code seq} is this store's own, and {@code latest} the checkpoint of the commit record
   * its base names, verified when this store wrote or read it: while the log lists no higher slot, that is the
   * latest checkpoint, and {@link #latest()} need not read a record again (a checkpoint is immutable).
   */
  private record OwnHead(long seq, Checkpoint latest) {}

  @Override
  public Optional<Checkpoint> latest() throws IOException {
    OwnHead own = ownHead;
    List<Long> listed = null;
    if (own != null && !fenced) {
      ensureOpen();
      listed = slots(objects, LOG_DIR);
      if (!listed.isEmpty() && listed.get(listed.size() - 1) == own.seq()) {
        return Optional.of(own.latest());
      }
    }
    List<LogRecord.Commit> commits = commits(1, listed);
    return commits.isEmpty() ? Optional.empty() : Optional.of(toCheckpoint(commits.get(0)));
  }

  @Override
  public Optional<Checkpoint> previous() throws IOException {
    if (!options.isReadOnly() && !options.keepPrevious()) {
      return Optional.empty();
    }
    ensureOpen();
    if (!resolveStoreId()) {
      return Optional.empty();
    }
    LogRecord.Commit c = CommitLog.previous(objects, storeId);
    // Kept only if its data is: a writer without keepPrevious removed it at the next commit (its record stays
    // until the commit after, for readers whose listing is not a snapshot).
    return c != null && StoredCheckpoint.dataPresent(objects, c.checkpoint()) ? Optional.of(toCheckpoint(c))
        : Optional.empty();
  }

  /** The newest {@code max} commits ({@link CommitLog#commits}), none before the store id is known. */
  private List<LogRecord.Commit> commits(int max, List<Long> listed) throws IOException {
    ensureOpen();
    return resolveStoreId() ? CommitLog.commits(objects, storeId, max, listed) : new ArrayList<>();
  }

  /** A read-only store opened on an empty backup dir learns the store id once a writer has created it. */
  private boolean resolveStoreId() throws IOException {
    if (storeId == null && readSmall(objects, MARKER).isPresent()) {
      storeId = readMarker(objects, options);
    }
    return storeId != null;
  }

  /** The checkpoint of a commit record (one read by {@link Records#readRecord}, or one this store just created). */
  private Checkpoint toCheckpoint(LogRecord.Commit rec) {
    Decoded d = rec.checkpoint();
    return new StoredCheckpoint(objects, storeId, rec.seq(), d.id(), d.flat(), d.time(), d.metadata(), d.blobs());
  }

  @Override
  public synchronized CheckpointWriter begin() throws IOException {
    ensureOpen();
    if (options.isReadOnly()) {
      throw new IllegalStateException(uri + ": this store was opened read-only");
    }
    if (openWriter != null) {
      throw new IllegalStateException(uri + ": another writer of this store is open; commit or close it first");
    }
    if (fenced) {
      throw fencedError();
    }
    openWriter = new PackWriter(this, objects, storeId, packRoll, options.owner().orElseThrow());
    return openWriter;
  }

  /** A writer was closed or abandoned: another may begin. */
  synchronized void writerClosed(PackWriter writer) {
    if (openWriter == writer) {
      openWriter = null;
    }
  }

  /** Publishes a writer's commit record (called by {@link PackWriter#commit}). */
  Checkpoint commit(PackWriter writer, PackWriter.Content body) throws IOException {
    try {
      return commitOrFail(writer, body);
    } catch (FencedWriterException e) {
      throw e;
    } catch (IOException e) {
      // A store that took over may have pruned this writer's blobs: then the real cause is the takeover.
      try {
        checkNotFenced();
      } catch (FencedWriterException fencedError) {
        fencedError.addSuppressed(e);
        throw fencedError;
      } catch (IOException checkFailed) {
        e.addSuppressed(checkFailed);
      }
      throw e;
    }
  }

  private Checkpoint commitOrFail(PackWriter writer, PackWriter.Content body) throws IOException {
    // Durability of the blobs first, outside the store's lock (it may take seconds; heartbeats go on).
    writer.finishPacks();
    objects.sync(writer.packKeys());
    synchronized (this) {
      ensureOpen();
      if (openWriter != writer) {
        throw new IllegalStateException("this writer was closed");
      }
      if (fenced) {
        throw fencedError();
      }
      Optional<Publication.Published> published = Publication.publish(objects, storeId, token, knownHead + 1,
          writer.id, at -> {
            LogRecord.Header header = header(at);
            return new LogRecord.Commit(header, body.owner(), new Decoded(writer.id, true, parseTime(header.time()),
                body.metadata(), body.blobs()));
          });
      if (published.isEmpty()) {
        fenced = true;
        throw fencedError();
      }
      LogRecord.Commit committed = published.get().commit();
      long seq = committed.seq();
      List<Long> seqs = published.get().log();
      knownHead = seq;
      base = seq;
      writer.markCommitted();
      openWriter = null;
      List<LogRecord> kept = new ArrayList<>(List.of(committed));
      if (options.keepPrevious() && lastCommitted != null) {
        kept.add(lastCommitted);
      }
      // The superseded commit's record stays until the next commit (its data goes now): a reader whose listing
      // is not a snapshot (it may miss the record created and the one deleted during the listing) still finds
      // a commit, and gets SupersededCheckpointException from its blobs, never an empty backup dir.
      long keepRecordsFrom = lastCommitted == null ? seq : lastCommitted.seq();
      lastCommitted = committed;
      try {
        prune(kept, seqs, false, keepRecordsFrom);
      } catch (IOException e) {
        // The checkpoint is committed; leftovers are removed by the next commit or open.
        LOG.warn("{}: could not remove superseded data ({}); the next commit retries", uri, e.toString());
      }
      Checkpoint checkpoint = toCheckpoint(committed);
      ownHead = new OwnHead(seq, checkpoint);
      return checkpoint;
    }
  }

  /** {@link Pruner#prune} with this store's state (its head, claim and open writer). */
  private void prune(List<LogRecord> kept, List<Long> logSeqs, boolean atOpen, long keepRecordsFrom)
      throws IOException {
    PackWriter current = openWriter;
    Pruner.prune(objects, storeId, kept, logSeqs, atOpen, keepRecordsFrom, knownHead, epoch,
        current == null ? null : current.id);
  }

  // ------------------------------------------------------------------------------------ delete/close

  @Override
  public void delete() throws IOException {
    synchronized (this) {
      if (closed) {
        return;
      }
      if (options.isReadOnly()) {
        throw new IllegalStateException(uri + ": this store was opened read-only; delete needs a read-write "
            + "store");
      }
      checkNotFenced();
      if (openWriter != null) {
        openWriter.close();
      }
      // A tombstone first: if this process dies midway, the next open sees an empty store and prunes the rest.
      long seq = knownHead + 1;
      ownHead = null;
      if (!CommitLog.createSlot(objects, storeId, token, seq, new LogRecord.Tombstone(header(seq)), null)) {
        fenced = true;
        throw fencedError();
      }
      knownHead = seq;
      base = 0; // nothing older counts now
      heartbeat.stop();
      try {
        Deleter.removeAll(objects, storeId);
      } catch (IOException | RuntimeException e) {
        // Past the tombstone the store is gone whatever failed, and writes nothing more: a release record
        // would be written after the tombstone, or into a backup dir whose marker is already removed.
        LOG.warn("{}: delete() failed midway ({}); the backup dir reads as empty, and the next read-write open "
            + "removes what is left", uri, e.toString());
        try {
          objects.close();
        } catch (IOException closeFailure) {
          e.addSuppressed(closeFailure);
        }
        throw e;
      } finally {
        closed = true;
      }
    }
    objects.close();
  }

  @Override
  public void close() throws IOException {
    synchronized (this) {
      if (closed) {
        return;
      }
      closed = true;
      if (openWriter != null) {
        openWriter.close();
      }
      heartbeat.stop();
      if (!options.isReadOnly() && !fenced) {
        try {
          releaseClaim();
        } catch (IOException | RuntimeException e) {
          LOG.warn("{}: could not release the claim ({}); the next open waits up to the lease timeout", uri,
              e.toString());
        }
      }
    }
    objects.close();
  }

  private void releaseClaim() throws IOException {
    checkNotFenced();
    long seq = knownHead + 1;
    if (!CommitLog.createSlot(objects, storeId, token, seq, new LogRecord.Release(header(seq)), null)) {
      return; // someone else is next: they took over already
    }
    knownHead = seq;
    objects.delete(slotKey(LEASE_DIR, epoch));
  }

  /**
   * An open that fails after its claim was taken releases it (a release record, as {@link #close()} writes, and
   * its lease removed), so that the next open need not wait for this one's lease to time out; then closes.
   */
  private void releaseFailedOpen(Exception cause) {
    heartbeat.stop();
    try {
      releaseClaim();
    } catch (IOException | RuntimeException e) {
      cause.addSuppressed(e);
      try {
        objects.delete(slotKey(LEASE_DIR, epoch));
        objects.delete(slotKey(LOG_DIR, epoch));
      } catch (IOException | RuntimeException again) {
        cause.addSuppressed(again);
      }
    }
    closeQuietly();
  }

  private void closeQuietly() {
    heartbeat.stop();
    synchronized (this) {
      closed = true;
    }
    try {
      objects.close();
    } catch (IOException e) {
      LOG.debug("close: {}", e.toString());
    }
  }

  private void ensureOpen() { // no lock: a reader must not wait for a commit in flight
    if (closed) {
      throw new IllegalStateException(uri + ": this store is closed");
    }
  }

  @Override
  public String toString() {
    return "CheckpointStore[" + uri + (options.isReadOnly() ? ", read-only" : ", claim #" + epoch) + "]";
  }

}
