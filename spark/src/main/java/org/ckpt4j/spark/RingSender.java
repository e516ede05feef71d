package org.ckpt4j.spark;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.util.concurrent.locks.LockSupport;

/**
 * The sending half of a {@link RingLink}: stages a frame (header, then elements encoded a segment at a time into a
 * bounded direct buffer that stays in the CPU's caches) and writes it to the non-blocking connection to the next
 * worker. Driven either by the caller's thread, one non-blocking {@link #pump()} at a time between reads, or, for
 * large frames, by its own thread ({@link #startInBackground()}), so that encoding and writing run beside
 * reading and adding (two threads per worker, as a blocking stream per direction has).
 *
 * <p>Bounded staging cannot deadlock two workers that exchange the same range (the receiver adds only into
 * elements already staged): a worker waits for its own sender only when its staging is full, i.e. when it is
 * ahead of its peer by more than the socket buffers hold, and two workers cannot both be ahead of each other.
 */
final class RingSender implements AutoCloseable {
  /** Bytes encoded at a time (the unit of the overlap of encoding and sending). */
  static final int SEGMENT_BYTES = 128 << 10;
  /**
   * How far encoding may run ahead of the socket: a small frame is staged whole (one write), a large one 256 KiB
   * at a time, so that the elements are still in the CPU's caches when added after the send (measured at 10M
   * floats on loopback, 2 workers: 1.08-1.20x the TCP floor with 256 KiB, 1.30-1.61x with 1 MiB).
   */
  static final int STAGE_BYTES = 256 << 10;

  private static final int IDLE = 0;
  private static final int RUNNING = 1;
  private static final int DONE = 2;
  private static final int FAILED = 3;

  private final int rank;
  private final int next;
  private final long timeoutNanos;
  private final SocketChannel ch;
  private final Selector selector;
  private final SelectionKey key;
  private final ByteBuffer out = ByteBuffer.allocateDirect(RingLink.HEADER + RingLink.THREADED_BYTES);
  private RingElements tx;
  private int from;
  private int len;
  private int stageLimit;
  private volatile int encoded;
  private volatile boolean closed;
  /** Write calls, for the bench's profile. */
  long writes;

  private Thread thread;
  private volatile int state = IDLE;
  private volatile Throwable error;
  private volatile Thread waiter;

  RingSender(int rank, int next, SocketChannel ch, long timeoutNanos) throws IOException {
    this.rank = rank;
    this.next = next;
    this.ch = ch;
    this.timeoutNanos = timeoutNanos;
    this.selector = Selector.open();
    this.key = ch.register(selector, SelectionKey.OP_WRITE);
  }

  /** Starts a frame: stages its header and first segments (all of it if below {@link RingLink#THREADED_BYTES}). */
  void begin(long attempt, long op, int seq, RingElements tx, int from, int len) {
    this.tx = tx;
    this.from = from;
    this.len = len;
    this.stageLimit = RingLink.HEADER + ((long) len * tx.width() >= RingLink.THREADED_BYTES ? STAGE_BYTES
        : RingLink.THREADED_BYTES);
    this.encoded = 0;
    out.clear();
    out.putLong(attempt).putLong(op).putInt(seq).putInt(len * tx.width());
    out.flip();
    stage();
  }

  /** Elements of the frame staged so far (relative to its start): these may now change in the source array. */
  int encoded() {
    return encoded;
  }

  /** Whether the whole frame was written (caller-driven mode). */
  boolean done() {
    return encoded == len && !out.hasRemaining();
  }

  /** Stages what fits and writes what the socket takes, without blocking; returns whether bytes moved. */
  boolean pump() throws IOException {
    stage();
    if (!out.hasRemaining()) {
      return false;
    }
    writes++;
    return ch.write(out) > 0;
  }

  private void stage() {
    int w = tx.width();
    if (!out.hasRemaining()) {
      out.clear().limit(0); // all sent: reuse the buffer from its start
    } else if (stageLimit - out.limit() < SEGMENT_BYTES && out.position() > 0) {
      out.compact().flip();
    }
    int e = encoded;
    while (e < len) {
      int n = Math.min(Math.min(len - e, SEGMENT_BYTES / w), (stageLimit - out.limit()) / w);
      if (n <= 0) {
        break;
      }
      int at = out.limit();
      ByteBuffer dst = out.duplicate();
      dst.limit(at + n * w).position(at);
      tx.encode(from + e, n, dst);
      out.limit(at + n * w);
      e += n;
      encoded = e; // published segment by segment: the receiver may add into these elements now
    }
  }

  /** Sends the frame begun on this sender's own thread; {@link #finish()} waits for it. */
  void startInBackground() {
    if (thread == null) {
      thread = new Thread(this::serve, "ckpt4j-ring-send-" + rank);
      thread.setDaemon(true);
      thread.start();
    }
    waiter = Thread.currentThread();
    state = RUNNING;
    LockSupport.unpark(thread);
  }

  /** Whether a background send is still running; throws its failure. */
  boolean running() throws IOException {
    int s = state;
    if (s == FAILED) {
      Throwable t = error;
      state = IDLE;
      throw t instanceof CollectiveException c ? c : new CollectiveException(rank, next, "send failed: " + t, t);
    }
    return s == RUNNING;
  }

  /** Waits for the background send to end (the receiving side is done, so this is short or fails). */
  void finish() throws IOException {
    for (int spins = 0; running(); spins++) {
      if (closed) {
        throw new CollectiveException(rank, -1, "the group was closed during an operation", null);
      }
      if (spins < 100) {
        Thread.onSpinWait();
      } else {
        LockSupport.parkNanos(this, 1_000_000);
      }
    }
    state = IDLE;
  }

  /** Briefly yields the CPU to the sender thread (the receiver waits for elements to be staged). */
  void pause(int spins) {
    if (spins < 64) {
      Thread.onSpinWait();
    } else {
      LockSupport.parkNanos(this, 20_000);
    }
  }

  private void serve() {
    while (!closed) {
      if (state != RUNNING) {
        LockSupport.park(this);
        continue;
      }
      try {
        long last = System.nanoTime();
        while (!done()) {
          if (pump()) {
            last = System.nanoTime();
          } else if (!done()) {
            await(last);
          }
        }
        state = DONE;
      } catch (Throwable t) {
        error = t;
        state = FAILED;
      }
      LockSupport.unpark(waiter);
    }
  }

  private void await(long last) throws IOException {
    long left = timeoutNanos - (System.nanoTime() - last);
    if (left <= 0) {
      throw writeDeadline();
    }
    selector.select(Math.max(1, left / 1_000_000));
    selector.selectedKeys().clear();
    if (closed) {
      throw new CollectiveException(rank, -1, "the group was closed during an operation", null);
    }
  }

  CollectiveException writeDeadline() {
    long ms = timeoutNanos / 1_000_000;
    return new CollectiveException(rank, next, "the next worker took no data within the deadline of " + ms + " ms",
        new SocketTimeoutException("write deadline of " + ms + " ms"));
  }

  @Override
  public void close() {
    closed = true;
    TcpRing.closeQuietly(selector);
    TcpRing.closeQuietly(ch);
    Thread t = thread;
    if (t != null) {
      LockSupport.unpark(t);
    }
  }
}
