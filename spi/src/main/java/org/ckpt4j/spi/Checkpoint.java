package org.ckpt4j.spi;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.time.Instant;
import java.util.Collection;
import java.util.Map;
import org.ckpt4j.spi.internal.Scatter;

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

  /**
   * Reads several blobs, each through a verifying channel like {@link #openBlob}'s, handed to {@code reader} one
   * after another in the order they are stored (not necessarily the order given; a name given twice is handed
   * over once). The store may read them in
   * one stream (blobs stored together are then one open, or one ranged GET, instead of one each), which makes
   * restoring many small tensors several times faster. A channel is valid only during its {@code read} call;
   * what the reader leaves unread is read and verified before the next blob. The default opens each blob in
   * turn.
   *
   * @throws java.util.NoSuchElementException if a name is not a blob of this checkpoint (before any read)
   * @throws SupersededCheckpointException if a newer commit removed this checkpoint's data
   * @throws CorruptCheckpointException if a blob fails verification or is missing although this checkpoint
   *     is current
   */
  default void readBlobs(Collection<String> names, BlobReader reader) throws IOException {
    for (String name : names) {
      if (!blobs().containsKey(name)) {
        throw new java.util.NoSuchElementException("checkpoint #" + sequence() + " has no blob \"" + name + "\"");
      }
    }
    for (String name : new java.util.LinkedHashSet<>(names)) {
      try (ReadableByteChannel ch = openBlob(name)) {
        reader.read(name, ch);
        ByteBuffer rest = ByteBuffer.allocate(8192);
        while (ch.read(rest.clear()) >= 0) {
          // drain: verification happens at the end
        }
      }
    }
  }

  /**
   * Reads whole blobs into buffers given up front: a blob's bytes fill the remaining space of its buffers in
   * list order (a scatter read: e.g. a tensor's header into a small buffer and its elements straight into the
   * tensor's memory), and each buffer's position ends at its limit (limits are kept). Every blob is verified
   * as {@link #openBlob}'s channel verifies it, before this method returns; if it throws while reading, the
   * buffers hold unspecified bytes and positions. Knowing every destination in advance lets a store read
   * several blobs at once (the local store has two threads take whole blobs, or pieces of large ones, of a pack
   * file in turn); the default reads them through {@link #readBlobs}. The buffers must not overlap (nor be the
   * same buffer twice).
   *
   * @param targets for each blob to read, its buffers (at least one; their remaining bytes must add up to the
   *     blob's size)
   * @throws java.util.NoSuchElementException if a name is not a blob of this checkpoint (before any read)
   * @throws IllegalArgumentException if a blob's size is not its buffers' remaining bytes, or a buffer is
   *     read-only (before any read)
   * @throws SupersededCheckpointException if a newer commit removed this checkpoint's data
   * @throws CorruptCheckpointException if a blob fails verification or is missing although this checkpoint
   *     is current
   */
  default void readInto(Map<String, java.util.List<ByteBuffer>> targets) throws IOException {
    Scatter.check(this, targets);
    readBlobs(targets.keySet(), (name, ch) -> Scatter.fill(name, ch, targets.get(name)));
  }

  /** Receives one blob of {@link #readBlobs}. */
  @FunctionalInterface
  interface BlobReader {
    /** Reads (some or all of) the blob; the channel is closed by the caller. */
    void read(String name, ReadableByteChannel blob) throws IOException;
  }
}
