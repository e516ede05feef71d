package org.ckpt4j.spi.internal;

/**
 * Where a blob of a committed checkpoint is and what it must read as: a commit record's blob table maps each
 * blob's name to one (docs/contract.md, "Protocol").
 *
 * @param size the blob's length in bytes
 * @param crc its CRC32 (the low 32 bits)
 * @param pack the index of the pack object holding it, or -1 for a record from before packs (an object per blob,
 *     named as the blob)
 * @param offset where it starts in its pack (0 when not packed)
 */
record BlobEntry(long size, long crc, long pack, long offset) {
  /** Whether the blob is stored in a pack (else in an object of its own). */
  boolean packed() {
    return pack >= 0;
  }

  /** Where the blob ends in its pack. */
  long end() {
    return offset + size;
  }
}
