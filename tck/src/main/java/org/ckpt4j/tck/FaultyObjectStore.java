package org.ckpt4j.tck;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Predicate;
import org.ckpt4j.spi.backend.ForwardingObjectStore;
import org.ckpt4j.spi.backend.ObjectStore;

/**
 * Injects faults into the backend's {@link ObjectStore} (STYLE §7, Okio's ForwardingFileSystem): fail the N-th
 * call before or after performing it ("response lost after success"), throw from inside streams after a number
 * of bytes, sever every call (a simulated crash: nothing more reaches the storage), or pause calls from
 * background threads (a simulated GC pause of the lease heartbeat). Only calls of the armed thread are counted,
 * so that heartbeats do not make the N-th call nondeterministic.
 */
final class FaultyObjectStore extends ForwardingObjectStore {
  /** The exception thrown for injected faults, so the kit can tell them from real errors. */
  static final class InjectedFault extends IOException {
    InjectedFault(String what) {
      super("injected fault: " + what);
    }
  }

  private final AtomicLong calls = new AtomicLong();
  private volatile Thread counted;
  private volatile long failAt = -1;
  private volatile TransportFaults.Kind failKind;
  private volatile long streamFailAt = -1;
  private final AtomicLong streamed = new AtomicLong();
  private volatile boolean severed;
  private volatile String severAt;
  private volatile CountDownLatch pause;
  private volatile Thread pauseExempt;
  private volatile String lastFault;

  FaultyObjectStore(ObjectStore delegate) {
    super(delegate);
  }

  /** Counts calls of the current thread from now on. */
  FaultyObjectStore countCallsOf(Thread t) {
    counted = t;
    calls.set(0);
    return this;
  }

  long calls() {
    return calls.get();
  }

  /** The n-th counted call (1-based) from now fails, once. */
  void failCall(long n, TransportFaults.Kind kind) {
    calls.set(0);
    failKind = kind;
    failAt = n;
  }

  /** The stream (sink or read channel) write/read that crosses byte {@code offset} (counted over all streams) throws. */
  void failStreamAt(long offset) {
    streamed.set(0);
    streamFailAt = offset;
  }

  /** From now on every call fails: like a process that died. */
  void sever() {
    severed = true;
  }

  /** Severs at the first call whose description starts with {@code call} (e.g. {@code "putIfAbsent(log/"}). */
  void severAt(String call) {
    severAt = call;
  }

  void disarm() {
    failAt = -1;
    streamFailAt = -1;
    severed = false;
    severAt = null;
  }

  /** Calls from threads other than {@code exempt} block until {@link #resume()}. */
  void pauseOtherThreads(Thread exempt) {
    pauseExempt = exempt;
    pause = new CountDownLatch(1);
  }

  void resume() {
    CountDownLatch p = pause;
    pause = null;
    if (p != null) {
      p.countDown();
    }
  }

  /** What the last injected fault was, for messages. */
  String lastFault() {
    return lastFault;
  }

  private void before(String what) throws IOException {
    CountDownLatch p = pause;
    if (p != null && Thread.currentThread() != pauseExempt) {
      try {
        p.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while paused");
      }
    }
    String at = severAt;
    if (at != null && what.startsWith(at)) {
      severAt = null;
      severed = true;
    }
    if (severed) {
      throw fault("severed: " + what);
    }
    if ((counted == null || Thread.currentThread() == counted) && failAt > 0) {
      long n = calls.incrementAndGet();
      if (n == failAt && failKind == TransportFaults.Kind.FAIL_BEFORE) {
        failAt = -1;
        throw fault("call #" + n + " " + what + " failed before reaching storage");
      }
    }
  }

  /** After a performed call: throws if this call is the one to lose its response. */
  private void after(String what) throws IOException {
    if ((counted == null || Thread.currentThread() == counted) && failAt > 0 && calls.get() == failAt
        && failKind == TransportFaults.Kind.LOSE_RESPONSE) {
      failAt = -1;
      throw fault("call #" + calls.get() + " " + what + " succeeded but its response was lost");
    }
  }

