package org.ckpt4j.resume;

import java.io.IOException;
import java.net.URI;
import java.util.Objects;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;

/**
 * Opens the backup dir's store with the options {@link BackupAndRestore} chose: the run's fingerprint as owner
 * (read-only with the fingerprint expected, for a replica), keepPrevious, the lease timeout and the backend
 * properties. {@link #of(String)} opens a URI with {@link CheckpointStores}; a test or a tool passes its own
 * (a decorated or fault-injecting store) without registering a URI scheme.
 */
@FunctionalInterface
public interface StoreOpener {
  /**
   * Opens the store; the caller ({@link BackupAndRestore}) closes it.
   *
   * @throws org.ckpt4j.spi.ForeignContentException if the dir belongs to another owner
   */
  CheckpointStore open(StoreOptions options) throws IOException;

  /** A backup dir given as a URI string or a file system path. */
  static StoreOpener of(String location) {
    Objects.requireNonNull(location, "backupDir");
    return new StoreOpener() {
      @Override
      public CheckpointStore open(StoreOptions options) throws IOException {
        return CheckpointStores.open(location, options);
      }

      @Override
      public String toString() {
        return location;
      }
    };
  }

  static StoreOpener of(URI location) {
    return of(Objects.requireNonNull(location, "backupDir").toString());
  }
}
