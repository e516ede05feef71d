package org.ckpt4j.spi.internal;

import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.util.concurrent.ConcurrentLinkedDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.zip.CRC32;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.backend.ObjectStore;

/**
 * Verified reads of a local file ({@link ObjectStore#openFile}) by two threads: the caller's and a helper leased
 * for the session. A large read is cut into pieces of at most {@link #PIECE} bytes that both threads take in file
 * order; each thread reads a piece with a positional read and checksums it at once, while the bytes are still
 * in its core's cache, and the pieces' checksums are combined in order. A plain read copies from the page cache
 * on one core; a verified read does that and checksums every byte, which on one core costs 1.5 times as much
 * (measured here: CRC32 at ~7.5 GB/s against a copy at ~5 GB/s), so it needs the second core to keep up. From
 * the disk, the two threads keep two requests in flight. A read under {@link #SPLIT_MIN} is read and then
 * checksummed by the caller alone.
 *
 * <p>Not thread-safe: one reader per session. The helper is returned by {@link #close}.
 */
final class FileReads implements Closeable {
  /** The largest piece: small enough to stay in a core's L2 cache between the read and its checksum. */
  static final int PIECE = 256 << 10;
  /**
   * Reads smaller than this are done by the caller alone. Splitting a 64 KiB read in two pays only once the JIT
   * has compiled the hand-off (1,000 such reads: 15 ms split against 21 ms alone, but 35-47 ms split during the
   * first dozen restores of a JVM, and a restore is usually the first), so only reads of whole pieces are split.
   */
  static final int SPLIT_MIN = 2 * PIECE;

  private final FileChannel file;
  private final String key;
  private final CRC32 crc = new CRC32();
  private Helper helper;

  FileReads(FileChannel file, String key) {
    this.file = file;
    this.key = key;
  }

  /** The outcome of one read: how many bytes arrived (-1 at the end of the file), and their CRC32. */
  record Result(int count, long crc) {}

  /**
   * Reads {@code dst.remaining()} bytes from {@code position} (fewer where the file ends), advancing {@code dst}'s
   * position past them.
   */
  Result read(ByteBuffer dst, long position) throws IOException {
    int length = dst.remaining();
    if (length == 0) {
      return new Result(0, 0);
    }
    if (length < SPLIT_MIN) {
      return readAlone(dst, position);
    }
    int base = dst.position();
    int piece = Math.min(PIECE, ((length + 1) / 2 + 4095) & ~4095);
    int pieces = (length + piece - 1) / piece; // two or more: length >= SPLIT_MIN
    long[] positions = new long[pieces];
    ByteBuffer[] views = new ByteBuffer[pieces];
    for (int k = 0; k < pieces; k++) {
      positions[k] = position + (long) k * piece;
      views[k] = dst.duplicate().limit(base + Math.min(length, (k + 1) * piece)).position(base + k * piece);
    }
    int[] counts = new int[pieces];
    long[] crcs = new long[pieces];
    readPieces(positions, views, counts, crcs, length);
    // Count and combine the pieces up to the first short one: where the file ends.
    int count = 0;
    long value = 0;
    int shiftPiece = Checksums.shift(piece);
    for (int k = 0; k < pieces; k++) {
      value = k == 0 ? crcs[0] : counts[k] == piece ? Checksums.combineShifted(value, crcs[k], shiftPiece)
          : Checksums.combine(value, crcs[k], counts[k]);
      count += counts[k];
      if (counts[k] < Math.min(piece, length - k * piece)) {
        break;
      }
    }
    if (count == 0) {
      return new Result(-1, 0);
    }
    dst.position(base + count);
    return new Result(count, value);
  }

  /**
   * Reads many ranges of the file at once (the blobs of a {@link Checkpoint#readInto}): piece {@code k} fills
   * {@code views[k]} (its position to its limit, at most {@link #PIECE} bytes; its position ends after the
   * bytes read, its limit is kept) from file position {@code positions[k]}, and {@code counts[k]} and
   * {@code crcs[k]} receive how many bytes arrived (fewer where the file ends) and their CRC32. The caller
   * and, when the pieces add up to {@link #SPLIT_MIN} bytes or more, the helper take whole pieces in order: one
   * hand-off for the whole batch, however small its pieces.
   */
  void readPieces(long[] positions, ByteBuffer[] views, int[] counts, long[] crcs, long total)
      throws IOException {
    Batch batch = new Batch(positions, views, counts, crcs);
    if (total >= SPLIT_MIN && views.length > 1) {
      if (helper == null) {
        helper = Helper.lease();
      }
      helper.start(batch);
      batch.run();
      helper.await();
    } else {
      batch.run();
    }
    rethrow(batch.failure);
  }

  private void rethrow(Throwable f) throws IOException {
    if (f instanceof IOException) {
      throw new IOException("reading " + key + ": " + f.getMessage(), f);
    }
    if (f != null) {
      throw new UncheckedIOException(new IOException("reading " + key + " failed", f));
    }
  }

