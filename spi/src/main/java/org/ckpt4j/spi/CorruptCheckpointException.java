package org.ckpt4j.spi;

import java.net.URI;
import java.util.Optional;

/**
 * A stored object failed verification (contract rule R4): a checksum or size mismatch, a missing blob of the
 * latest checkpoint, or an unreadable commit record. Never returned as data. Remedy: fall back to the kept
 * previous checkpoint ({@link CheckpointStore#previous()}) if the store keeps one.
 */
public final class CorruptCheckpointException extends CheckpointStoreException {
  private final String objectName;

  public CorruptCheckpointException(URI uri, String objectName, String message) {
    this(uri, objectName, message, null);
  }

  public CorruptCheckpointException(URI uri, String objectName, String message, Throwable cause) {
    super(uri, (objectName == null ? "" : objectName + ": ") + message, cause);
    this.objectName = objectName;
  }

  /** The object (relative to the backup dir) that failed verification, if known. */
  public Optional<String> objectName() {
    return Optional.ofNullable(objectName);
  }
}
