package org.ckpt4j.trainer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.concurrent.atomic.AtomicInteger;
import org.ckpt4j.spi.ForwardingObjectStore;
import org.ckpt4j.spi.ObjectStore;

/**
 * A backend's objects behind a decorator that fails the N-th mutating call (create, write, finish, put,
 * putIfAbsent, delete) after {@link #failAfter(int)}, simulating a storage failure in the middle of a save. The
 * exact-resume property opens every backend's store over it ({@link ExactResume}).
 */
public final class FaultyObjects {
  private static final AtomicInteger COUNTDOWN = new AtomicInteger(-1);

  private FaultyObjects() {}

  /** The {@code n}-th mutating call from now on fails (n >= 1); {@code n <= 0} disarms. */
  public static void failAfter(int n) {
    COUNTDOWN.set(n <= 0 ? -1 : n);
  }

  public static boolean fired() {
    return COUNTDOWN.get() == 0;
  }

  private static void tick(String what) throws IOException {
    if (COUNTDOWN.get() > 0 && COUNTDOWN.decrementAndGet() == 0) {
      throw new IOException("injected storage fault on " + what);
    }
  }

  /** {@code objects} failing as armed; closing the decorator closes them if {@code closeObjects}. */
  static ObjectStore wrap(ObjectStore objects, boolean closeObjects) {
    return new ForwardingObjectStore(objects) {
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
      public void close() throws IOException {
        if (closeObjects) {
          super.close();
        }
      }
    };
  }
}
