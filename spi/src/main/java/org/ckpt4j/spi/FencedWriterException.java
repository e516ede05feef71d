package org.ckpt4j.spi;

import java.net.URI;

/**
 * This store's claim on the backup dir was taken over by another store (contract rule R6.4), typically because
 * this process was paused for longer than the lease timeout. The store can never commit again; nothing it was
 * writing became visible. Remedy: stop this run; the run that took over continues.
 */
public final class FencedWriterException extends CheckpointStoreException {
  /**
   * This writer was fenced off.
   *
   * @param uri the backup dir
   * @param message who took over and why
   */
  public FencedWriterException(URI uri, String message) {
    super(uri, message);
  }
}