  /** The pieces of {@link #readPieces}, taken in order by whichever thread is free. */
  private final class Batch implements Runnable {
    final long[] positions;
    final ByteBuffer[] views;
    final int[] counts;
    final long[] crcs;
    final AtomicInteger next = new AtomicInteger();
    volatile Throwable failure;

    Batch(long[] positions, ByteBuffer[] views, int[] counts, long[] crcs) {
      this.positions = positions;
      this.views = views;
      this.counts = counts;
      this.crcs = crcs;
    }

    @Override
    public void run() {
      CRC32 crc = new CRC32();
      for (int k = next.getAndIncrement(); k < views.length && failure == null; k = next.getAndIncrement()) {
        ByteBuffer view = views[k];
        int start = view.position();
        try {
          while (view.hasRemaining()) {
            if (file.read(view, positions[k] + (view.position() - start)) < 0) {
              break; // the file ends here
            }
          }
        } catch (Throwable e) {
          failure = e;
          return;
        }
        int end = view.position();
        int limit = view.limit();
        counts[k] = end - start;
        view.limit(end).position(start);
        crc.reset();
        crc.update(view); // back at end
        view.limit(limit);
        crcs[k] = crc.getValue();
      }
    }
  }

  /** A small read: by the caller, then checksummed while the bytes are still in its cache. */
  private Result readAlone(ByteBuffer dst, long position) throws IOException {
    int start = dst.position();
    try {
      while (dst.hasRemaining()) {
        if (file.read(dst, position + (dst.position() - start)) < 0) {
          break; // the file ends here
        }
      }
    } catch (IOException e) {
      throw new IOException("reading " + key + ": " + e.getMessage(), e);
    }
    int count = dst.position() - start;
    if (count == 0) {
      return new Result(-1, 0);
    }
    ByteBuffer view = dst.duplicate();
    view.limit(dst.position()).position(start);
    crc.reset();
    crc.update(view);
    return new Result(count, crc.getValue());
  }

  @Override
  public void close() {
    if (helper != null) {
      helper.release();
      helper = null;
    }
  }

  /**
   * A helper thread, leased for one session. It spins briefly for its next job before it parks (a hand-off to a
   * parked thread takes tens of microseconds here, as long as reading a 64 KiB piece), and leaves after a minute
   * in the idle pool.
   */
  static final class Helper implements Runnable {
    private static final ConcurrentLinkedDeque<Helper> IDLE = new ConcurrentLinkedDeque<>();
    private static final long SPIN_NANOS = TimeUnit.MICROSECONDS.toNanos(100);
    private static final long IDLE_NANOS = TimeUnit.SECONDS.toNanos(60);
    private static final AtomicInteger COUNT = new AtomicInteger();

    private static final int IDLE_STATE = 0;
    private static final int PENDING = 1;
    private static final int RUNNING = 2;
    private static final int CANCELLED = 3;

    private final Thread thread;
    private final AtomicInteger state = new AtomicInteger(IDLE_STATE);
    private volatile Runnable job;
    private volatile Thread owner;
    private volatile boolean leased;

    private Helper() {
      thread = new Thread(this, "ckpt4j-read-" + COUNT.incrementAndGet());
      thread.setDaemon(true);
      thread.start();
    }

    static Helper lease() {
      Helper h = IDLE.pollFirst();
      h = h != null ? h : new Helper();
      h.leased = true;
      h.owner = Thread.currentThread();
      return h;
    }

    void release() {
      leased = false;
      owner = null;
      IDLE.addFirst(this);
    }

    void start(Runnable r) {
      job = r;
      state.set(PENDING);
      LockSupport.unpark(thread);
    }

    /** Returns once the helper has finished the job, or took no part in it. */
    void await() {
      if (state.compareAndSet(PENDING, CANCELLED)) {
        return; // not started: the caller did every piece itself
      }
      long deadline = System.nanoTime() + SPIN_NANOS;
      while (state.get() == RUNNING) {
        if (System.nanoTime() < deadline) {
          Thread.onSpinWait();
        } else {
          LockSupport.parkNanos(this, SPIN_NANOS);
        }
      }
    }

    @Override
    public void run() {
      long idleSince = System.nanoTime();
      while (true) {
        if (state.compareAndSet(PENDING, RUNNING)) {
          try {
            job.run();
          } finally {
            job = null;
            state.set(IDLE_STATE);
            Thread o = owner;
            if (o != null) {
              LockSupport.unpark(o);
            }
          }
          idleSince = System.nanoTime();
          continue;
        }
        long idle = System.nanoTime() - idleSince;
        if (idle < SPIN_NANOS) {
          Thread.onSpinWait();
        } else if (idle < IDLE_NANOS || leased) {
          LockSupport.parkNanos(this, IDLE_NANOS);
        } else if (IDLE.remove(this)) {
          return; // idle for a minute, and nobody leased it meanwhile
        }
      }
    }
  }
}
