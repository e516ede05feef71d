package org.ckpt4j.trainer;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.backend.CheckpointStoreProvider;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.backend.ForwardingObjectStore;
import org.ckpt4j.spi.mem.InMemoryStoreProvider;
import org.ckpt4j.spi.backend.ObjectStore;
import org.ckpt4j.spi.StoreOptions;

/**
 * Test backend {@code faulty:name}: the in-memory objects of {@code mem:name} behind a decorator that fails the
 * N-th mutating call (create, write, finish, put, putIfAbsent, delete) after {@link #failAfter(int)}, simulating a
 * storage failure in the middle of a save.
 */
public final class FaultyStoreProvider implements CheckpointStoreProvider {
  private static final AtomicInteger COUNTDOWN = new AtomicInteger(-1);

  /** Only for ServiceLoader. */
  public FaultyStoreProvider() {}

  /** The {@code n}-th mutating call from now on fails (n >= 1); {@code n <= 0} disarms. */
  static void failAfter(int n) {
    COUNTDOWN.set(n <= 0 ? -1 : n);
  }

  static boolean fired() {
    return COUNTDOWN.get() == 0;
  }

  private static void tick(String what) throws IOException {
    if (COUNTDOWN.get() > 0 && COUNTDOWN.decrementAndGet() == 0) {
      throw new IOException("injected storage fault on " + what);
    }
  }

  @Override
  public Set<String> schemes() {
    return Set.of("faulty");
  }

  @Override
  public String artifact() {
    return "ckpt4j-trainer tests";
  }

  @Override
  public Set<Capability> capabilities() {
    return Set.of();
  }

  @Override
  public CheckpointStore open(URI uri, StoreOptions options) throws IOException {
    ObjectStore objects = InMemoryStoreProvider.objects(URI.create("mem:" + uri.getSchemeSpecificPart()));
    return CheckpointStores.overObjects(new ForwardingObjectStore(objects) {
      @Override
      public ObjectSink create(String key) throws IOException {
        tick("create " + key);
        ObjectSink sink = super.create(key);
        return new ObjectSink() {
          @Override
          public int write(ByteBuffer src) throws IOException {
            tick("write " + key);
            return sink.write(src);
          }

          @Override
          public boolean isOpen() {
            return sink.isOpen();
          }

          @Override
          public void finish() throws IOException {
            tick("finish " + key);
            sink.finish();
          }

          @Override
          public void close() throws IOException {
            sink.close();
          }
        };
      }

      @Override
      public boolean putIfAbsent(String key, byte[] content) throws IOException {
        tick("putIfAbsent " + key);
        return super.putIfAbsent(key, content);
      }

      @Override
      public void put(String key, byte[] content) throws IOException {
        tick("put " + key);
        super.put(key, content);
      }

      @Override
      public void delete(String key) throws IOException {
        tick("delete " + key);
        super.delete(key);
      }

      @Override
      public void close() {}
    }, options);
  }
}
