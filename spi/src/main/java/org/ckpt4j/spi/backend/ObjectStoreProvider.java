package org.ckpt4j.spi.backend;

import java.io.IOException;
import java.net.URI;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;

/**
 * The base of a backend built on {@link ObjectStore}: it states its schemes and artifact once, in the
 * constructor, and how to open the object store behind a URI ({@link #openObjects}); the store honouring the whole
 * contract is built from it ({@link CheckpointStores#overObjects}), and the same object store serves raw access
 * ({@link #objectStore}). What the backend guarantees beyond the required rules is said once, by {@link
 * ObjectStore#capabilities()}.
 *
 * <pre>{@code
 * public final class MyStoreProvider extends ObjectStoreProvider {
 *   public MyStoreProvider() { super("com.example:my-store", "my"); }
 *   protected ObjectStore openObjects(URI uri, StoreOptions options) throws IOException {
 *     return new MyObjects(uri);
 *   }
 * }
 * }</pre>
 */
public abstract class ObjectStoreProvider implements CheckpointStoreProvider {
  private final String artifact;
  private final Set<String> schemes;

  /**
   * Declares the backend.
   *
   * @param artifact the Maven artifact that ships it, for error messages ({@code org.ckpt4j:ckpt4j-storage-s3})
   * @param schemes the URI schemes it handles (at least one; lower-cased)
   * @throws IllegalArgumentException if no scheme is given
   */
  protected ObjectStoreProvider(String artifact, String... schemes) {
    this.artifact = Objects.requireNonNull(artifact, "artifact");
    if (schemes.length == 0) {
      throw new IllegalArgumentException(getClass().getName() + " declares no URI scheme");
    }
    this.schemes =
        Stream.of(schemes)
            .map(s -> s.toLowerCase(Locale.ROOT))
            .collect(Collectors.toUnmodifiableSet());
  }

  /**
   * Opens the object store behind {@code uri} (its scheme already matched, case-insensitively). The caller
   * closes it.
   *
   * @throws org.ckpt4j.spi.UnsupportedSchemeException if the URI is malformed for this scheme (say why and what
   *     would work)
   * @throws IOException if the backend cannot be reached or set up
   */
  protected abstract ObjectStore openObjects(URI uri, StoreOptions options) throws IOException;

  @Override
  public final Set<String> schemes() {
    return schemes;
  }

  @Override
  public final String artifact() {
    return artifact;
  }

  @Override
  public final CheckpointStore open(URI uri, StoreOptions options) throws IOException {
    return CheckpointStores.overObjects(openObjects(uri, options), options);
  }

  @Override
  public final Optional<ObjectStore> objectStore(URI uri, StoreOptions options) throws IOException {
    return Optional.of(openObjects(uri, options));
  }
}
