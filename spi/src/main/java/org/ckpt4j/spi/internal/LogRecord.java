package org.ckpt4j.spi.internal;

/**
 * A record of the commit log, one per slot {@code log/<seq>.json} (docs/contract.md, "Protocol"): a claim when a
 * store opens for writing, a commit per checkpoint, a release when it closes, a tombstone when it deletes the
 * backup dir. {@link Records} writes and reads them (canonical JSON sealed with a CRC32); a slot whose record fails
 * that reads as {@link Unreadable}, never a reason to delete data (R4.5).
 */
sealed interface LogRecord {
  /** What every record written carries; null for {@link Unreadable}. */
  Header header();

  /** The slot the record is in. */
  long seq();

  /** The token of the store that wrote it (null if unreadable): who is "I" in "I already won". */
  default String token() {
    return header() == null ? null : header().token();
  }

  /** The slot of the commit the log's reader goes to next, 0 for none, -1 if the record names no base. */
  default long base() {
    return header() == null ? -1 : header().base();
  }

  /**
   * The fields every record has.
   *
   * @param storeId the store whose log holds it (the marker's)
   * @param seq its slot
   * @param claim the slot of the claim of the store that wrote it (stored as {@code epoch})
   * @param token the writing store's random token
   * @param base the newest commit when written (the reader's next stop), -1 if absent (older records)
   * @param time when written ({@link java.time.Instant#toString()})
   */
  record Header(String storeId, long seq, long claim, String token, long base, String time) {}

  /** A store opened the backup dir for writing (R6.3), and who it is. */
  record Claim(Header header, Holder holder) implements LogRecord {
    @Override
    public long seq() {
      return header.seq();
    }
  }

  /**
   * A checkpoint became visible (R2).
   *
   * @param owner the owner identity of the writing store (null in records without one)
   * @param checkpoint the checkpoint's id, commit time, metadata and blob table
   */
  record Commit(Header header, String owner, Records.Decoded checkpoint) implements LogRecord {
    @Override
    public long seq() {
      return header.seq();
    }
  }

  /** The writing store closed: the next opener need not wait for its lease. */
  record Release(Header header) implements LogRecord {
    @Override
    public long seq() {
      return header.seq();
    }
  }

  /** A {@code delete()} was under way: nothing older counts (stored as type {@code delete}). */
  record Tombstone(Header header) implements LogRecord {
    @Override
    public long seq() {
      return header.seq();
    }
  }

  /** A record that is there but fails verification or decoding (never written; may be a commit, R4.5). */
  record Unreadable(long seq) implements LogRecord {
    @Override
    public Header header() {
      return null;
    }
  }
}
