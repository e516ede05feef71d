package org.ckpt4j.spark;

import java.io.IOException;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;

/**
 * A ring member's two connections, to the next worker and from the previous one, and the one ring step that
 * {@link TcpRing} builds every operation from: send a frame to the next worker while receiving one from the
 * previous worker.
 *
 * <p>Both connections are non-blocking. The caller's thread reads what has arrived, decodes and adds it, and, for
 * frames below {@link #THREADED_BYTES}, also drives the {@link RingSender} between reads, waiting in a
 * {@link Selector} only when neither side can move: no thread hand-off is paid per step (that hand-off, tens of
 * microseconds on a busy machine, dominated a 100k-float all-reduce). Larger frames are written by the sender's
 * own thread, so that encoding and writing run beside reading and adding. Payloads go through direct buffers:
 * one bulk copy from the array on the way out and one bulk copy to a scratch array on the way in (as a socket
 * stream does for a {@code byte[]}), then an add loop the JIT vectorizes.
 *
 * <p>A frame is {@code (attempt, op, seq, length)} (big-endian, {@value #HEADER} bytes) and the payload. The
 * deadline: when a side has not moved for the read timeout, the step fails (a silent or stuck peer).
 */
final class RingLink implements AutoCloseable {
  static final int HEADER = 24;
  /** The largest allGather payload. */
  static final int MAX_GATHER = 256 << 20;
  /** Receive buffer; also bounds one decode (so the scratch arrays are IN_BYTES / width long). */
  static final int IN_BYTES = 256 << 10;
  /** Frames from this size on are written by the sender's own thread. */
  static final int THREADED_BYTES = 2 << 20;

  private final int rank;
  private final int size;
  private final long attempt;
  private final long timeoutNanos;
  private final RingSender sender;
  private final SocketChannel fromPrev;
  private final Selector selector;
  private final SelectionKey sendKey;
  private final SelectionKey recvKey;
  private final ByteBuffer in = ByteBuffer.allocateDirect(IN_BYTES);
  private volatile boolean closed;
  /** Counts for the bench's profile (the caller's thread only): steps, read calls, reads of nothing, waits. */
  long steps;
  long reads;
  long emptyReads;
  long waits;

  RingLink(int rank, int size, long attempt, SocketChannel toNext, SocketChannel fromPrev, long timeoutMillis)
      throws IOException {
    this.rank = rank;
    this.size = size;
    this.attempt = attempt;
    this.timeoutNanos = timeoutMillis * 1_000_000L;
    this.fromPrev = fromPrev;
    toNext.configureBlocking(false);
    fromPrev.configureBlocking(false);
    this.selector = Selector.open();
    this.sendKey = toNext.register(selector, 0);
    this.recvKey = fromPrev.register(selector, 0);
    this.sender = new RingSender(rank, (rank + 1) % size, toNext, timeoutNanos);
  }

  /** Socket write calls so far, for the bench's profile. */
  long writes() {
    return sender.writes;
  }

