package org.ckpt4j.spi;

import java.net.URI;

/**
 * A blob of a checkpoint was read after a newer commit removed that checkpoint's data (contract rule R2.4).
 * Remedy: call {@link CheckpointStore#latest()} again and read the newer checkpoint.
 */
public final class SupersededCheckpointException extends CheckpointStoreException {
  private final long sequence;

  public SupersededCheckpointException(URI uri, long sequence, String message) {
    super(uri, message);
    this.sequence = sequence;
  }

  /** The sequence number of the checkpoint that is gone. */
  public long sequence() {
    return sequence;
  }
}
