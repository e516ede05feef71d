package org.ckpt4j.spi.mem;

import java.io.IOException;
import java.net.URI;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.UnsupportedSchemeException;
import org.ckpt4j.spi.backend.ForwardingObjectStore;
import org.ckpt4j.spi.backend.ObjectStore;
import org.ckpt4j.spi.backend.ObjectStoreProvider;

/**
 * The built-in {@code mem:name} backend: an {@link InMemoryObjectStore} per name, shared by every store opened
 * on that name in this JVM, kept until the JVM exits. For tests and examples; nothing is durable.
 */
public final class InMemoryStoreProvider extends ObjectStoreProvider {
  private static final Map<String, InMemoryObjectStore> STORES = new ConcurrentHashMap<>();

  /** Only for use by {@link java.util.ServiceLoader}. */
  public InMemoryStoreProvider() {
    super("org.ckpt4j:ckpt4j-spi", "mem");
  }

  /** The objects behind {@code mem:name}, created empty on first use. */
  public static InMemoryObjectStore objects(URI uri) throws UnsupportedSchemeException {
    return STORES.computeIfAbsent(name(uri), n -> new InMemoryObjectStore(URI.create("mem:" + n)));
  }

  @Override
  protected ObjectStore openObjects(URI uri, StoreOptions options) throws IOException {
    // The store closes the ObjectStore it was given; the named objects must outlive it.
    return new ForwardingObjectStore(objects(uri)) {
      @Override
      public void close() {}
    };
  }

  private static String name(URI uri) throws UnsupportedSchemeException {
    String name = uri.getSchemeSpecificPart();
    if (!"mem".equals(uri.getScheme().toLowerCase(Locale.ROOT)) || name == null || name.isEmpty()
        || !name.matches("[A-Za-z0-9._/-]+")) {
      throw new UnsupportedSchemeException(uri, "a mem: URI is mem:<name> with a name of [A-Za-z0-9._/-], "
          + "e.g. mem:run-1", Set.of("mem"));
    }
    return name;
  }
}