  private final AtomicLong injected = new AtomicLong();

  /** Faults injected (fired) so far: an armed fault the operation never reached is not one. */
  long injected() {
    return injected.get();
  }

  private InjectedFault fault(String what) {
    injected.incrementAndGet();
    lastFault = what;
    return new InjectedFault(what);
  }

  private void streamBytes(int n, String what) throws IOException {
    if (severed) {
      throw fault("severed: " + what);
    }
    long limit = streamFailAt;
    if (limit >= 0) {
      long before = streamed.getAndAdd(n);
      if (before + n > limit) {
        streamFailAt = -1;
        throw fault(what + " at byte " + limit);
      }
    }
  }

  @Override
  public ObjectSink create(String key) throws IOException {
    before("create(" + key + ")");
    ObjectSink sink = delegate().create(key);
    try {
      after("create(" + key + ")");
    } catch (IOException e) {
      sink.close();
      throw e;
    }
    return new ObjectSink() {
      @Override
      public int write(ByteBuffer src) throws IOException {
        streamBytes(src.remaining(), "write into " + key);
        return sink.write(src);
      }

      @Override
      public boolean isOpen() {
        return sink.isOpen();
      }

      @Override
      public void finish() throws IOException {
        before("finish(" + key + ")");
        sink.finish();
        after("finish(" + key + ")");
      }

      @Override
      public void close() throws IOException {
        sink.close();
      }
    };
  }

  @Override
  public void sync(Collection<String> keys) throws IOException {
    before("sync(" + keys.size() + " keys)");
    super.sync(keys);
    after("sync");
  }

  @Override
  public boolean putIfAbsent(String key, byte[] content) throws IOException {
    before("putIfAbsent(" + key + ")");
    boolean r = super.putIfAbsent(key, content);
    after("putIfAbsent(" + key + ")");
    return r;
  }

  @Override
  public void put(String key, byte[] content) throws IOException {
    before("put(" + key + ")");
    super.put(key, content);
    after("put(" + key + ")");
  }

  @Override
  public Optional<byte[]> get(String key) throws IOException {
    before("get(" + key + ")");
    Optional<byte[]> r = super.get(key);
    after("get(" + key + ")");
    return r;
  }

  @Override
  public ReadableByteChannel open(String key) throws IOException {
    before("open(" + key + ")");
    return faulty(key, super.open(key));
  }

  @Override
  public ReadableByteChannel open(String key, long offset, long length) throws IOException {
    before("open(" + key + ", " + offset + ", " + length + ")");
    return faulty(key, super.open(key, offset, length));
  }

  private ReadableByteChannel faulty(String key, ReadableByteChannel ch) throws IOException {
    try {
      after("open(" + key + ")");
    } catch (IOException e) {
      ch.close();
      throw e;
    }
    return new ReadableByteChannel() {
      @Override
      public int read(ByteBuffer dst) throws IOException {
        streamBytes(dst.remaining(), "read from " + key);
        return ch.read(dst);
      }

      @Override
      public boolean isOpen() {
        return ch.isOpen();
      }

      @Override
      public void close() throws IOException {
        ch.close();
      }
    };
  }

  @Override
  public List<String> list(String prefix) throws IOException {
    before("list(" + prefix + ")");
    List<String> r = super.list(prefix);
    after("list(" + prefix + ")");
    return r;
  }

  @Override
  public void delete(String key) throws IOException {
    before("delete(" + key + ")");
    super.delete(key);
    after("delete(" + key + ")");
  }

  @Override
  public void purgeIncomplete(Predicate<String> ours) throws IOException {
    before("purgeIncomplete");
    super.purgeIncomplete(ours);
    after("purgeIncomplete");
  }

  @Override
  public void close() throws IOException {
    resume();
    super.close();
  }
}
