package com.example.dirstore;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.Optional;
import java.util.Set;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.UnsupportedSchemeException;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.spi.backend.CheckpointStoreProvider;
import org.ckpt4j.spi.backend.ObjectStore;

/** The example backend's provider: {@code dirstore:///abs/path}. */
public final class DirStoreProvider implements CheckpointStoreProvider {
  /** Only for use by {@link java.util.ServiceLoader}. */
  public DirStoreProvider() {}

  @Override
  public Set<String> schemes() {
    return Set.of("dirstore");
  }

  @Override
  public String artifact() {
    return "com.example:dirstore";
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of(Capability.CROSS_PROCESS);
  }

  @Override
  public CheckpointStore open(URI uri, StoreOptions options) throws IOException {
    return CheckpointStores.overObjects(objects(uri), options);
  }

  @Override
  public Optional<ObjectStore> objectStore(URI uri, StoreOptions options) throws IOException {
    return Optional.of(objects(uri));
  }

  private static ObjectStore objects(URI uri) throws UnsupportedSchemeException {
    if (uri.getPath() == null || !uri.getPath().startsWith("/")) {
      throw new UnsupportedSchemeException(uri, "use dirstore:///absolute/path", Set.of("dirstore"));
    }
    return new DirObjectStore(Path.of(uri.getPath()), uri);
  }
}
