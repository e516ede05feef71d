package org.ckpt4j.spark;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;

/**
 * A ring of TCP connections: worker {@code r} sends to {@code r+1} and receives from {@code r-1} (mod n).
 *
 * <p>All-reduce is reduce-scatter then all-gather over {@code n} chunks ({@code chunk c = [c*L/n, (c+1)*L/n)}):
 * chunk {@code c} starts at worker {@code c} and travels {@code c+1, c+2, ...}, each adding its own elements to
 * the partial sum it received, so its sum is {@code ((x_c + x_{c+1}) + ...) + x_{c-1}} in float (or double)
 * arithmetic; the worker that completes a chunk sends it around the ring unchanged. Every worker ends with the
 * same bits, and the order depends only on {@code n} and {@code L}. With two workers the ring's two steps are one:
 * each sends its whole buffer and adds the other's ({@code x0 + x1} everywhere: float addition is commutative, so
 * these are the ring's bits).
 *
 * <p>This class holds the algorithm and the rendezvous; {@link RingLink} runs each ring step (one frame out, one
 * in, on the caller's thread, with the read deadline) and {@link RingElements} converts arrays to and from the
 * wire. Every frame has a header {@code (attempt, op, seq, length)}: the attempt the ring was built for, the number
 * of the collective operation, the ring step within it, and the payload's length; a frame that does not match
 * what this worker expects fails the operation.
 */
final class TcpRing implements Collective {
  static final int MAGIC = 0x636b7074; // "ckpt"

  private final int rank;
  private final int size;
  private final long attempt;
  private final ServerSocket server;
  private final RingLink link;
  private final float[] floatScratch;
  private final double[] doubleScratch;
  private long op;
  private volatile boolean closed;
  private volatile Throwable broken;

  private TcpRing(int rank, int size, long attempt, ServerSocket server, RingLink link) {
    this.rank = rank;
    this.size = size;
    this.attempt = attempt;
    this.server = server;
    this.link = link;
    this.floatScratch = size == 1 ? null : new float[RingLink.IN_BYTES / 4];
    this.doubleScratch = size == 1 ? null : new double[RingLink.IN_BYTES / 8];
  }

  /**
   * A server socket for {@link #connect}, bound to {@code address} (port 0: any free port). The ring needs
   * channel-backed sockets, so a plain {@code new ServerSocket(...)} will not do.
   */
  static ServerSocket listen(InetSocketAddress address) throws IOException {
    ServerSocketChannel ch = ServerSocketChannel.open();
    try {
      ch.bind(address, 16);
    } catch (IOException | RuntimeException e) {
      closeQuietly(ch);
      throw e;
    }
    return ch.socket();
  }

  /**
   * Builds the ring: connects to the next worker (retrying until {@code connectTimeout}, as it may not listen
   * yet), then accepts the previous one on {@code server} (from {@link #listen}), ignoring connections of another
   * attempt or rank. Closes {@code server} on failure.
   */
  static TcpRing connect(int rank, List<InetSocketAddress> addresses, ServerSocket server, long attempt,
      Duration connectTimeout, Duration readTimeout) throws IOException {
    int n = addresses.size();
    if (rank < 0 || rank >= n) {
      throw new IllegalArgumentException("rank (" + rank + ") must be in [0, " + n + ")");
    }
    if (n == 1) {
      return new TcpRing(rank, 1, attempt, server, null);
    }
    if (server.getChannel() == null) {
      closeQuietly(server);
      throw new IllegalArgumentException("server: " + server + " has no channel; open it with TcpRing.listen");
    }
    long deadline = System.nanoTime() + connectTimeout.toNanos();
    long timeout = Math.max(1, readTimeout.toMillis());
    SocketChannel next = null;
    Socket prev = null;
    try {
      next = connectNext(rank, (rank + 1) % n, addresses.get((rank + 1) % n), deadline);
      next.socket().setTcpNoDelay(true);
      DataOutputStream hello = new DataOutputStream(next.socket().getOutputStream());
      hello.writeInt(MAGIC);
      hello.writeLong(attempt);
      hello.writeInt(rank);
      hello.writeInt(n);
      hello.flush();
      prev = acceptPrev(rank, (rank + n - 1) % n, n, attempt, server, deadline);
      prev.setTcpNoDelay(true);
      return new TcpRing(rank, n, attempt, server, new RingLink(rank, n, attempt, next, prev.getChannel(), timeout));
    } catch (IOException | RuntimeException e) {
      closeQuietly(next);
      closeQuietly(prev);
      closeQuietly(server);
      throw e;
    }
  }

