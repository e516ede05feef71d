package org.ckpt4j.spi;

import java.net.URI;

/**
 * A blob of a checkpoint was read after a newer commit removed that checkpoint's data (contract rule R2.4).
 * Remedy: call {@link CheckpointStore#latest()} again and read the newer checkpoint.
 */
public final class SupersededCheckpointException extends CheckpointStoreException {
  /** The sequence number of the checkpoint that is gone. */
  private final long sequence;

  /**
   * The checkpoint being read was superseded and its data deleted.
   *
   * @param uri the backup dir
   * @param sequence the sequence number of the checkpoint that is gone
   * @param message what happened and the remedy
   */
  public SupersededCheckpointException(URI uri, long sequence, String message) {
    super(uri, message);
    this.sequence = sequence;
  }

  /** The sequence number of the checkpoint that is gone. */
  public long sequence() {
    return sequence;
  }
}
