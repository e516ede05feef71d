package org.ckpt4j.spi;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.time.Instant;
import java.util.Map;

/**
 * A committed checkpoint: immutable metadata plus named blobs. A blob is verified (size and CRC32 recorded at
 * commit) as it is read: the channel throws {@link CorruptCheckpointException} no later than the read that
 * reaches its end, so a caller that reads to the end never uses unverified data (R4).
 */
public interface Checkpoint {

  /** The commit number: strictly increasing over the life of a backup dir. */
  long sequence();

  /** A unique id of this checkpoint. */
  String id();

  /** When the commit was made, by the writer's clock. */
  Instant committedAt();

  /** The metadata given to {@link CheckpointWriter#commit(Map)}, in key order. */
  Map<String, String> metadata();

  /** Blob names and their sizes in bytes, in name order. */
  Map<String, Long> blobs();

  /**
   * Opens a blob for reading.
   *
   * @throws java.util.NoSuchElementException if the checkpoint has no blob of that name
   * @throws SupersededCheckpointException if a newer commit removed this checkpoint's data
   * @throws CorruptCheckpointException if the blob is missing although this checkpoint is current
   */
  ReadableByteChannel openBlob(String name) throws IOException;
}
