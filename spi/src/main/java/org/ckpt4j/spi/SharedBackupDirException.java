package org.ckpt4j.spi;

import java.net.URI;

/**
 * Another live store (in this or another process) holds the backup dir (contract rule R6.3). Nothing was
 * changed. Remedy: give each training run its own backup dir, or stop the other run first.
 */
public final class SharedBackupDirException extends CheckpointStoreException {
  private final String holder;

  public SharedBackupDirException(URI uri, String message, String holder) {
    super(uri, message);
    this.holder = holder;
  }

  /** A description of the live holder (host, process id, claim number) as it recorded itself. */
  public String holder() {
    return holder;
  }
}
