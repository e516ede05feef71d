package org.ckpt4j.spi.mem;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.spi.backend.ObjectStore;

/**
 * The reference {@link ObjectStore}: objects in this JVM's heap, strictly checked. Behind {@code mem:name}
 * URIs (one instance per name, for the life of the JVM) and usable directly in tests, e.g. wrapped in a
 * fault-injecting decorator. {@link #checkNoOpenStreams()} names where each still-open sink or channel was
 * opened. Not {@link Capability#CROSS_PROCESS}. An object holds at most 2 GiB less 8 bytes (a Java array): a
 * checkpoint's pack takes blobs until it holds 64 MiB, so a checkpoint with a tensor of 2 GiB needs another
 * store.
 */
public final class InMemoryObjectStore implements ObjectStore {
  /** The largest object: a Java array's limit. */
  /** The largest object this store holds, in bytes (the largest array a JVM allocates). */
  public static final int MAX_OBJECT = Integer.MAX_VALUE - 8;
  private final URI uri;
  private final ConcurrentSkipListMap<String, byte[]> objects = new ConcurrentSkipListMap<>();
  private final Map<Object, Throwable> open = new ConcurrentHashMap<>();

  /**
   * An empty store.
   *
   * @param uri the URI it reports as {@link #uri()}
   */
  public InMemoryObjectStore(URI uri) {
    this.uri = Objects.requireNonNull(uri, "uri");
  }

  @Override
  public URI uri() {
    return uri;
  }

  /**
   * Checks that every sink and channel this store handed out has been closed.
   *
   * @throws IllegalStateException naming where each sink or channel that is still open was opened
   */
  public void checkNoOpenStreams() {
    if (!open.isEmpty()) {
      IllegalStateException e = new IllegalStateException(open.size() + " sink(s)/channel(s) still open");
      open.values().forEach(e::addSuppressed);
      throw e;
    }
  }

  /** A copy of every object, for tests. */
  public Map<String, byte[]> snapshot() {
    Map<String, byte[]> copy = new java.util.TreeMap<>();
    objects.forEach((k, v) -> copy.put(k, v.clone()));
    return copy;
  }

  private static String checkKey(String key) {
    if (key == null || key.isEmpty() || key.startsWith("/") || !key.matches("[A-Za-z0-9._/-]+")) {
      throw new IllegalArgumentException("invalid object key: " + key);
    }
    return key;
  }

  @Override
  public ObjectSink create(String key) {
    checkKey(key);
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    ObjectSink sink = new ObjectSink() {
      private boolean closed;

      @Override
      public synchronized int write(ByteBuffer src) throws IOException {
        if (closed) {
          throw new ClosedChannelException();
        }
        int n = src.remaining();
        if (n > MAX_OBJECT - buf.size()) {
          throw new IOException("writing " + key + " of " + uri + ": an in-memory object holds at most " + MAX_OBJECT
              + " bytes (a Java array); use a file:, s3:// or gs:// store for checkpoints this large");
        }
        byte[] b = new byte[n];
        src.get(b);
        buf.write(b);
        return n;
      }

      @Override
      public synchronized boolean isOpen() {
        return !closed;
      }

      @Override
      public synchronized void finish() throws IOException {
        if (closed) {
          throw new ClosedChannelException();
        }
        objects.put(key, buf.toByteArray());
        close();
      }

      @Override
      public synchronized void close() {
        closed = true;
        open.remove(this);
      }
    };
    open.put(sink, new Throwable("sink for " + key + " opened here"));
    return sink;
  }

  @Override
  public boolean putIfAbsent(String key, byte[] content) {
    return objects.putIfAbsent(checkKey(key), content.clone()) == null;
  }

  @Override
  public void put(String key, byte[] content) {
    objects.put(checkKey(key), content.clone());
  }

  @Override
  public Optional<byte[]> get(String key) {
    byte[] b = objects.get(checkKey(key));
    return Optional.ofNullable(b == null ? null : b.clone());
  }

  @Override
  public ReadableByteChannel open(String key) throws IOException {
    return open(key, 0, Long.MAX_VALUE);
  }

  @Override
  public ReadableByteChannel open(String key, long offset, long length) throws IOException {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("negative range " + offset + "+" + length + " of " + key);
    }
    byte[] b = objects.get(checkKey(key));
    if (b == null) {
      throw new NoSuchFileException(key);
    }
    int from = (int) Math.min(offset, b.length);
    ReadableByteChannel in = Channels.newChannel(new java.io.ByteArrayInputStream(b, from,
        (int) Math.min(length, b.length - from)));
    ReadableByteChannel tracked = new ReadableByteChannel() {
      @Override
      public int read(ByteBuffer dst) throws IOException {
        return in.read(dst);
      }

      @Override
      public boolean isOpen() {
        return in.isOpen();
      }

      @Override
      public void close() throws IOException {
        open.remove(this);
        in.close();
      }
    };
    open.put(tracked, new Throwable("channel for " + key + " opened here"));
    return tracked;
  }

  @Override
  public List<String> list(String prefix) {
    List<String> keys = new ArrayList<>();
    for (String k : objects.tailMap(prefix, true).keySet()) {
      if (!k.startsWith(prefix)) {
        break;
      }
      keys.add(k);
    }
    return keys;
  }

  @Override
  public void delete(String key) {
    objects.remove(checkKey(key));
  }

  @Override
  public String toString() {
    return "InMemoryObjectStore[" + uri + ", " + objects.size() + " objects]";
  }
}
