package org.ckpt4j.storage.local;

import java.io.IOException;
import java.net.URI;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.nio.file.ProviderNotFoundException;
import java.util.Locale;
import java.util.Set;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.UnsupportedSchemeException;
import org.ckpt4j.spi.backend.ObjectStore;
import org.ckpt4j.spi.backend.ObjectStoreProvider;

/**
 * Backup dirs on a {@code java.nio.file} file system: {@code file:///abs/path} (and plain paths, which
 * {@link CheckpointStores#toUri(String)} turns into {@code file:} URIs) and {@code jimfs://name/path} for an
 * in-memory Jimfs file system created in this JVM. Commits are durable against power loss on real disks:
 * files and directories are fsynced. The backup dir is created on the first write.
 */
public final class LocalStoreProvider extends ObjectStoreProvider {
  /** Only for use by {@link java.util.ServiceLoader}. */
  public LocalStoreProvider() {
    super("org.ckpt4j:ckpt4j-storage-local", "file", "jimfs");
  }

  @Override
  protected ObjectStore openObjects(URI uri, StoreOptions options) throws IOException {
    return new LocalObjectStore(toPath(uri), uri);
  }

  /** Resolves a backup dir URI to a path, with targeted hints for the usual mistakes. */
  static Path toPath(URI uri) throws UnsupportedSchemeException {
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    if (uri.isOpaque()) {
      throw malformed(uri, "is relative (" + scheme + ":" + uri.getSchemeSpecificPart() + "); use an absolute "
          + "URI such as " + scheme + ":///abs/path, or pass a plain path, which resolves against the working "
          + "directory");
    }
    if (scheme.equals("file")) {
      String host = uri.getAuthority();
      if (host != null && !host.isEmpty() && !host.equalsIgnoreCase("localhost")) {
        throw malformed(uri, "has the authority \"" + host + "\"; did you mean file:///" + host + uri.getPath()
            + " ?");
      }
      if (uri.getQuery() != null || uri.getFragment() != null) {
        throw malformed(uri, "has a query or fragment, which file: URIs do not take");
      }
      return Path.of(uri.getPath()).toAbsolutePath().normalize();
    }
    try {
      return Paths.get(uri);
    } catch (FileSystemNotFoundException e) {
      throw malformed(uri, "names a " + scheme + " file system that does not exist in this JVM; create it "
          + "first (e.g. Jimfs.newFileSystem(name)) and use a URI from its Path.toUri()");
    } catch (ProviderNotFoundException | IllegalArgumentException e) {
      throw malformed(uri, "cannot be resolved to a path: " + e.getMessage());
    }
  }

  private static UnsupportedSchemeException malformed(URI uri, String why) {
    return new UnsupportedSchemeException(uri, "backup dir URI " + why, Set.of("file", "jimfs"));
  }
}
