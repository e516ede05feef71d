package org.ckpt4j.spark;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * A ring of TCP connections: worker {@code r} sends to {@code r+1} and receives from {@code r-1} (mod n).
 *
 * <p>All-reduce is reduce-scatter then all-gather over {@code n} chunks ({@code chunk c = [c*L/n, (c+1)*L/n)}):
 * chunk {@code c} starts at worker {@code c} and travels {@code c+1, c+2, ...}, each adding its own elements to
 * the partial sum it received, so its sum is {@code ((x_c + x_{c+1}) + ...) + x_{c-1}} in float (or double)
 * arithmetic; the worker that completes a chunk sends it around the ring unchanged. Every worker ends with the
 * same bits, and the order depends only on {@code n} and {@code L}. With two workers the ring's two steps are one:
 * each sends its whole buffer and adds the other's ({@code x0 + x1} everywhere: float addition is commutative, so
 * these are the ring's bits). Payloads are streamed in segments, so that encoding, transfer and adding overlap.
 *
 * <p>Every frame has a header {@code (attempt, op, seq, length)}: the attempt the ring was built for, the number
 * of the collective operation, the ring step within it, and the payload's length; a frame that does not match
 * what this worker expects fails the operation. Reads have a deadline. Sends run on one background thread while
 * the caller receives, so that two neighbours sending large chunks to each other never deadlock.
 */
final class TcpRing implements Collective {
  static final int MAGIC = 0x636b7074; // "ckpt"
  private static final int HEADER = 24;
  private static final int MAX_GATHER = 256 << 20;
  /** Elements per segment of a streamed exchange (256 KiB of doubles, 128 KiB of floats). */
  private static final int SEGMENT = 32 << 10;

  private final int rank;
  private final int size;
  private final long attempt;
  private final ServerSocket server;
  private final Socket toNext;
  private final Socket fromPrev;
  private final OutputStream out;
  private final DataInputStream in;
  private final ExecutorService sender;
  private long op;
  /** The sender thread's buffer (gathers and empty frames reuse it on the caller's thread between sends). */
  private byte[] sendBuf = new byte[HEADER + SEGMENT * 8];
  private byte[] recvBuf = new byte[SEGMENT * 8];
  private volatile boolean closed;
  private volatile Throwable broken;

  private TcpRing(int rank, int size, long attempt, ServerSocket server, Socket toNext, Socket fromPrev)
      throws IOException {
    this.rank = rank;
    this.size = size;
    this.attempt = attempt;
    this.server = server;
    this.toNext = toNext;
    this.fromPrev = fromPrev;
    this.out = toNext == null ? null : toNext.getOutputStream();
    this.in = fromPrev == null ? null : new DataInputStream(fromPrev.getInputStream());
    this.sender = size == 1 ? null : Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "ckpt4j-ring-send-" + rank);
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Builds the ring: connects to the next worker (retrying until {@code connectTimeout}, as it may not listen
   * yet), then accepts the previous one on {@code server}, ignoring connections of another attempt or rank.
   * Closes {@code server} on failure.
   */
  static TcpRing connect(int rank, List<InetSocketAddress> addresses, ServerSocket server, long attempt,
      Duration connectTimeout, Duration readTimeout) throws IOException {
    int n = addresses.size();
    if (rank < 0 || rank >= n) {
      throw new IllegalArgumentException("rank (" + rank + ") must be in [0, " + n + ")");
    }
    if (n == 1) {
      return new TcpRing(rank, 1, attempt, server, null, null);
    }
    long deadline = System.nanoTime() + connectTimeout.toNanos();
    int timeout = (int) Math.max(1, Math.min(Integer.MAX_VALUE, readTimeout.toMillis()));
    Socket next = null;
    Socket prev = null;
    try {
      next = connectNext(rank, (rank + 1) % n, addresses.get((rank + 1) % n), deadline);
      next.setTcpNoDelay(true);
      DataOutputStream hello = new DataOutputStream(next.getOutputStream());
      hello.writeInt(MAGIC);
      hello.writeLong(attempt);
      hello.writeInt(rank);
      hello.writeInt(n);
      hello.flush();
      prev = acceptPrev(rank, (rank + n - 1) % n, n, attempt, server, deadline);
      prev.setSoTimeout(timeout);
      prev.setTcpNoDelay(true);
      return new TcpRing(rank, n, attempt, server, next, prev);
    } catch (IOException | RuntimeException e) {
      closeQuietly(next);
      closeQuietly(prev);
      closeQuietly(server);
      throw e;
    }
  }