  /**
   * Sends {@code tx[sFrom, sFrom+sLen)} to the next worker as frame {@code (op, seq)} while receiving the
   * previous worker's frame {@code (op, seq)} of {@code rLen} elements into {@code rx[rFrom, ...)}, added
   * ({@code add}) or copied. {@code rx} null: the payload is bytes of any length up to {@link #MAX_GATHER},
   * returned as a new {@link RingElements.Bytes}. {@code tx} and {@code rx} may be the same array with the same
   * range (two workers): an element is then changed only after it was staged for sending.
   */
  RingElements exchange(long op, int seq, RingElements tx, int sFrom, int sLen, RingElements rx, int rFrom,
      int rLen, boolean add) throws IOException {
    steps++;
    boolean overlap = rx == tx && sLen > 0 && rLen > 0 && sFrom < rFrom + rLen && rFrom < sFrom + sLen;
    if (overlap && (sFrom != rFrom || sLen != rLen)) {
      throw new IllegalStateException("overlapping ranges must be the same: [" + sFrom + ", +" + sLen + ") and ["
          + rFrom + ", +" + rLen + ")");
    }
    sender.begin(attempt, op, seq, tx, sFrom, sLen);
    boolean threaded = (long) sLen * tx.width() >= THREADED_BYTES;
    if (threaded) {
      sender.startInBackground();
    }
    boolean sendDone = false;
    boolean headerDone = false;
    int received = 0;
    int w = rx == null ? 1 : rx.width();
    long last = System.nanoTime();
    int spins = 0;
    boolean ended = false;
    // in may hold the start of this frame already (read with the previous one): it is kept between steps
    while (true) {
      boolean moved = false;
      if (!sendDone) {
        if (threaded) {
          sendDone = !sender.running();
        } else {
          moved = sender.pump();
          sendDone = sender.done();
        }
      }
      boolean recvDone = headerDone && received == rLen;
      if (!recvDone) {
        if (in.hasRemaining()) {
          int n = fromPrev.read(in);
          reads++;
          emptyReads += n == 0 ? 1 : 0;
          // the end of the stream fails the step only if what was read before it does not complete the frame:
          // a peer that finished may have closed after sending it, and it may have been read with the last one
          ended = n < 0;
          moved |= n > 0;
        }
        in.flip();
        if (!headerDone && in.remaining() >= HEADER) {
          rLen = checkHeader(op, seq, rx == null ? -1 : rLen * w) / w;
          if (rx == null) {
            rx = new RingElements.Bytes(new byte[rLen]);
          }
          headerDone = true;
        }
        int k = headerDone ? Math.min(in.remaining() / w, rLen - received) : 0;
        int ready = k;
        if (overlap) { // this worker's elements change only once they are staged for sending
          k = Math.min(k, sender.encoded() - received);
        }
        if (k > 0) {
          if (add) {
            rx.addInto(rFrom + received, k, in);
          } else {
            rx.copyInto(rFrom + received, k, in);
          }
          received += k;
          moved = true;
        } else if (ready > 0 && threaded) {
          sender.pause(spins++); // the sender thread has yet to stage these elements
          moved = true;
        }
        in.compact();
        recvDone = headerDone && received == rLen;
        if (ended && !recvDone) {
          throw new CollectiveException(rank, prev(), "the previous worker closed the connection", null);
        }
      }
      if (recvDone && (sendDone || threaded)) {
        if (threaded) {
          sender.finish();
        }
        return rx;
      }
      if (moved) {
        last = System.nanoTime();
      } else {
        await(sendDone || threaded, recvDone, last);
      }
    }
  }

  /** Reads and checks a header; returns the payload's length ({@code expected} -1: any up to the gather limit). */
  private int checkHeader(long op, int seq, int expected) throws CollectiveException {
    long a = in.getLong();
    long o = in.getLong();
    int sq = in.getInt();
    int len = in.getInt();
    if (a != attempt || o != op || sq != seq) {
      throw new CollectiveException(rank, prev(), "unexpected frame (attempt " + a + ", op " + o + ", seq " + sq
          + "), expected (attempt " + attempt + ", op " + op + ", seq " + seq + ")", null);
    }
    if (expected >= 0 ? len != expected : len < 0 || len > MAX_GATHER) {
      throw new CollectiveException(rank, prev(), "frame of " + len + " bytes where " + (expected >= 0 ? expected
          + " were expected (do all workers pass buffers of the same length?)" : "at most " + MAX_GATHER
          + " are allowed"), null);
    }
    return len;
  }

  /** Waits until a side can move or the deadline passes (then fails, naming the side that is stuck). */
  private void await(boolean sendDone, boolean recvDone, long last) throws IOException {
    long left = timeoutNanos - (System.nanoTime() - last);
    if (left <= 0) {
      long ms = timeoutNanos / 1_000_000;
      if (!recvDone) {
        throw new CollectiveException(rank, prev(), "no data from the previous worker within the read deadline of "
            + ms + " ms", new SocketTimeoutException("read deadline of " + ms + " ms"));
      }
      throw sender.writeDeadline();
    }
    sendKey.interestOps(sendDone ? 0 : SelectionKey.OP_WRITE);
    recvKey.interestOps(recvDone || !in.hasRemaining() ? 0 : SelectionKey.OP_READ);
    waits++;
    selector.select(Math.max(1, left / 1_000_000));
    selector.selectedKeys().clear();
    if (closed) {
      throw new CollectiveException(rank, -1, "the group was closed during an operation", null);
    }
  }

  private int prev() {
    return (rank + size - 1) % size;
  }

  /** Unblocks a step in progress (from any thread) and closes both connections. */
  @Override
  public void close() {
    closed = true;
    TcpRing.closeQuietly(selector); // wakes a select in progress and deregisters the channels
    TcpRing.closeQuietly(sender);
    TcpRing.closeQuietly(fromPrev);
  }
}
