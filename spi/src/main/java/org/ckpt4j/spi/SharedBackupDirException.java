package org.ckpt4j.spi;

import java.net.URI;

/**
 * Another live store (in this or another process) holds the backup dir (contract rule R6.3). Nothing was
 * changed. Remedy: give each training run its own backup dir, or stop the other run first.
 */
public final class SharedBackupDirException extends CheckpointStoreException {
  /** The live holder as it described itself. */
  private final String holder;

  /**
   * Another live process holds the backup dir.
   *
   * @param uri the backup dir
   * @param message who holds it and the remedy
   * @param holder a description of the live holder (host, process id, claim number)
   */
  public SharedBackupDirException(URI uri, String message, String holder) {
    super(uri, message);
    this.holder = holder;
  }

  /** A description of the live holder (host, process id, claim number) as it recorded itself. */
  public String holder() {
    return holder;
  }
}