  private static Socket connectNext(int rank, int peer, InetSocketAddress address, long deadline)
      throws IOException {
    IOException last = null;
    while (System.nanoTime() < deadline) {
      Socket s = new Socket();
      try {
        int left = (int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
        s.connect(address, left);
        return s;
      } catch (IOException e) {
        closeQuietly(s);
        last = e;
        sleep(50);
      }
    }
    throw new CollectiveException(rank, peer, "could not connect to " + address + " before the rendezvous deadline",
        last);
  }

  private static Socket acceptPrev(int rank, int peer, int n, long attempt, ServerSocket server, long deadline)
      throws IOException {
    while (true) {
      long left = (deadline - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        throw new CollectiveException(rank, peer, "no connection from the previous worker before the rendezvous "
            + "deadline", null);
      }
      server.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
      Socket s;
      try {
        s = server.accept();
      } catch (SocketTimeoutException e) {
        continue;
      }
      try {
        s.setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, left)));
        DataInputStream hello = new DataInputStream(s.getInputStream());
        if (hello.readInt() == MAGIC && hello.readLong() == attempt && hello.readInt() == peer
            && hello.readInt() == n) {
          return s;
        }
      } catch (IOException e) {
        // a stray or stale connection (e.g. from a worker of an earlier attempt): not ours
      }
      closeQuietly(s);
    }
  }

  @Override
  public int rank() {
    return rank;
  }

  @Override
  public int size() {
    return size;
  }

  @Override
  public void allReduce(float[] buffer) throws IOException {
    allReduce(new Elements.Floats(buffer));
  }

  @Override
  public void allReduce(double[] buffer) throws IOException {
    allReduce(new Elements.Doubles(buffer));
  }

  @Override
  public void barrier() throws IOException {
    allGather(new byte[0]);
  }

  @Override
  public List<byte[]> allGather(byte[] mine) throws IOException {
    if (mine.length > MAX_GATHER) {
      throw new IllegalArgumentException("allGather: " + mine.length + " bytes exceed the limit of " + MAX_GATHER);
    }
    long thisOp = begin();
    byte[][] all = new byte[size][];
    all[rank] = mine.clone();
    try {
      for (int s = 0; s < size - 1; s++) {
        byte[] send = all[Math.floorMod(rank - s, size)];
        Future<?> sent = send(thisOp, s, ByteBuffer.wrap(send), send.length);
        int len = receiveHeader(thisOp, s, -1);
        byte[] got = new byte[len];
        readFully(got, len);
        all[Math.floorMod(rank - s - 1, size)] = got;
        awaitSend(sent);
      }
    } catch (IOException | RuntimeException e) {
      throw fail(e);
    }
    return Arrays.asList(all);
  }

  private void allReduce(Elements x) throws IOException {
    long thisOp = begin();
    if (size == 1 || x.length() == 0) {
      if (size > 1) {
        barrierSteps(thisOp);
      }
      return;
    }
    int len = x.length();
    int w = x.width();
    try {
      if (size == 2) {
        // Two workers: each sends its whole buffer and adds the other's, in one step instead of the ring's two
        // (the same bytes on the wire). The ring would sum chunk 0 as x0 + x1 and chunk 1 as x1 + x0; float
        // addition is commutative, so this gives the same bits.
        exchangeRange(x, thisOp, 0, 0, len, 0, len, w, true);
        return;
      }
      // reduce-scatter: at step s send chunk (r - s), receive chunk (r - s - 1) and add this worker's part
      for (int s = 0; s < size - 1; s++) {
        exchange(x, thisOp, s, Math.floorMod(rank - s, size), Math.floorMod(rank - s - 1, size), len, w, true);
      }
      // all-gather: this worker completed chunk (r + 1); pass complete chunks along
      for (int s = 0; s < size - 1; s++) {
        exchange(x, thisOp, size - 1 + s, Math.floorMod(rank + 1 - s, size), Math.floorMod(rank - s, size), len,
            w, false);
      }
    } catch (IOException | RuntimeException e) {
      throw fail(e);
    }
  }

  /** An all-reduce of an empty buffer still keeps the workers in step (and checks they agree it is empty). */
  private void barrierSteps(long thisOp) throws IOException {
    try {
      for (int s = 0; s < size - 1; s++) {
        Future<?> sent = send(thisOp, s, ByteBuffer.allocate(0), 0);
        receiveHeader(thisOp, s, 0);
        awaitSend(sent);
      }
    } catch (IOException | RuntimeException e) {
      throw fail(e);
    }
  }

  private void exchange(Elements x, long thisOp, int seq, int sendChunk, int recvChunk, int len, int w,
      boolean add) throws IOException {
    int sFrom = from(sendChunk, len);
    int rFrom = from(recvChunk, len);
    exchangeRange(x, thisOp, seq, sFrom, from(sendChunk + 1, len) - sFrom, rFrom, from(recvChunk + 1, len) - rFrom,
        w, add);
  }

  /**
   * Sends elements {@code [sFrom, sFrom+sLen)} to the next worker while receiving {@code rLen} elements from the
   * previous one into {@code [rFrom, ...)} (added or copied), both streamed in segments so that encoding,
   * transfer and adding overlap. The ranges are the same in a two-worker exchange: an element is then changed
   * only once the sender thread has encoded it ({@code encoded}).
   */
  private void exchangeRange(Elements x, long thisOp, int seq, int sFrom, int sLen, int rFrom, int rLen, int w,
      boolean add) throws IOException {
    boolean overlap = sLen > 0 && rLen > 0 && sFrom < rFrom + rLen && rFrom < sFrom + sLen;
    AtomicInteger encoded = new AtomicInteger(overlap ? 0 : Integer.MAX_VALUE);
    Future<?> sent = sender.submit(() -> {
      ByteBuffer.wrap(sendBuf, 0, HEADER).putLong(attempt).putLong(thisOp).putInt(seq).putInt(sLen * w);
      int at = HEADER;
      for (int off = 0; off < sLen || at > 0; ) {
        int n = Math.min(SEGMENT, sLen - off);
        x.encode(sFrom + off, n, ByteBuffer.wrap(sendBuf, at, n * w).order(ByteOrder.LITTLE_ENDIAN));
        if (overlap) {
          encoded.set(sFrom + off + n);
        }
        out.write(sendBuf, 0, at + n * w);
        off += n;
        at = 0;
      }
      out.flush();
      return null;
    });
    receiveHeader(thisOp, seq, rLen * w);
    for (int off = 0; off < rLen; ) {
      int n = Math.min(SEGMENT, rLen - off);
      readFully(recvBuf, n * w);
      for (int spins = 0; overlap && encoded.get() < rFrom + off + n && !sent.isDone(); spins++) {
        // the sender thread has yet to encode these elements (it is rarely behind); on a busy machine it may not
        // be running at all, so after a short spin give it the CPU
        if (spins < 64) {
          Thread.onSpinWait();
        } else {
          LockSupport.parkNanos(20_000);
        }
      }
      if (overlap && encoded.get() < rFrom + off + n) {
        awaitSend(sent); // the sender failed: throws
      }
      ByteBuffer got = ByteBuffer.wrap(recvBuf, 0, n * w).order(ByteOrder.LITTLE_ENDIAN);
      if (add) {
        x.addInto(rFrom + off, n, got);
      } else {
        x.copyInto(rFrom + off, n, got);
      }
      off += n;
    }
    awaitSend(sent);
  }

  private int from(int chunk, int len) {
    return (int) ((long) chunk * len / size);
  }

  private void ensureSend(int payload) {
    if (sendBuf.length < HEADER + payload) {
      sendBuf = new byte[HEADER + payload];
    }
  }

  /** Sends a frame on the sender thread; {@code payload} null means it is already in sendBuf after the header. */
  private Future<?> send(long thisOp, int seq, ByteBuffer payload, int length) {
    if (payload != null) {
      ensureSend(length);
      payload.get(sendBuf, HEADER, length);
    }
    ByteBuffer h = ByteBuffer.wrap(sendBuf, 0, HEADER);
    h.putLong(attempt).putLong(thisOp).putInt(seq).putInt(length);
    byte[] frame = sendBuf;
    return sender.submit(() -> {
      out.write(frame, 0, HEADER + length);
      out.flush();
      return null;
    });
  }

  private void awaitSend(Future<?> sent) throws IOException {
    try {
      sent.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new CollectiveException(rank, (rank + 1) % size, "interrupted while sending", e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      throw new CollectiveException(rank, (rank + 1) % size, "send failed: " + c, c);
    }
  }

  /** Reads and checks a header; returns the payload's length ({@code expected} -1: any up to the gather limit). */
  private int receiveHeader(long thisOp, int seq, int expected) throws IOException {
    byte[] h = new byte[HEADER];
    readFully(h, HEADER);
    ByteBuffer b = ByteBuffer.wrap(h);
    long a = b.getLong();
    long o = b.getLong();
    int sq = b.getInt();
    int len = b.getInt();
    int peer = (rank + size - 1) % size;
    if (a != attempt || o != thisOp || sq != seq) {
      throw new CollectiveException(rank, peer, "unexpected frame (attempt " + a + ", op " + o + ", seq " + sq
          + "), expected (attempt " + attempt + ", op " + thisOp + ", seq " + seq + ")", null);
    }
    if (expected >= 0 ? len != expected : len < 0 || len > MAX_GATHER) {
      throw new CollectiveException(rank, peer, "frame of " + len + " bytes where " + (expected >= 0 ? expected
          + " were expected (do all workers pass buffers of the same length?)" : "at most " + MAX_GATHER
          + " are allowed"), null);
    }
    return len;
  }

  private void readFully(byte[] b, int len) throws IOException {
    int peer = (rank + size - 1) % size;
    try {
      in.readFully(b, 0, len);
    } catch (SocketTimeoutException e) {
      throw new CollectiveException(rank, peer, "no data from the previous worker within the read deadline of "
          + fromPrev.getSoTimeout() + " ms", e);
    } catch (EOFException e) {
      throw new CollectiveException(rank, peer, "the previous worker closed the connection", e);
    }
  }

  private long begin() throws IOException {
    if (closed) {
      throw new CollectiveException(rank, -1, "the group is closed", null);
    }
    Throwable b = broken;
    if (b != null) {
      throw new CollectiveException(rank, -1, "the group broke in an earlier operation (" + b + "); restart it", b);
    }
    return op++;
  }

  private IOException fail(Exception e) {
    broken = e;
    IOException io = closed ? new CollectiveException(rank, -1, "the group was closed during an operation", e)
        : e instanceof CollectiveException ? (IOException) e
        : new CollectiveException(rank, -1, e.toString(), e);
    close();
    return io;
  }

  @Override
  public void close() {
    closed = true;
    closeQuietly(toNext);
    closeQuietly(fromPrev);
    closeQuietly(server);
    if (sender != null) {
      sender.shutdownNow();
    }
  }

  @Override
  public String toString() {
    return "TcpRing{rank=" + rank + ", size=" + size + ", attempt=" + attempt + "}";
  }

  private static void sleep(long ms) throws IOException {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new java.io.InterruptedIOException("interrupted while connecting the ring");
    }
  }

  static void closeQuietly(AutoCloseable c) {
    if (c != null) {
      try {
        c.close();
      } catch (Exception e) {
        // closing: nothing to do
      }
    }
  }

  /** A float or double buffer, encoded little-endian on the wire. */
  abstract static class Elements {
    abstract int length();

    abstract int width();

    abstract void encode(int from, int len, ByteBuffer dst);

    /** buf[from + i] = received[i] + buf[from + i]: the partial sum of earlier workers first. */
    abstract void addInto(int from, int len, ByteBuffer src);

    abstract void copyInto(int from, int len, ByteBuffer src);

    static final class Floats extends Elements {
      private final float[] buf;

      Floats(float[] buf) {
        this.buf = buf;
      }

      @Override
      int length() {
        return buf.length;
      }

      @Override
      int width() {
        return 4;
      }

      @Override
      void encode(int from, int len, ByteBuffer dst) {
        dst.asFloatBuffer().put(buf, from, len);
      }

      @Override
      void addInto(int from, int len, ByteBuffer src) {
        java.nio.FloatBuffer in = src.asFloatBuffer();
        for (int i = 0; i < len; i++) {
          buf[from + i] = in.get(i) + buf[from + i];
        }
      }

      @Override
      void copyInto(int from, int len, ByteBuffer src) {
        src.asFloatBuffer().get(buf, from, len);
      }
    }

    static final class Doubles extends Elements {
      private final double[] buf;

      Doubles(double[] buf) {
        this.buf = buf;
      }

      @Override
      int length() {
        return buf.length;
      }

      @Override
      int width() {
        return 8;
      }

      @Override
      void encode(int from, int len, ByteBuffer dst) {
        dst.asDoubleBuffer().put(buf, from, len);
      }

      @Override
      void addInto(int from, int len, ByteBuffer src) {
        java.nio.DoubleBuffer in = src.asDoubleBuffer();
        for (int i = 0; i < len; i++) {
          buf[from + i] = in.get(i) + buf[from + i];
        }
      }

      @Override
      void copyInto(int from, int len, ByteBuffer src) {
        src.asDoubleBuffer().get(buf, from, len);
      }
    }
  }
}
