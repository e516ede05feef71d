package org.ckpt4j.spark;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Supplier;
import org.ckpt4j.trainer.Activation;
import org.ckpt4j.trainer.BackupAndRestore;
import org.ckpt4j.trainer.Callback;
import org.ckpt4j.trainer.Loss;
import org.ckpt4j.trainer.Optimizer;
import org.ckpt4j.trainer.Replicas;
import org.ckpt4j.trainer.ReplicatedFit;
import org.ckpt4j.trainer.Sequential;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * {@link RingBench}'s step times (single process, 1 and 2 workers as threads joined by a {@link TcpRing} on
 * loopback) and stall per save: the chief of 2 workers against a single-process {@code fit}, sync and async,
 * on the demo model and on a 10.0M-parameter MLP, saving to a local temporary dir.
 */
final class StepBench {
  private StepBench() {}

  /** A model, its data, and how it is trained. */
  private record Task(String name, Supplier<Sequential> model, INDArray x, INDArray y, int epochs, int batch,
      int saveEvery) {
    int steps() {
      return epochs * (((int) x.rows() + batch - 1) / batch);
    }
  }

  private static Task demo() {
    INDArray[] d = TrainingJob.dataset(256, 42);
    return new Task("demo model (20>32>16>3, global batch 8)", () -> TrainingJob.model(42), d[0], d[1], 10, 8, 10);
  }

  /** 1000 > 5000 relu > 1000 linear: 10.0M parameters (40 MB of weights, 120 MB saved with Adam's moments). */
  private static Task big(int epochs) {
    SplittableRandom r = new SplittableRandom(1);
    float[][] x = new float[640][1000];
    float[][] y = new float[640][1000];
    for (int i = 0; i < x.length; i++) {
      for (int k = 0; k < 1000; k++) {
        x[i][k] = (float) r.nextGaussian();
        y[i][k] = (float) r.nextGaussian();
      }
    }
    return new Task("10.0M-parameter MLP (1000>5000 relu>1000, Adam, MSE, global batch 64)",
        () -> Sequential.builder(1000).dense(5000, Activation.RELU).dense(1000, Activation.LINEAR)
            .optimizer(Optimizer.adam(1e-4)).loss(Loss.MEAN_SQUARED_ERROR).seed(3).build(),
        Nd4j.create(x), Nd4j.create(y), epochs, 64, 5);
  }

  static void steps() throws Exception {
    for (Task t : new Task[] {demo(), big(1)}) {
      System.out.println("step time, " + t.name() + ", median ms/step (after 2 steps; the demo model's second "
          + "round):");
      int rounds = t.steps() > 100 ? 2 : 1; // the small model's first round warms the JIT up
      double single = 0;
      double one = 0;
      double two = 0;
      double reduce = 0;
      for (int k = 0; k < rounds; k++) {
        single = median(run(t, 0, null).steps(2));
        one = median(run(t, 1, null).steps(2));
        Clock c = run(t, 2, null);
        two = median(c.steps(2));
        reduce = median(c.reduceMs(2));
      }
      System.out.printf("  Sequential.fit: %.2f   1 worker: %.2f   2 workers: %.2f (%.2fx of 1 worker; of which the "
          + "gradient's all-reduce %.2f)%n", single, one, two, two / one, reduce);
    }
  }

  static void saveStall(int reps) throws Exception {
    for (Task t : new Task[] {demo(), big(2)}) {
      System.out.println("stall per save, " + t.name() + ", a save every " + t.saveEvery() + " steps, ms:");
      System.out.println("  mode  | who               | saves | stall on the training thread (median) | step without a "
          + "save (median) | excess time per save (mean)");
      for (boolean async : new boolean[] {false, true}) {
        for (int workers : new int[] {0, 2}) {
          Path dir = Files.createTempDirectory("ckpt4j-stall");
          try {
            Clock c = run(t, workers, BackupAndRestore.builder(dir.resolve("b").toString())
                .saveFreq(BackupAndRestore.SaveFreq.parse(Integer.toString(t.saveEvery()))).asyncSave(async)
                .deleteCheckpoint(false));
            System.out.printf("  %-5s | %-17s | %5d | %37.2f | %27.2f | %.2f%n", async ? "async" : "sync",
                workers == 0 ? "single process" : "chief of 2", c.saves(t.saveEvery()).length,
                median(c.saves(t.saveEvery())), median(c.plainSteps(t.saveEvery())), c.excessPerSave(t.saveEvery()));
          } finally {
            try (var s = Files.walk(dir)) {
              s.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
          }
        }
      }
    }
  }

  /**
   * Trains {@code t} in one process ({@code workers} 0: {@code Sequential.fit}) or as a group of threads joined
   * by a ring, with a backup built from {@code backup} if given; returns the clock of the (chief's) steps.
   */
  private static Clock run(Task t, int workers, BackupAndRestore.Builder backup) throws Exception {
    if (workers == 0) {
      Clock c = new Clock(t.steps());
      t.model().get().fit(t.x(), t.y(), t.epochs(), t.batch(), true, c.around(backup), (java.io.PrintStream) null);
      return c;
    }
    List<ServerSocket> servers = new ArrayList<>();
    List<InetSocketAddress> addrs = new ArrayList<>();
    for (int k = 0; k < workers; k++) {
      ServerSocket s = TcpRing.listen(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0));
      servers.add(s);
      addrs.add(new InetSocketAddress(InetAddress.getLoopbackAddress(), s.getLocalPort()));
    }
    ExecutorService pool = Executors.newFixedThreadPool(workers);
    try {
      List<Future<Clock>> f = new ArrayList<>();
      for (int k = 0; k < workers; k++) {
        int rank = k;
        f.add(pool.submit(() -> {
          Clock c = new Clock(t.steps());
          try (TcpRing ring = TcpRing.connect(rank, addrs, servers.get(rank), 0, Duration.ofSeconds(30),
              Duration.ofSeconds(300))) {
            ReplicatedFit.fit(t.model().get(), t.x(), t.y(), t.epochs(), t.batch(), true, c.around(backup), null,
                c.timing(ring));
          }
          return c;
        }));
      }
      for (Future<Clock> c : f) {
        c.get();
      }
      return f.get(0).get();
    } finally {
      pool.shutdownNow();
    }
  }

