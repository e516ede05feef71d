/**
 * The protocol that implements the storage contract ({@code docs/contract.md}, rules R0–R8) once for every backend,
 * over an {@link org.ckpt4j.spi.backend.ObjectStore}; and the registry of backends. Not exported: a class here is
 * public only where another package of the module needs it.
 *
 * <h2>Map of the protocol (package-private classes, one role each)</h2>
 * <ul>
 *   <li>{@code ObjectCheckpointStore}: the facade, owning the store's state and lock: opening, the
 *       heartbeat and fencing checks, commit publication, delete and close.</li>
 *   <li>{@code Layout}: every key of a backup dir (marker, log and lease slots, data dirs and packs) and its
 *       parsing; store ids, nonces and the tag that ties a data dir to its store.</li>
 *   <li>{@code Claims}: taking the dir for writing (R6.3): waiting out a silent holder, refusing a live one,
 *       creating the claim record.</li>
 *   <li>{@code CommitLog}: creating a slot ("I already won" when a retried request of ours created it), who
 *       holds the dir, and the reader's walk from the highest slot down from base to base (latest, previous,
 *       the commits a writer keeps), listing again when records vanish under it.</li>
 *   <li>{@code Publication}: how a commit becomes visible: its record in the next free slot, past our own
 *       earlier requests, confirmed by a listing in which no other store's record follows it (else fenced).</li>
 *   <li>{@code Pruner}: what a commit or an open removes (old records, unreferenced data, earlier leases),
 *       keeping everything at or below a record that fails verification (R4.5). {@code Deleter}: the removal
 *       behind {@code delete()}'s tombstone, the marker last.</li>
 *   <li>{@code Ownership}: the checks at open: the marker (magic, format, owner identity) and that every object
 *       in the dir is the store's own (R5); a foreign dir is refused with nothing changed.</li>
 *   <li>{@code PackWriter}: writing one checkpoint: blobs streamed into pack objects, each checksummed as
 *       written; the commit record it builds is published by the facade.</li>
 *   <li>{@code StoredCheckpoint}: the read side of a committed checkpoint: blobs by pack, ranged streams,
 *       positional and scattered reads of local packs; data gone under a reader is superseded or corrupt.
 *       {@code VerifyingChannel}: a blob's bytes counted and checksummed as read, failing by the read that
 *       reaches its end (R4). {@code Unclosable}: a blob's window of a shared pack stream.</li>
 *   <li>{@code LogRecord}: the commit log's records, typed: a sealed interface whose {@code record}s are
 *       {@code Claim}, {@code Commit}, {@code Release}, {@code Tombstone} (and {@code Unreadable}, a slot failing
 *       verification), each with a {@code Header} (store id, slot, claim, token, base, time).</li>
 *   <li>{@code Records}: the codec: how records, leases and the marker are written and read: sealed canonical
 *       JSON, a size limit, {@code encode} and typed decoding; any failure makes a record unreadable, never a
 *       reason to delete data (R4.5).</li>
 *   <li>{@code Leases} and {@code Holder}: leases written and read, and a newcomer's wait for a holder's
 *       silence (R6.3), with time from an injected clock; who holds a claim (lease timeout, process, machine).
 *       {@code Heartbeat}: the holder's lease rewritten on a thread of its own.</li>
 *   <li>{@code Json}, {@code BlobTable}: the canonical JSON codec and the fast reader of a commit's blob
 *       table; {@code BlobEntry}: one blob of a commit (size, CRC32, pack, offset).</li>
 *   <li>{@code Checksums}, {@code FileReads}, {@code Scatter}, {@code RangeChannel}: verified reads (CRC32 beside
 *       the I/O, positional reads of local packs by two threads, reads into caller buffers, ranges).</li>
 *   <li>{@code ProviderRegistry}: finding a backend for a scheme, with a helpful error for a missing or duplicate
 *       provider.</li>
 * </ul>
 */
package org.ckpt4j.spi.internal;
