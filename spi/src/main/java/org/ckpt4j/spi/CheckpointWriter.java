package org.ckpt4j.spi;

import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.util.Map;

/**
 * Writes one checkpoint (contract rule R1). Blobs may be written from several threads at once, each through its
 * own channel. Nothing is visible to readers until {@link #commit(Map)} returns. Closing the writer without a
 * successful commit aborts it and removes what it wrote (best effort; the next open or commit removes the rest,
 * R3).
 */
public interface CheckpointWriter extends Closeable {

  /**
   * Opens a channel for a new blob. Closing the channel completes the blob; a blob whose channel is not closed
   * when {@link #commit} is called fails the commit.
   *
   * @throws IllegalArgumentException if the name is invalid ({@link BlobNames}) or already used in this writer
   */
  WritableByteChannel newBlob(String name) throws IOException;

  /**
   * Publishes the checkpoint atomically and durably (R2, R7) with the given metadata (at most 64 KiB of
   * keys and values in all), then removes superseded data.
   *
   * @return the committed checkpoint
   * @throws FencedWriterException if another store took over the backup dir (R6.4); nothing became visible
   */
  Checkpoint commit(Map<String, String> metadata) throws IOException;

  /** Aborts the checkpoint unless it was committed. Idempotent. */
  @Override
  void close() throws IOException;
}
