package org.ckpt4j.spi;

import java.net.URI;
import java.util.Optional;

/**
 * A stored object failed verification (contract rule R4): a checksum or size mismatch, a missing blob of the
 * latest checkpoint, or an unreadable commit record. Never returned as data. Remedy: fall back to the kept
 * previous checkpoint ({@link CheckpointStore#previous()}) if the store keeps one.
 */
public final class CorruptCheckpointException extends CheckpointStoreException {
  /** The object that failed verification, or {@code null}. */
  private final String objectName;

  /**
   * A corrupt object of the backup dir.
   *
   * @param uri the backup dir
   * @param objectName the object (relative to the backup dir) that failed verification, or {@code null}
   * @param message what is wrong with it
   */
  public CorruptCheckpointException(URI uri, String objectName, String message) {
    this(uri, objectName, message, null);
  }

  /**
   * A corrupt object of the backup dir, found through {@code cause}.
   *
   * @param uri the backup dir
   * @param objectName the object (relative to the backup dir) that failed verification, or {@code null}
   * @param message what is wrong with it
   * @param cause the failure that revealed it, or {@code null}
   */
  public CorruptCheckpointException(URI uri, String objectName, String message, Throwable cause) {
    super(uri, (objectName == null ? "" : objectName + ": ") + message, cause);
    this.objectName = objectName;
  }

  /** The object (relative to the backup dir) that failed verification, if known. */
  public Optional<String> objectName() {
    return Optional.ofNullable(objectName);
  }
}
