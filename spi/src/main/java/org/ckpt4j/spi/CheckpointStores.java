package org.ckpt4j.spi;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;
import org.ckpt4j.spi.backend.CheckpointStoreProvider;
import org.ckpt4j.spi.backend.ObjectStore;
import org.ckpt4j.spi.internal.ObjectCheckpointStore;
import org.ckpt4j.spi.internal.ProviderRegistry;

/**
 * The entry point: opens a {@link CheckpointStore} for a backup dir chosen by URI.
 *
 * <pre>{@code
 * try (CheckpointStore store = CheckpointStores.open("s3://bucket/runs/run-42", StoreOptions.forOwner(fp).build())) {
 *   ...
 * }
 * }</pre>
 *
 * Backends are {@link CheckpointStoreProvider}s found on the class path by {@link java.util.ServiceLoader}:
 * {@code file:} and plain paths and {@code jimfs:} ({@code ckpt4j-storage-local}), {@code s3://bucket/prefix}
 * ({@code ckpt4j-storage-s3}), {@code gs://bucket/prefix} ({@code ckpt4j-storage-gcs}), and the built-in
 * {@code mem:name} (in-memory, this JVM only, for tests). Schemes compare case-insensitively. When two providers
 * claim one scheme, the system property or option {@code ckpt4j.provider.<scheme>} (a provider class name)
 * chooses; otherwise opening fails naming both.
 */
public final class CheckpointStores {
  private static final Pattern SCHEME = Pattern.compile("[A-Za-z][A-Za-z0-9+.-]+:.*", Pattern.DOTALL);

  private CheckpointStores() {}

  /**
   * Opens a backup dir given as a URI string or a plain file system path (relative paths resolve against the
   * working directory).
   */
  public static CheckpointStore open(String location, StoreOptions options) throws IOException {
    return open(toUri(location), options);
  }

  /** Opens the backup dir at {@code uri} with the provider registered for its scheme. */
  public static CheckpointStore open(URI uri, StoreOptions options) throws IOException {
    Objects.requireNonNull(uri, "uri");
    Objects.requireNonNull(options, "options");
    if (uri.getScheme() == null) {
      return open(toUri(uri.toString()), options);
    }
    return ProviderRegistry.load().find(uri, options).open(uri, options);
  }

  /**
   * The whole contract implemented once over object-storage primitives: what most backends return from
   * {@link CheckpointStoreProvider#open}. Claims the backup dir (unless read-only) before returning. The
   * returned store closes {@code objects} when it is closed.
   */
  public static CheckpointStore overObjects(ObjectStore objects, StoreOptions options) throws IOException {
    return ObjectCheckpointStore.open(objects, options);
  }

  /**
   * Parses a location the way {@link #open(String, StoreOptions)} does: a string with a scheme of two or more
   * letters is a URI; anything else is a path on the default file system.
   *
   * @throws UnsupportedSchemeException naming the location and what is wrong with it
   */
  public static URI toUri(String location) throws UnsupportedSchemeException {
    Objects.requireNonNull(location, "location");
    if (location.isBlank()) {
      throw new UnsupportedSchemeException(null, "empty backup dir location: give a path or a URI such as "
          + "file:///tmp/backup, s3://bucket/prefix or gs://bucket/prefix", ProviderRegistry.knownSchemes());
    }
    if (SCHEME.matcher(location).matches()) {
      try {
        return new URI(location);
      } catch (URISyntaxException e) {
        throw new UnsupportedSchemeException(null, "malformed backup dir URI \"" + Redaction.redact(location)
            + "\": "
            + e.getReason() + " at index " + e.getIndex()
            + " (percent-encode special characters, e.g. a space as %20)", ProviderRegistry.knownSchemes());
      }
    }
    try {
      return Path.of(location).toAbsolutePath().normalize().toUri();
    } catch (InvalidPathException e) {
      throw new UnsupportedSchemeException(null, "invalid backup dir path \"" + Redaction.redact(location)
          + "\": "
          + e.getReason(), ProviderRegistry.knownSchemes());
    }
  }
}
