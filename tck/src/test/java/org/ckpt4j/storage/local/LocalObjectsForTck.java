package org.ckpt4j.storage.local;

import java.io.IOException;
import java.net.URI;
import org.ckpt4j.spi.ObjectStore;

/**
 * Test-only access to the local backend's package-private {@link ObjectStore}, so the TCK can inject faults
 * into it. (Lives in the TCK's test sources, in storage-local's package; storage-local could expose this as a
 * public factory instead.)
 */
public final class LocalObjectsForTck {
  private LocalObjectsForTck() {}

  public static ObjectStore open(URI backupDir) throws IOException {
    return new LocalObjectStore(LocalStoreProvider.toPath(backupDir), backupDir);
  }
}
