package org.ckpt4j.resume;

import java.net.URI;
import java.util.List;
import org.ckpt4j.spi.CheckpointStoreException;

/**
 * The backup dir holds a checkpoint of another training run (its fingerprint differs in {@link #differingFields()}:
 * model, optimizer, loss, seed, batchSize, shuffle, x, y). Nothing was changed; training did not start. Remedy: use
 * a backup dir per run, or delete the old backup to start over. The cause is the store's
 * {@link org.ckpt4j.spi.ForeignContentException} when the store refused it.
 */
public final class RunMismatchException extends CheckpointStoreException {
  private final List<String> differingFields;
  private final String storedFingerprint;
  private final String fingerprint;

  RunMismatchException(URI uri, List<String> differences, List<String> differingFields, String storedFingerprint,
      String fingerprint, Throwable cause) {
    super(uri, "the backup dir holds a checkpoint of another training run, which differs in "
        + String.join(", ", differences) + ". Use a backup dir per run, or delete this backup to start over",
        cause);
    this.differingFields = List.copyOf(differingFields);
    this.storedFingerprint = storedFingerprint;
    this.fingerprint = fingerprint;
  }

  /** Names of the fingerprint fields that differ, e.g. {@code [batchSize, x]}. */
  public List<String> differingFields() {
    return differingFields;
  }

  /** The fingerprint recorded in the backup dir. */
  public String storedFingerprint() {
    return storedFingerprint;
  }

  /** This run's fingerprint. */
  public String fingerprint() {
    return fingerprint;
  }
}
