package org.ckpt4j.spi.backend;

import java.io.IOException;
import java.net.URI;
import java.util.Set;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.UnsupportedSchemeException;

/**
 * A storage backend, found with {@link java.util.ServiceLoader} (list the implementation in
 * {@code META-INF/services/org.ckpt4j.spi.backend.CheckpointStoreProvider}) and chosen by URI scheme. Implementations
 * need a public no-argument constructor. Most backends implement {@link ObjectStore} and extend
 * {@link ObjectStoreProvider}, which builds the store with {@link CheckpointStores#overObjects(ObjectStore,
 * StoreOptions)}: the whole contract on top of the object primitives. A backend may also implement
 * {@link CheckpointStore} directly.
 */
public interface CheckpointStoreProvider {

  /** Lower-case URI schemes handled, e.g. {@code s3}. */
  Set<String> schemes();

  /** The Maven artifact that ships this provider, for error messages ({@code org.ckpt4j:ckpt4j-storage-s3}). */
  String artifact();

  /**
   * What the stores of this backend guarantee beyond the required rules, as far as known without opening one;
   * an opened store's {@link CheckpointStore#capabilities()} is authoritative. The default is none: a backend
   * built on {@link ObjectStoreProvider} says it once, in {@link ObjectStore#capabilities()}.
   */
  default Set<Capability> capabilities() {
    return Set.of();
  }

  /**
   * Opens the backup dir at {@code uri} (scheme already matched, case-insensitively).
   *
   * @throws UnsupportedSchemeException if the URI is malformed for this scheme (say why and what would work)
   */
  CheckpointStore open(URI uri, StoreOptions options) throws IOException;

  /**
   * The {@link ObjectStore} that {@link #open} builds its store on, for tools and the TCK (raw access, fault
   * injection); empty for providers that implement {@link CheckpointStore} directly. The caller closes it.
   */
  default java.util.Optional<ObjectStore> objectStore(URI uri, StoreOptions options) throws IOException {
    return java.util.Optional.empty();
  }
}