  private static SocketChannel connectNext(int rank, int peer, InetSocketAddress address, long deadline)
      throws IOException {
    IOException last = null;
    while (System.nanoTime() < deadline) {
      SocketChannel s = SocketChannel.open();
      try {
        int left = (int) Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
        s.socket().connect(address, left);
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

  /** The link to the neighbours (null for one worker): for the bench's profile. */
  RingLink link() {
    return link;
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
    allReduce(new RingElements.Floats(buffer, floatScratch));
  }

  @Override
  public void allReduce(double[] buffer) throws IOException {
    allReduce(new RingElements.Doubles(buffer, doubleScratch));
  }

  @Override
  public void barrier() throws IOException {
    allGather(new byte[0]);
  }

  @Override
  public List<byte[]> allGather(byte[] mine) throws IOException {
    if (mine.length > RingLink.MAX_GATHER) {
      throw new IllegalArgumentException("allGather: " + mine.length + " bytes exceed the limit of "
          + RingLink.MAX_GATHER);
    }
    long thisOp = begin();
    byte[][] all = new byte[size][];
    all[rank] = mine.clone();
    try {
      for (int s = 0; s < size - 1; s++) {
        RingElements.Bytes send = new RingElements.Bytes(all[Math.floorMod(rank - s, size)]);
        RingElements got = link.exchange(thisOp, s, send, 0, send.length(), null, 0, -1, false);
        all[Math.floorMod(rank - s - 1, size)] = ((RingElements.Bytes) got).array();
      }
    } catch (IOException | RuntimeException e) {
      throw fail(e);
    }
    return Arrays.asList(all);
  }

  private void allReduce(RingElements x) throws IOException {
    long thisOp = begin();
    if (size == 1) {
      return;
    }
    int len = x.length();
    try {
      if (size == 2 || len == 0) {
        // Two workers: each sends its whole buffer and adds the other's, in one step instead of the ring's two
        // (the same bytes on the wire). The ring would sum chunk 0 as x0 + x1 and chunk 1 as x1 + x0; float
        // addition is commutative, so this gives the same bits. An empty buffer still keeps the workers in step
        // (and checks they agree it is empty).
        for (int s = 0; s < (len == 0 ? size - 1 : 1); s++) {
          link.exchange(thisOp, s, x, 0, len, x, 0, len, true);
        }
        return;
      }
      // reduce-scatter: at step s send chunk (r - s), receive chunk (r - s - 1) and add this worker's part
      for (int s = 0; s < size - 1; s++) {
        step(x, thisOp, s, Math.floorMod(rank - s, size), Math.floorMod(rank - s - 1, size), len, true);
      }
      // all-gather: this worker completed chunk (r + 1); pass complete chunks along
      for (int s = 0; s < size - 1; s++) {
        step(x, thisOp, size - 1 + s, Math.floorMod(rank + 1 - s, size), Math.floorMod(rank - s, size), len, false);
      }
    } catch (IOException | RuntimeException e) {
      throw fail(e);
    }
  }

  private void step(RingElements x, long thisOp, int seq, int sendChunk, int recvChunk, int len, boolean add)
      throws IOException {
    int sFrom = from(sendChunk, len);
    int rFrom = from(recvChunk, len);
    link.exchange(thisOp, seq, x, sFrom, from(sendChunk + 1, len) - sFrom, x, rFrom, from(recvChunk + 1, len) - rFrom,
        add);
  }

  private int from(int chunk, int len) {
    return (int) ((long) chunk * len / size);
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
    closeQuietly(link);
    closeQuietly(server);
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
}
