package org.ckpt4j.spark;

import java.io.DataInputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Figures for docs (not a library API): {@code java -cp ... org.ckpt4j.spark.RingBench [reps]}, with
 * {@code OMP_NUM_THREADS=1 OPENBLAS_CORETYPE=Haswell SPARK_LOCAL_IP=127.0.0.1}. Prints
 * <ol>
 *   <li>all-reduce time per call for 100k / 1M / 10M floats on a 2-worker {@link TcpRing} on loopback, against
 *       the floor of a plain TCP exchange of the same buffers (each worker sends its buffer and receives the
 *       other's); medians of {@code reps};</li>
 *   <li>step time of the demo model (the trainer CLI's) with 1 and 2 workers (threads, ring on loopback);</li>
 *   <li>time from a worker's failure to training again with the embedded Spark: the command line in a child JVM
 *       with {@code --fail-worker 1}; from the driver's log line of the failed task to the chief's restore.</li>
 * </ol>
 */
public final class RingBench {
  private static final int WARMUP = 30;

  private RingBench() {}

  public static void main(String[] args) throws Exception {
    int reps = args.length > 0 ? Integer.parseInt(args[0]) : 20;
    System.out.println("all-reduce, 2 workers on loopback, median of " + reps + " (ms): floats | ring | TCP "
        + "exchange floor | ratio");
    for (int n : new int[] {100_000, 1_000_000, 10_000_000}) {
      double ring = ringMedian(n, n >= 10_000_000 ? Math.max(5, reps / 4) : reps);
      double floor = exchangeMedian(n, n >= 10_000_000 ? Math.max(5, reps / 4) : reps);
      System.out.printf("  %,11d | %8.2f | %8.2f | %.2fx%n", n, ring, floor, ring / floor);
    }
    System.out.println("step time, the demo model (20>32>16>3, batch 8 global, 256 samples), threads + ring:");
    double single = singleProcessStepMs();
    double one = stepMs(1);
    double two = stepMs(2);
    System.out.printf("  Sequential.fit: %.3f ms/step   1 worker: %.3f ms/step   2 workers: %.3f ms/step%n", single,
        one, two);
    System.out.println("step time, a 10.0M-parameter MLP (1000>5000 relu>1000 linear, Adam, MSE), global batch 64:");
    double big1 = bigStepMs(1);
    double big2 = bigStepMs(2);
    System.out.printf("  1 worker: %.1f ms/step   2 workers: %.1f ms/step%n", big1, big2);
    System.out.println("recovery with the embedded Spark (child JVM, worker 1 fails before batch 100):");
    recovery();
  }

  private static double ringMedian(int n, int reps) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(2);
    List<ServerSocket> servers = List.of(new ServerSocket(0, 4, InetAddress.getLoopbackAddress()),
        new ServerSocket(0, 4, InetAddress.getLoopbackAddress()));
    List<java.net.InetSocketAddress> addrs = new ArrayList<>();
    for (ServerSocket s : servers) {
      addrs.add(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort()));
    }
    List<Future<TcpRing>> f = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      int rank = r;
      f.add(pool.submit(() -> TcpRing.connect(rank, addrs, servers.get(rank), 0, Duration.ofSeconds(10),
          Duration.ofSeconds(60))));
    }
    TcpRing[] rings = {f.get(0).get(), f.get(1).get()};
    try {
      float[][] bufs = {new float[n], new float[n]};
      double[] times = new double[reps];
      for (int k = -WARMUP; k < reps; k++) { // warm-up calls first (JIT)
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
        if (k >= 0) {
          times[k] = (System.nanoTime() - t0) / 1e6;
        }
      }
      if (bufs[0][n - 1] != 3f || bufs[1][0] != 3f) {
        throw new IllegalStateException("wrong sum");
      }
      return median(times);
    } finally {
      rings[0].close();
      rings[1].close();
      pool.shutdownNow();
    }
  }

  /** Each of 2 workers sends n floats' bytes to the other and receives the other's at the same time. */
  private static double exchangeMedian(int n, int reps) throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try (ServerSocket server = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
        Socket a = new Socket(InetAddress.getLoopbackAddress(), server.getLocalPort());
        Socket b = server.accept()) {
      a.setTcpNoDelay(true);
      b.setTcpNoDelay(true);
      byte[][] out = {new byte[n * 4], new byte[n * 4]};
      byte[][] in = {new byte[n * 4], new byte[n * 4]};
      Socket[] ends = {a, b};
      double[] times = new double[reps];
      for (int k = -WARMUP; k < reps; k++) {
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
        if (k >= 0) {
          times[k] = (System.nanoTime() - t0) / 1e6;
        }
      }
      return median(times);
    } finally {
      pool.shutdownNow();
    }
  }

  private static double stepMs(int workers) throws Exception {
    Path tmp = Files.createTempDirectory("ckpt4j-ringbench");
    try {
      TrainingJob j = new TrainingJob();
      j.epochs = 10;
      j.batchSize = 8;
      j.samples = 256;
      j.saveFreq = "never";
      List<Double> perStep = new ArrayList<>();
      for (int rep = 0; rep < 3; rep++) { // the first is a warm-up
        j.backupDir = tmp.resolve("run-" + workers + "-" + rep).toString();
        long t0 = System.nanoTime();
        runGroup(j, workers);
        double ms = (System.nanoTime() - t0) / 1e6;
        if (rep > 0) {
          perStep.add(ms / (j.epochs * ((j.samples + j.batchSize - 1) / j.batchSize)));
        }
      }
      return perStep.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    } finally {
      try (var s = Files.walk(tmp)) {
        s.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** The same training in one process, without a group or a backup: the trainer's own step time. */
  private static double singleProcessStepMs() throws Exception {
    double best = Double.MAX_VALUE;
    for (int rep = 0; rep < 3; rep++) {
      org.nd4j.linalg.api.ndarray.INDArray[] d = TrainingJob.dataset(256, 42);
      org.ckpt4j.trainer.Sequential m = TrainingJob.model(42);
      long t0 = System.nanoTime();
      m.fit(d[0], d[1], 10, 8, true, List.of(), false);
      double ms = (System.nanoTime() - t0) / 1e6 / (10 * 32);
      if (rep > 0) {
        best = Math.min(best, ms);
      }
    }
    return best;
  }

  /** Median ms per step over 8 steps (after 2) of a ~10M-parameter model on n workers (threads + ring). */
  private static double bigStepMs(int n) throws Exception {
    int rows = 64 * 10;
    java.util.SplittableRandom r = new java.util.SplittableRandom(1);
    float[][] x = new float[rows][1000];
    float[][] y = new float[rows][1000];
    for (int i = 0; i < rows; i++) {
      for (int k = 0; k < 1000; k++) {
        x[i][k] = (float) r.nextGaussian();
        y[i][k] = (float) r.nextGaussian();
      }
    }
    List<ServerSocket> servers = new ArrayList<>();
    List<java.net.InetSocketAddress> addrs = new ArrayList<>();
    for (int k = 0; k < n; k++) {
      ServerSocket s = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
      servers.add(s);
      addrs.add(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort()));
    }
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<double[]>> f = new ArrayList<>();
      for (int k = 0; k < n; k++) {
        int rank = k;
        f.add(pool.submit(() -> {
          org.nd4j.linalg.api.ndarray.INDArray xs = org.nd4j.linalg.factory.Nd4j.create(x);
          org.nd4j.linalg.api.ndarray.INDArray ys = org.nd4j.linalg.factory.Nd4j.create(y);
          org.ckpt4j.trainer.Sequential m = org.ckpt4j.trainer.Sequential.builder(1000)
              .dense(5000, org.ckpt4j.trainer.Activation.RELU).dense(1000, org.ckpt4j.trainer.Activation.LINEAR)
              .optimizer(org.ckpt4j.trainer.Optimizer.adam(1e-4)).loss(org.ckpt4j.trainer.Loss.MEAN_SQUARED_ERROR)
              .seed(3).build();
          long[] times = new long[10];
          org.ckpt4j.trainer.Callback clock = new org.ckpt4j.trainer.Callback() {
            private long t0;

            @Override
            public void onBatchBegin(int epoch, int batch) {
              t0 = System.nanoTime();
            }

            @Override
            public void onBatchEnd(int epoch, int batch, java.util.Map<String, Double> logs) {
              times[batch] = System.nanoTime() - t0;
            }
          };
          try (TcpRing ring = TcpRing.connect(rank, addrs, servers.get(rank), 0, Duration.ofSeconds(10),
              Duration.ofSeconds(120))) {
            org.ckpt4j.trainer.ReplicatedFit.fit(m, xs, ys, 1, 64, false, List.of(clock), null, ring);
          }
          double[] ms = new double[8];
          for (int k2 = 0; k2 < 8; k2++) {
            ms[k2] = times[k2 + 2] / 1e6;
          }
          return ms;
        }));
      }
      return median(f.get(0).get());
    } finally {
      pool.shutdownNow();
    }
  }

  private static void runGroup(TrainingJob j, int n) throws Exception {
    List<ServerSocket> servers = new ArrayList<>();
    List<java.net.InetSocketAddress> addrs = new ArrayList<>();
    for (int r = 0; r < n; r++) {
      ServerSocket s = new ServerSocket(0, 4, InetAddress.getLoopbackAddress());
      servers.add(s);
      addrs.add(new java.net.InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort()));
    }
    ExecutorService pool = Executors.newFixedThreadPool(n);
    try {
      List<Future<?>> f = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        int rank = r;
        f.add(pool.submit(() -> {
          try (TcpRing ring = TcpRing.connect(rank, addrs, servers.get(rank), 0, Duration.ofSeconds(10),
              Duration.ofSeconds(60))) {
            return j.run(ring, 0, null);
          }
        }));
      }
      for (Future<?> x : f) {
        x.get();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  private static final Pattern TIME = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d) ");

  private static void recovery() throws Exception {
    Path tmp = Files.createTempDirectory("ckpt4j-recovery");
    List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx1g"));
    String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
    if (cache != null) {
      cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), MultiWorkerFit.class.getName(), "fit",
        "--workers", "2", "--epochs", "10", "--batch-size", "8", "--save-freq", "10", "--backup-dir",
        tmp.resolve("b").toString(), "--fail-worker", "1", "--fail-at-batch", "100", "--quiet"));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    LocalTime failed = null;
    LocalTime restored = null;
    for (String line : out.split("\n")) {
      Matcher m = TIME.matcher(line);
      if (!m.find()) {
        continue;
      }
      if (failed == null && line.contains("failed: org.ckpt4j.spark.InjectedFailure")) {
        failed = LocalTime.parse(m.group(1));
      } else if (failed != null && restored == null && line.contains("restored checkpoint")) {
        restored = LocalTime.parse(m.group(1));
      }
    }
    if (failed == null || restored == null) {
      System.out.println("  could not find the failure and the restore in the child's log:\n" + out);
    } else {
      System.out.printf("  failure logged %s, chief restored %s: %d ms from the failure to training again%n",
          failed, restored, Duration.between(failed, restored).toMillis());
    }
    for (String line : out.split("\n")) {
      if (line.startsWith("stage_attempts=") || line.startsWith("epochs_run=")) {
        System.out.println("  " + line);
      }
    }
    try (var s = Files.walk(tmp)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
    }
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
