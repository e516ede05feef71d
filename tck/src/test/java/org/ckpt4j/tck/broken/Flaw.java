package org.ckpt4j.tck.broken;

/** The deliberate contract violations the TCK must catch, each by the rule it breaks. */
public enum Flaw {
  /** No flaw: the correct store, for self-tests of a broken fixture (e.g. a transport fault hook). */
  NONE,
  /** Commit publishes in two steps (all blobs but the last, then all): an interrupted commit leaves a mix (R2/R3.1). */
  NON_ATOMIC_COMMIT,
  /** Ignores other stores' log records and overwrites slots: a paused writer is never fenced (R6.4). */
  NO_FENCING,
  /** delete() removes every object under the backup dir, foreign ones too (R5.2). */
  DELETES_FOREIGN,
  /** Opening another identity's backup dir takes it over as that identity (R6.2). */
  IGNORES_IDENTITY,
  /** Blobs are read straight from storage without checking size and CRC32 (R4.2). */
  UNVERIFIED_DATA,
  /** Closing a writer without commit publishes what was written so far (R3.1). */
  PARTIAL_BLOBS_VISIBLE,
  /** Never deletes blob data or incomplete uploads (R3.2, R2.4). */
  FORGETS_LEFTOVERS,
  /** Never deletes log records, so every open and close adds two that stay (R3.3). */
  RESTARTS_LEAVE_A_TRAIL,
  /** The backend's ranged read ignores the length and reads on to the object's end (R4.4). */
  RANGED_READS_INEXACT,
  /**
   * An open that finds a log record it cannot read deletes every data object no readable record names, the data
   * of the unreadable record included (R4.5; issue 17 item 1).
   */
  PRUNES_UNREADABLE,
  /** A newcomer judges a live holder by its own lease timeout instead of the holder's (R6.3; issue 17 item 2). */
  OWN_LEASE_TIMEOUT,
  /**
   * Every object whose name starts with {@code .ckpt4j-tmp-}, anywhere, is taken for the store's own temporary
   * file: not listed, and purged at open (R6.1, R5.2; issue 17 item 5).
   */
  TMP_NAMES_ARE_OURS,
  /**
   * A read-only store's previous() returns the commit before the latest one although its data was not kept
   * (R2.4, R4.3; issue 17 item 12).
   */
  RO_PREVIOUS_UNKEPT,
  /** Create-if-absent overwrites and reports success: every racer wins (R0.1, R0.2; issue 18). */
  OVERWRITING_CREATE,
  /** list() returns only its first page of 1,000 names (R0.3; issue 18). */
  FIRST_PAGE_ONLY,
  /** delete() of a missing object raises NoSuchFileException (R0.4; issue 18). */
  DELETE_MISSING_THROWS,
  /** delete() swallows every error (R0.4; issue 18). */
  SWALLOWS_DELETE_ERRORS,
  /** delete(key) also removes every object whose name starts with key's directory name (R5.2; issue 18). */
  DELETES_NEIGHBOURS,
  /** The lease heartbeat runs but never renews the lease: a live store is taken over (R6.3; issue 18). */
  LEASE_NEVER_RENEWS,
  /** Blobs of 1 MiB or more are read without checking size and CRC32 (R4.2; issue 18). */
  UNVERIFIED_LARGE_BLOBS,
  /** readInto verifies every blob but the last one (R4.2; issue 18). */
  READ_INTO_SKIPS_LAST,
  /** capabilities() reports POWER_LOSS_DURABLE, which the fixture does not declare. */
  MISREPORTS_CAPABILITIES,
  /** Metadata values lose their non-ASCII characters (R1.1). */
  MANGLES_METADATA,
  /** Blob names are not validated (R1.2). */
  NO_NAME_VALIDATION,
  /** begin() while a writer is open is allowed (R1.3). */
  ALLOWS_TWO_WRITERS,
  /** Each blob is published as soon as its channel closes, before commit (R2.1). */
  EAGER_PUBLISH,
  /** latest() returns what was latest at its first call, forever (R4.1). */
  STALE_LATEST,
  /** previous() is always empty: keepPrevious is ignored (R2.4, R4.3). */
  NO_PREVIOUS,
  /** delete() only closes the store (R5.1). */
  DELETE_ONLY_CLOSES,
  /**
   * delete() removes the data before anything records the delete: interrupted, it leaves a half-deleted
   * checkpoint (R5.4).
   */
  DELETES_DATA_FIRST,
  /** list() returns only names of the ckpt4j layout: foreign objects go unseen (R6.1). */
  FOREIGN_BLIND,
  /** A read-only open writes an object of its own (R8). */
  READ_ONLY_WRITES,
  /**
   * The check after a commit record is created (does a newer record of another store follow?) is dropped: a
   * paused writer whose slot was freed by a prune commits (R6.4; issue 18). The listing that check makes sees no
   * slot above the one just created.
   */
  NO_POST_CREATE_FENCE,
  /** purgeIncomplete is never called at open: a killed writer's temporary files stay (R3.2; issue 18). */
  NO_PURGE_AT_OPEN,
  /**
   * The durability barrier of a commit's packs ({@code ObjectStore.sync}) runs only at the next commit (or
   * close), after the commit record was published (R7.2; issue 18).
   */
  SYNC_AFTER_RECORD,
  /** The local store never forces its pack files (R7.2; issue 18): simulated by the disk dropping the force. */
  PACK_NEVER_FORCED,
  /**
   * The local store does not fsync the directory after the link that publishes a log record (R7.2; issue 18):
   * simulated by the disk dropping every fsync of {@code log/}.
   */
  RECORD_DIR_NOT_SYNCED,
  /**
   * latest() returns the kept previous checkpoint when there is one (the store silently keeps it): a resume
   * starts from an older checkpoint, whole and verified, and still ends bit-identical (RESUME; issue 18).
   */
  LATEST_IS_PREVIOUS
}