  /**
   * Times every step (from one batch's begin to the next's) and the gap after the last callback's
   * {@code onBatchEnd}, where the fit runs the backup's save: the save's stall on the training thread.
   */
  private static final class Clock implements Callback {
    private final long[] begin;
    private final long[] end;
    private final long[] reduce;
    private int step;

    Clock(int steps) {
      begin = new long[steps + 1];
      end = new long[steps];
      reduce = new long[steps];
    }

    /** {@code r}, timing its float all-reduces (the gradient's) by step. */
    Replicas timing(Replicas r) {
      return new Replicas() {
        @Override
        public int rank() {
          return r.rank();
        }

        @Override
        public int size() {
          return r.size();
        }

        @Override
        public void allReduce(float[] buffer) throws IOException {
          long t0 = System.nanoTime();
          r.allReduce(buffer);
          reduce[step] += System.nanoTime() - t0;
        }

        @Override
        public void allReduce(double[] buffer) throws IOException {
          r.allReduce(buffer);
        }

        @Override
        public void barrier() throws IOException {
          r.barrier();
        }

        @Override
        public List<byte[]> allGather(byte[] mine) throws IOException {
          return r.allGather(mine);
        }
      };
    }

    /** The gradient's all-reduce time of each step from {@code from} on, ms. */
    double[] reduceMs(int from) {
      double[] ms = new double[step - from];
      for (int k = from; k < step; k++) {
        ms[k - from] = reduce[k] / 1e6;
      }
      return ms;
    }

    /** The callbacks of a fit: the backup (if any), then this clock. */
    List<Callback> around(BackupAndRestore.Builder backup) {
      return backup == null ? List.of(this) : List.of(backup.build(), this);
    }

    @Override
    public void onBatchBegin(int epoch, int batch) {
      begin[step] = System.nanoTime();
    }

    @Override
    public void onBatchEnd(int epoch, int batch, Map<String, Double> logs) {
      end[step++] = System.nanoTime();
    }

    @Override
    public void onTrainEnd(Map<String, Double> logs) {
      begin[step] = System.nanoTime();
    }

    /** Step times in ms from step {@code from} on. */
    double[] steps(int from) {
      double[] ms = new double[step - from];
      for (int k = from; k < step; k++) {
        ms[k - from] = (begin[k + 1] - begin[k]) / 1e6;
      }
      return ms;
    }

    /** The gap after each save (every {@code every}-th step), ms. */
    double[] saves(int every) {
      double[] ms = new double[step / every];
      for (int k = 0; k < ms.length; k++) {
        int s = (k + 1) * every - 1;
        ms[k] = (begin[s + 1] - end[s]) / 1e6;
      }
      return ms;
    }

    /** Step times of the steps that did not save (after the first), ms. */
    double[] plainSteps(int every) {
      List<Double> v = new ArrayList<>();
      for (int k = 1; k < step; k++) {
        if ((k + 1) % every != 0) {
          v.add((begin[k + 1] - begin[k]) / 1e6);
        }
      }
      return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** (all steps' time - steps x the median step without a save) / saves: a save's whole cost, async included. */
    double excessPerSave(int every) {
      double[] all = steps(1);
      double sum = 0;
      for (double v : all) {
        sum += v;
      }
      return (sum - all.length * median(plainSteps(every))) / Math.max(1, step / every);
    }
  }

  private static double median(double[] v) {
    return v.length == 0 ? Double.NaN : RingBench.median(v);
  }
}
