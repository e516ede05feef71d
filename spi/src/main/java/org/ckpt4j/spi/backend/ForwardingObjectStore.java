package org.ckpt4j.spi.backend;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.ReadableByteChannel;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * An {@link ObjectStore} that forwards every call to a delegate: extend it to inject faults, count requests or
 * add latency (Okio's {@code ForwardingFileSystem}). The one exception is {@link #openFile}, which returns empty
 * unless overridden: a file handed through would bypass what a subclass does to reads.
 */
public abstract class ForwardingObjectStore implements ObjectStore {
  private final ObjectStore delegate;

  /**
   * Forwards every call to {@code delegate}.
   *
   * @param delegate the object store that does the work
   */
  protected ForwardingObjectStore(ObjectStore delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** The store calls are forwarded to. */
  protected final ObjectStore delegate() {
    return delegate;
  }

  @Override
  public URI uri() {
    return delegate.uri();
  }

  @Override
  public ObjectSink create(String key) throws IOException {
    return delegate.create(key);
  }

  @Override
  public void sync(java.util.Collection<String> keys) throws IOException {
    delegate.sync(keys);
  }

  @Override
  public boolean putIfAbsent(String key, byte[] content) throws IOException {
    return delegate.putIfAbsent(key, content);
  }

  @Override
  public void put(String key, byte[] content) throws IOException {
    delegate.put(key, content);
  }

  @Override
  public Optional<byte[]> get(String key) throws IOException {
    return delegate.get(key);
  }

  @Override
  public ReadableByteChannel open(String key) throws IOException {
    return delegate.open(key);
  }

  @Override
  public ReadableByteChannel open(String key, long offset, long length) throws IOException {
    return delegate.open(key, offset, length);
  }

  @Override
  public List<String> list(String prefix) throws IOException {
    return delegate.list(prefix);
  }

  @Override
  public void delete(String key) throws IOException {
    delegate.delete(key);
  }

  @Override
  public void purgeIncomplete(Predicate<String> ours) throws IOException {
    delegate.purgeIncomplete(ours);
  }

  @Override
  public long packSize() {
    return delegate.packSize();
  }

  @Override
  public Set<Capability> capabilities() {
    return delegate.capabilities();
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }
}
