package org.ckpt4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class TcpRingTest {
  private static final ExecutorService POOL = Executors.newCachedThreadPool();

  @AfterAll
  static void stop() {
    POOL.shutdownNow();
  }

  static List<Arguments> groupsAndSizes() {
    List<Arguments> a = new ArrayList<>();
    for (int n : new int[] {1, 2, 3}) {
      for (int len : new int[] {0, 1, 2, 1001, 1 << 20}) {
        a.add(Arguments.of(n, len));
      }
    }
    return a;
  }

  /** Values spanning many magnitudes, so that a different summation order would change low bits. */
  private static float[] floats(long seed, int len) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] v = new float[len];
    for (int i = 0; i < len; i++) {
      v[i] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-4, 5)));
    }
    return v;
  }

  @ParameterizedTest(name = "n={0} length={1}")
  @MethodSource("groupsAndSizes")
  void allReduce_floats_everyWorkerGetsTheReferenceSumBitForBit(int n, int len) throws Exception {
    List<TcpRing> rings = Rings.open(n, Duration.ofSeconds(30));
    ReferenceCollective ref = new ReferenceCollective(n);
    try {
      List<Future<float[][]>> f = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        int rank = k;
        f.add(POOL.submit(() -> {
          float[] mine = floats(rank * 31L + len, len);
          float[] expected = ref.allReduce(rank, mine);
          rings.get(rank).allReduce(mine);
          return new float[][] {mine, expected};
        }));
      }
      for (Future<float[][]> r : f) {
        float[][] got = r.get(60, TimeUnit.SECONDS);
        assertThat(got[0]).isEqualTo(got[1]);
      }
    } finally {
      Rings.closeAll(rings);
    }
  }

  @ParameterizedTest(name = "n={0} length={1}")
  @MethodSource("groupsAndSizes")
  void allReduce_doubles_everyWorkerGetsTheReferenceSumBitForBit(int n, int len) throws Exception {
    List<TcpRing> rings = Rings.open(n, Duration.ofSeconds(30));
    ReferenceCollective ref = new ReferenceCollective(n);
    try {
      List<Future<double[][]>> f = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        int rank = k;
        f.add(POOL.submit(() -> {
          SplittableRandom r = new SplittableRandom(rank + 7L * len);
          double[] mine = new double[len];
          for (int i = 0; i < len; i++) {
            mine[i] = r.nextGaussian() * Math.pow(10, r.nextInt(-8, 9));
          }
          double[] expected = ref.allReduce(rank, mine);
          rings.get(rank).allReduce(mine);
          return new double[][] {mine, expected};
        }));
      }
      for (Future<double[][]> r : f) {
        double[][] got = r.get(60, TimeUnit.SECONDS);
        assertThat(got[0]).isEqualTo(got[1]);
      }
    } finally {
      Rings.closeAll(rings);
    }
  }

  @Test
  void allReduce_summationOrderIsFixed_notThatOfASimpleLeftFold() throws Exception {
    // the values are chosen so that (a + b) + c != (c + a) + b in float: the ring must follow the fixed order
    float a = 1e8f;
    float b = -1e8f;
    float c = 1.5f;
    float[][] inputs = {{a, a, a}, {b, b, b}, {c, c, c}};
    List<TcpRing> rings = Rings.open(3, Duration.ofSeconds(30));
    ReferenceCollective ref = new ReferenceCollective(3);
    try {
      List<Future<float[][]>> f = new ArrayList<>();
      for (int k = 0; k < 3; k++) {
        int rank = k;
        f.add(POOL.submit(() -> {
          float[] mine = inputs[rank].clone();
          float[] expected = ref.allReduce(rank, mine);
          rings.get(rank).allReduce(mine);
          return new float[][] {mine, expected};
        }));
      }
      for (Future<float[][]> r : f) {
        float[][] got = r.get(30, TimeUnit.SECONDS);
        assertThat(got[0]).isEqualTo(got[1]);
        // chunk 0 is summed from worker 0: (a + b) + c = 1.5; chunk 2 from worker 2: (c + a) + b = 0
        assertThat(got[0]).containsExactly(1.5f, (b + c) + a, (c + a) + b);
      }
    } finally {
      Rings.closeAll(rings);
    }
  }

  @Test
  void allGather_and_barrier_returnEveryWorkersBytesByRank() throws Exception {
    int n = 3;
    List<TcpRing> rings = Rings.open(n, Duration.ofSeconds(30));
    try {
      List<Future<List<byte[]>>> f = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        int rank = k;
        f.add(POOL.submit(() -> {
          rings.get(rank).barrier();
          byte[] mine = ("worker-" + rank + "-" + "x".repeat(rank * 1000)).getBytes(StandardCharsets.UTF_8);
          List<byte[]> all = rings.get(rank).allGather(mine);
          rings.get(rank).barrier();
          return all;
        }));
      }
      for (Future<List<byte[]>> r : f) {
        List<byte[]> all = r.get(30, TimeUnit.SECONDS);
        assertThat(all).hasSize(n);
        for (int k = 0; k < n; k++) {
          assertThat(new String(all.get(k), StandardCharsets.UTF_8)).isEqualTo("worker-" + k + "-" + "x".repeat(k * 1000));
        }
      }
    } finally {
      Rings.closeAll(rings);
    }
  }

  /** Below and above the size from which a separate thread sends (RingLink.THREADED_BYTES). */
  static List<Integer> smallAndLarge() {
    return List.of(1000, 4 << 20);
  }

  @ParameterizedTest(name = "length={0}")
  @MethodSource("smallAndLarge")
  void silentPeer_failsTheCallAtTheReadDeadline_andBreaksTheGroup(int len) throws Exception {
    List<TcpRing> rings = Rings.open(2, Duration.ofMillis(300));
    try {
      long t0 = System.nanoTime();
      assertThatThrownBy(() -> rings.get(0).allReduce(new float[len]))
          .isInstanceOfSatisfying(CollectiveException.class, e -> {
            assertThat(e.rank()).isEqualTo(0);
            assertThat(e.peer()).isEqualTo(1);
            assertThat(e.getCause()).isInstanceOf(java.net.SocketTimeoutException.class);
          });
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(10));
      // never retried: the group stays broken
      assertThatThrownBy(() -> rings.get(0).barrier()).isInstanceOf(CollectiveException.class);
    } finally {
      Rings.closeAll(rings);
    }
  }

  @ParameterizedTest(name = "length={0}")
  @MethodSource("smallAndLarge")
  void close_fromAnotherThread_unblocksACallInProgress(int len) throws Exception {
    List<TcpRing> rings = Rings.open(2, Duration.ofSeconds(120));
    try {
      Future<?> blocked = POOL.submit(() -> {
        rings.get(0).allReduce(new float[len]);
        return null;
      });
      Thread.sleep(300);
      assertThat(blocked.isDone()).isFalse();
      long t0 = System.nanoTime();
      rings.get(0).close();
      assertThatThrownBy(() -> blocked.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(CollectiveException.class);
      assertThat(Duration.ofNanos(System.nanoTime() - t0)).isLessThan(Duration.ofSeconds(5));
      assertThatThrownBy(() -> rings.get(0).allReduce(new float[1])).isInstanceOf(CollectiveException.class);
    } finally {
      Rings.closeAll(rings);
    }
  }

  @Test
  void peerThatCloses_failsTheOtherWorkersCallPromptly() throws Exception {
    List<TcpRing> rings = Rings.open(3, Duration.ofSeconds(120));
    try {
      Future<?> w0 = POOL.submit(() -> {
        rings.get(0).allReduce(new float[10]);
        return null;
      });
      Thread.sleep(200);
      rings.get(2).close(); // worker 0 receives from worker 2
      assertThatThrownBy(() -> w0.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(CollectiveException.class);
    } finally {
      Rings.closeAll(rings);
    }
  }

  @Test
  void aFrameReadWithThePreviousOne_isUsed_afterThePeerClosed() throws Exception {
    // A peer that has finished may close right after its last frame, which this worker may already hold (read
    // together with the frame before it): the end of the stream must not fail that last step.
    InetAddress lo = InetAddress.getLoopbackAddress();
    ServerSocket server0 = TcpRing.listen(new InetSocketAddress(lo, 0));
    try (ServerSocket fakeServer = new ServerSocket(0, 4, lo)) {
      List<InetSocketAddress> addresses = List.of(new InetSocketAddress(lo, server0.getLocalPort()),
          new InetSocketAddress(lo, fakeServer.getLocalPort()));
      Future<TcpRing> w0 = POOL.submit(() -> TcpRing.connect(0, addresses, server0, 7, Duration.ofSeconds(10),
          Duration.ofSeconds(10)));
      try (Socket toFake = fakeServer.accept(); Socket fromFake = new Socket(lo, server0.getLocalPort())) {
        DataInputStream in = new DataInputStream(toFake.getInputStream());
        in.readFully(new byte[20]); // worker 0's hello
        DataOutputStream out = new DataOutputStream(fromFake.getOutputStream());
        out.writeInt(TcpRing.MAGIC);
        out.writeLong(7);
        out.writeInt(1);
        out.writeInt(2);
        for (long op = 0; op < 2; op++) { // the frames of two barriers at once, then the end of the stream
          out.writeLong(7);
          out.writeLong(op);
          out.writeInt(0);
          out.writeInt(0);
        }
        out.flush();
        fromFake.shutdownOutput();
        try (TcpRing ring = w0.get(10, TimeUnit.SECONDS)) {
          ring.barrier();
          ring.barrier();
        }
        in.readFully(new byte[48]); // worker 0's two frames
      }
    }
  }

  @Test
  void buffersOfDifferentLengths_failBothWorkers_insteadOfMixingData() throws Exception {
    List<TcpRing> rings = Rings.open(2, Duration.ofSeconds(5));
    try {
      Future<?> w0 = POOL.submit(() -> {
        rings.get(0).allReduce(new float[10]);
        return null;
      });
      Future<?> w1 = POOL.submit(() -> {
        rings.get(1).allReduce(new float[20]);
        return null;
      });
      assertThatThrownBy(() -> w0.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(CollectiveException.class);
      assertThatThrownBy(() -> w1.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(CollectiveException.class);
    } finally {
      Rings.closeAll(rings);
    }
  }

  @Test
  void differentOperations_failWithAnUnexpectedFrame() throws Exception {
    List<TcpRing> rings = Rings.open(2, Duration.ofSeconds(5));
    try {
      Future<?> w0 = POOL.submit(() -> {
        rings.get(0).barrier();
        rings.get(0).allReduce(new float[4]);
        return null;
      });
      Future<?> w1 = POOL.submit(() -> {
        rings.get(1).allReduce(new float[4]); // skipped the barrier: op numbers differ
        return null;
      });
      assertThatThrownBy(() -> w0.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(CollectiveException.class);
      assertThatThrownBy(() -> w1.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(CollectiveException.class);
    } finally {
      Rings.closeAll(rings);
    }
  }

  @Test
  void workersOfDifferentAttempts_neverFormARing() {
    assertThatThrownBy(() -> Rings.open(new long[] {1, 2}, Duration.ofSeconds(5), Duration.ofMillis(800)))
        .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(CollectiveException.class);
  }
}
