package org.ckpt4j.tck.broken;

import java.io.IOException;
import java.nio.channels.ReadableByteChannel;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.ckpt4j.spi.backend.ForwardingObjectStore;
import org.ckpt4j.spi.backend.ObjectStore;
import org.ckpt4j.tck.TransportFaults;

/**
 * A transport fault hook for the in-memory broken stores: every ObjectStore call below a backend-level flaw is
 * one "request"; the armed one fails before or after it is applied, as a test server would.
 */
public final class WireFaults implements TransportFaults {
  private final AtomicLong requests = new AtomicLong();
  private final boolean absolute;

  /** A hook that counts as documented: {@code failRequest(n)} fails the n-th request from now. */
  public WireFaults() {
    this(false);
  }

  /**
   * With {@code absolute}, the flawed reading of the numbering: {@code failRequest(n)} fails the n-th request
   * since the hook was created, and {@code disarm()} does not reset the count, so the kit's armed faults never
   * fire (issue 18).
   */
  public WireFaults(boolean absolute) {
    this.absolute = absolute;
    if (absolute) {
      requests.set(1_000); // as in a long run: the requests of earlier tests went through the same hook
    }
  }
  private long armedAt = -1;
  private Kind kind;

  @Override
  public long requests() {
    return requests.get();
  }

  @Override
  public synchronized void failRequest(long n, Kind how) {
    armedAt = absolute ? n : requests.get() + n;
    kind = how;
  }

  @Override
  public synchronized void disarm() {
    armedAt = -1;
    kind = null;
    if (!absolute) {
      requests.set(0);
    }
  }

  private final AtomicLong injected = new AtomicLong();

  @Override
  public long injected() {
    return injected.get();
  }

  private synchronized Kind take() {
    long n = requests.incrementAndGet();
    if (n == armedAt) {
      armedAt = -1;
      injected.incrementAndGet();
      return kind;
    }
    return null;
  }

  /** The objects with this hook on their "wire". */
  public ObjectStore over(ObjectStore objects) {
    return new ForwardingObjectStore(objects) {
      private <T> T call(IoCall<T> c) throws IOException {
        Kind k = take();
        if (k == Kind.FAIL_BEFORE) {
          throw new IOException("injected: request failed before it was applied");
        }
        T result = c.run();
        if (k == Kind.LOSE_RESPONSE) {
          throw new IOException("injected: response lost after the request was applied");
        }
        return result;
      }

      @Override
      public boolean putIfAbsent(String key, byte[] content) throws IOException {
        return call(() -> super.putIfAbsent(key, content));
      }

      @Override
      public void put(String key, byte[] content) throws IOException {
        call(() -> {
          super.put(key, content);
          return null;
        });
      }

      @Override
      public Optional<byte[]> get(String key) throws IOException {
        return call(() -> super.get(key));
      }

      @Override
      public ReadableByteChannel open(String key) throws IOException {
        return call(() -> super.open(key));
      }

      @Override
      public ReadableByteChannel open(String key, long offset, long length) throws IOException {
        return call(() -> super.open(key, offset, length));
      }

      @Override
      public List<String> list(String prefix) throws IOException {
        return call(() -> super.list(prefix));
      }

      @Override
      public void delete(String key) throws IOException {
        call(() -> {
          super.delete(key);
          return null;
        });
      }

      @Override
      public void close() {}
    };
  }

  private interface IoCall<T> {
    T run() throws IOException;
  }
}
