package org.ckpt4j.spi;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.util.Optional;
import java.util.Set;
import org.ckpt4j.spi.backend.Capability;

/**
 * One backup dir: a single slot holding the latest committed checkpoint of one training run. Obtain one with
 * {@link CheckpointStores#open(String, StoreOptions)}.
 *
 * <h2>Contract</h2>
 * The numbered rules below are the contract every implementation honours; the TCK cites them by id
 * ({@code required_R2_...}). {@code docs/contract.md} states each one in full with its rationale.
 * <ul>
 *   <li><b>R1 Write.</b> A checkpoint is a set of named blobs of any size, each streamed through
 *       {@link CheckpointWriter#newBlob(String)} (a store never holds a whole blob in memory), plus small string
 *       metadata, published by one {@link CheckpointWriter#commit(java.util.Map)}. Blob names are validated
 *       ({@link BlobNames}): relative, {@code /}-separated segments of {@code [A-Za-z0-9._-]}, no {@code .} or
 *       {@code ..} segment, at most 200 characters; a bad name is an {@link IllegalArgumentException} naming it.
 *       One writer at a time per store.</li>
 *   <li><b>R2 Atomic single slot.</b> Until {@code commit} returns, every reader (this store, another store
 *       on the same URI, another process) that calls {@link #latest()} sees the previous checkpoint; once it
 *       has returned, every reader sees the new one. No reader ever sees a mix of two checkpoints, a partial
 *       blob, or unverified data. After a commit the previous checkpoint's data is removed, unless the store
 *       was opened with {@link StoreOptions.Builder#keepPrevious(boolean)}, in which case exactly one previous
 *       checkpoint is kept. Reading a blob of a removed checkpoint raises
 *       {@link SupersededCheckpointException}.</li>
 *   <li><b>R3 Interrupted writes.</b> An exception, a thread interrupt, a writer abandoned without
 *       {@code close}, or a killed process during a write leaves the previous checkpoint as latest, intact.
 *       Leftovers of the failed write are removed by the next open (read-write) or commit. Restarts without
 *       a commit leave no trail: the storage holds as much after many as after one.</li>
 *   <li><b>R4 Latest pointer.</b> {@link #latest()} returns the newest committed checkpoint or empty: the first
 *       commit a reader reaches walking the log from its newest record, jumping from each record to the commit it
 *       names as its base. Every blob is verified against the size and CRC32 recorded at commit when it is read; a
 *       corrupt, truncated or missing blob or commit record raises {@link CorruptCheckpointException}, never
 *       silently returned data. With a kept previous checkpoint, {@link #previous()} is the fallback. (R4.5)
 *       <b>An unreadable record is never a reason to delete data</b>: a record failing verification in any way
 *       (checksum, parser limits, a field missing or of the wrong type, larger than 16 MiB) may be a commit, so
 *       while one lies in the part of the log an open walks, nothing it might name is deleted; it and its data go
 *       only once a newer commit supersedes it, and repairing it restores its checkpoint.</li>
 *   <li><b>R5 Delete.</b> {@link #delete()} removes everything this store wrote in the backup dir and nothing
 *       else, then closes the store; it is idempotent. (R5.4) A delete interrupted midway leaves either the
 *       checkpoint untouched or a backup dir that reads as empty, never a half-deleted checkpoint; the next
 *       read-write open removes what is left.</li>
 *   <li><b>R6 Ownership.</b> A read-write store is opened for an owner identity ({@link StoreOptions#owner()}).
 *       Opening refuses, changing nothing: (R6.1) a backup dir holding content the store did not write,
 *       {@link ForeignContentException} listing some offending names; (R6.2) a backup dir whose checkpoint
 *       belongs to another identity, {@link ForeignContentException} with {@code foreignOwner}; (R6.3) a backup
 *       dir held by another live read-write store, {@link SharedBackupDirException}. A store that was closed
 *       releases the backup dir at once, and so does an open that fails after claiming it. The holder's
 *       {@link StoreOptions#leaseTimeout()} governs a takeover: a crashed holder's claim is taken over after its
 *       lease has been silent for the holder's timeout or the newcomer's, whichever is longer (so a newcomer with
 *       a shorter timeout never takes over a live holder), and at once if the holder ran on the same machine and
 *       its process is gone; a restart resumes without manual cleanup, waiting at most that long. (R6.4) A store whose claim was taken over can never commit again, even if it was
 *       only paused: its commit raises {@link FencedWriterException} and nothing it wrote becomes visible.</li>
 *   <li><b>R7 Durability.</b> Once {@code commit} returns, the checkpoint survives a crash of the process
 *       (backends declaring {@link Capability#POWER_LOSS_DURABLE} also a power loss).</li>
 *   <li><b>R8 Readers.</b> Read-only stores ({@link StoreOptions#readOnly()}) never write and never claim; any
 *       number of them may read while a writer commits, and always read complete, verified checkpoints or
 *       get one of the typed errors above.</li>
 * </ul>
 *
 * <h2>Out of scope</h2>
 * Several checkpoints per backup dir (history), multiple concurrent writers, partial updates of a checkpoint,
 * encryption at rest. Implementations are thread-safe.
 */
public interface CheckpointStore extends Closeable {

  /** The backup dir, as given to {@link CheckpointStores#open}, normalized. */
  URI uri();

  /** The options the store was opened with. */
  StoreOptions options();

  /** What this store's backend guarantees beyond the required rules. */
  Set<Capability> capabilities();

  /**
   * Starts a new checkpoint (R1). Only one writer may be open at a time.
   *
   * @throws IllegalStateException if another writer of this store is open or the store is read-only or closed
   * @throws FencedWriterException if the claim was already lost
   */
  CheckpointWriter begin() throws IOException;

  /** The newest committed checkpoint, or empty when the backup dir holds none (R4). */
  Optional<Checkpoint> latest() throws IOException;

  /**
   * The checkpoint committed before the latest one, if one is kept (R2.4, R4.3): empty when {@code keepPrevious}
   * is off, fewer than two checkpoints were committed, or (on a read-only store) the writer kept no previous
   * checkpoint and its data is gone. Also returned when the latest record is unreadable: the fallback.
   */
  Optional<Checkpoint> previous() throws IOException;

  /**
   * Who holds the backup dir now, as its newest claim record and lease say; empty when it is free (released,
   * deleted, or never claimed). Reads only: a read-only store answers it while a training run holds the backup
   * dir. A read-write store names itself. The default, for stores without claims, is empty.
   */
  default Optional<BackupDirHolder> holder() throws IOException {
    return Optional.empty();
  }

  /** Removes everything this store wrote in the backup dir and nothing else, then closes the store (R5). */
  void delete() throws IOException;

  /** Aborts an open writer, releases the claim on the backup dir, stops background work. Idempotent. */
  @Override
  void close() throws IOException;
}
