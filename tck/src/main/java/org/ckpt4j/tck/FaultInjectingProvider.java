package org.ckpt4j.tck;

import java.io.IOException;
import java.net.URI;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.backend.CheckpointStoreProvider;
import org.ckpt4j.spi.backend.ObjectStore;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.UnsupportedSchemeException;

/**
 * Internal to the kit: the {@code ckpt4j-tck-faulty:<id>} scheme lets code that opens stores by URI (the
 * trainer's {@code BackupAndRestore}) run over the kit's fault-injecting decorator of the backend under test.
 * Each id is registered by the kit for one open. Public only because {@link java.util.ServiceLoader} needs it.
 */
public final class FaultInjectingProvider implements CheckpointStoreProvider {
  static final String SCHEME = "ckpt4j-tck-faulty";
  private static final Map<String, Registration> REGISTERED = new ConcurrentHashMap<>();

  /** Only for use by {@link java.util.ServiceLoader}. */
  public FaultInjectingProvider() {}

  private static final class Registration {
    final Kit kit;
    final FaultyObjectStore objects;

    Registration(Kit kit, FaultyObjectStore objects) {
      this.kit = kit;
      this.objects = objects;
    }
  }

  /** Registers faulty objects for one open; returns the URI to open. */
  static URI register(Kit kit, FaultyObjectStore objects) {
    String id = UUID.randomUUID().toString();
    REGISTERED.put(id, new Registration(kit, objects));
    return URI.create(SCHEME + ":" + id);
  }

  @Override
  public Set<String> schemes() {
    return Set.of(SCHEME);
  }

  @Override
  public String artifact() {
    return "org.ckpt4j:ckpt4j-tck";
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of();
  }

  @Override
  public CheckpointStore open(URI uri, StoreOptions options) throws IOException {
    Registration r = REGISTERED.remove(uri.getSchemeSpecificPart());
    if (r == null) {
      throw new UnsupportedSchemeException(uri, "not registered by the TCK (internal scheme of ckpt4j-tck)",
          Set.of(SCHEME));
    }
    StoreOptions.Builder b = options.toBuilder();
    r.kit.fixture.properties().forEach(b::property);
    ObjectStore objects = r.objects;
    return r.kit.openOver(objects, b.build());
  }
}
