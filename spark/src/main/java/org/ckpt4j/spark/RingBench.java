package org.ckpt4j.spark;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Figures for docs (not a library API):
 * {@code java -cp ... org.ckpt4j.spark.RingBench [reps] [allreduce,steps,save,recovery]}, with
 * {@code OMP_NUM_THREADS=1 OPENBLAS_CORETYPE=Haswell SPARK_LOCAL_IP=127.0.0.1}. Prints
 * <ol>
 *   <li>all-reduce time per call for 100k / 1M / 10M floats on a 2-worker {@link TcpRing} on loopback, against
 *       the floor of a plain TCP exchange of the same buffers (each worker sends its buffer and receives the
 *       other's, a blocking stream per direction); the two are timed alternately, call by call, so that a change
 *       of load on a shared machine hits both; medians of {@code reps}, and the median of the paired ratios; then
 *       where the ring's time goes (calls per step, the cost of encoding and of decoding + adding alone);</li>
 *   <li>step times, 1 vs 2 workers, and the stall per save ({@link StepBench});</li>
 *   <li>from a worker's failure to training again with the embedded Spark, broken down ({@link RecoveryBench}).</li>
 * </ol>
 */
public final class RingBench {
  static final int WARMUP = 30;

  private RingBench() {}

  public static void main(String[] args) throws Exception {
    int reps = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    Set<String> only = args.length > 1 ? Set.of(args[1].split(",")) : Set.of();
    if (only.isEmpty() || only.contains("allreduce")) {
      allReduce(reps);
    }
    if (only.isEmpty() || only.contains("steps")) {
      StepBench.steps();
    }
    if (only.isEmpty() || only.contains("save")) {
      StepBench.saveStall(reps);
    }
    if (only.isEmpty() || only.contains("recovery")) {
      RecoveryBench.recovery(Math.max(1, reps / 10));
    }
  }

  static void allReduce(int reps) throws Exception {
    System.out.println("all-reduce, 2 workers on loopback, timed alternately with the TCP exchange floor (ms):");
    System.out.println("       floats |  reps |   ring | floor | ratio of medians | median paired ratio | "
        + "per call: socket writes, reads (empty), waits");
    for (int n : new int[] {100_000, 1_000_000, 10_000_000}) {
      int r = n >= 10_000_000 ? Math.max(7, reps / 3) : reps;
      double[] ring = new double[r];
      double[] floor = new double[r];
      double[] ratio = new double[r];
      ExecutorService pool = Executors.newFixedThreadPool(6);
      TcpRing[] rings = ringPair(pool);
      try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
          Socket a = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
          Socket b = server.accept()) {
        a.setTcpNoDelay(true);
        b.setTcpNoDelay(true);
        Socket[] ends = {a, b};
        float[][] bufs = {new float[n], new float[n]};
        byte[][] out = {new byte[n * 4], new byte[n * 4]};
        byte[][] in = {new byte[n * 4], new byte[n * 4]};
        long[] before = counts(rings[0].link());
        for (int k = -WARMUP; k < r; k++) { // warm-up calls first (JIT)
          if (k == 0) {
            before = counts(rings[0].link());
          }
          double tr = ringCall(pool, rings, bufs);
          double tf = exchange(pool, ends, out, in);
          if (k >= 0) {
            ring[k] = tr;
            floor[k] = tf;
            ratio[k] = tr / tf;
          }
        }
        long[] after = counts(rings[0].link());
        System.out.printf("  %,11d | %5d | %6.2f | %5.2f | %16.2fx | %18.2fx | %.1f, %.1f (%.1f), %.1f%n", n, r,
            median(ring), median(floor), median(ring) / median(floor), median(ratio),
            (after[1] - before[1]) / (double) r, (after[2] - before[2]) / (double) r,
            (after[3] - before[3]) / (double) r, (after[4] - before[4]) / (double) r);
      } finally {
        rings[0].close();
        rings[1].close();
        pool.shutdownNow();
      }
    }
    profile();
  }

  /** One worker's CPU work alone: encoding n floats for the wire, and decoding + adding them. */
  private static void profile() {
    System.out.println("  one worker's CPU work alone (single thread, median ms): floats | encode to the wire | "
        + "decode + add");
    for (int n : new int[] {100_000, 1_000_000, 10_000_000}) {
      float[] x = new float[n];
      Arrays.fill(x, 1f);
      RingElements.Floats e = new RingElements.Floats(x, new float[RingLink.IN_BYTES / 4]);
      ByteBuffer wire = ByteBuffer.allocateDirect(n * 4);
      double[] enc = new double[15];
      double[] add = new double[15];
      for (int k = -10; k < enc.length; k++) {
        long t0 = System.nanoTime();
        wire.clear();
        for (int at = 0; at < n; at += RingSender.SEGMENT_BYTES / 4) {
          e.encode(at, Math.min(RingSender.SEGMENT_BYTES / 4, n - at), wire);
        }
        long t1 = System.nanoTime();
        wire.flip();
        for (int at = 0; at < n; at += RingLink.IN_BYTES / 4) {
          e.addInto(at, Math.min(RingLink.IN_BYTES / 4, n - at), wire);
        }
        long t2 = System.nanoTime();
        if (k >= 0) {
          enc[k] = (t1 - t0) / 1e6;
          add[k] = (t2 - t1) / 1e6;
        }
      }
      System.out.printf("  %,11d | %6.3f | %6.3f%n", n, median(enc), median(add));
    }
  }

  private static long[] counts(RingLink l) {
    return new long[] {l.steps, l.writes(), l.reads, l.emptyReads, l.waits};
  }

  static TcpRing[] ringPair(ExecutorService pool) throws Exception {
    List<InetSocketAddress> addrs = new ArrayList<>();
    List<ServerSocket> servers = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      ServerSocket s = TcpRing.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      servers.add(s);
      addrs.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort()));
    }
    List<Future<TcpRing>> f = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      int rank = r;
      f.add(pool.submit(() -> TcpRing.connect(rank, addrs, servers.get(rank), 0, Duration.ofSeconds(10),
          Duration.ofSeconds(60))));
    }
    return new TcpRing[] {f.get(0).get(), f.get(1).get()};
  }

  private static double ringCall(ExecutorService pool, TcpRing[] rings, float[][] bufs) throws Exception {
    Arrays.fill(bufs[0], 1f);
    Arrays.fill(bufs[1], 2f);
    long t0 = System.nanoTime();
    List<Future<?>> calls = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      int rank = r;
      calls.add(pool.submit(() -> {
        rings[rank].allReduce(bufs[rank]);
        return null;
      }));
    }
    for (Future<?> c : calls) {
      c.get();
    }
    double ms = (System.nanoTime() - t0) / 1e6;
    int n = bufs[0].length;
    if (bufs[0][n - 1] != 3f || bufs[1][0] != 3f) {
      throw new IllegalStateException("wrong sum");
    }
    return ms;
  }

  /** Each of 2 workers sends its bytes to the other and receives the other's at the same time. */
  private static double exchange(ExecutorService pool, Socket[] ends, byte[][] out, byte[][] in) throws Exception {
    long t0 = System.nanoTime();
    List<Future<?>> io = new ArrayList<>();
    for (int w = 0; w < 2; w++) {
      int me = w;
      io.add(pool.submit(() -> {
        OutputStream o = ends[me].getOutputStream();
        o.write(out[me]);
        o.flush();
        return null;
      }));
      io.add(pool.submit(() -> {
        new DataInputStream(ends[me].getInputStream()).readFully(in[me]);
        return null;
      }));
    }
    for (Future<?> x : io) {
      x.get();
    }
    return (System.nanoTime() - t0) / 1e6;
  }

  static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
