package org.ckpt4j.spi;

import java.net.URI;
import java.util.List;
import java.util.Optional;

/**
 * The backup dir holds content this store did not write (contract rule R6.1), or a checkpoint that belongs to
 * another owner identity (R6.2). Nothing in the backup dir was changed. Remedy: choose an empty or dedicated
 * backup dir, or (for another identity) delete the old run's backup explicitly.
 */
public final class ForeignContentException extends CheckpointStoreException {
  /** Some of the names that are not the store's own. */
  private final List<String> offendingNames;
  /** The owner recorded in the backup dir (R6.2), or {@code null}. */
  private final String foreignOwner;

  /**
   * The backup dir holds what is not this store's, or another owner's backup.
   *
   * @param uri the backup dir
   * @param message what was found and the remedy
   * @param offendingNames some of the object names that are not the store's own; empty for R6.2
   * @param foreignOwner for R6.2 the owner identity recorded in the backup dir, else {@code null}
   */
  public ForeignContentException(URI uri, String message, List<String> offendingNames, String foreignOwner) {
    super(uri, message);
    this.offendingNames = List.copyOf(offendingNames);
    this.foreignOwner = foreignOwner;
  }

  /** Some of the object names (relative to the backup dir) that are not the store's own; empty for R6.2. */
  public List<String> offendingNames() {
    return offendingNames;
  }

  /** For R6.2: the owner identity recorded in the backup dir. */
  public Optional<String> foreignOwner() {
    return Optional.ofNullable(foreignOwner);
  }
}
