package org.ckpt4j.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ckpt4j.trainer.Activation;
import org.ckpt4j.trainer.BackupAndRestore;
import org.ckpt4j.trainer.Callback;
import org.ckpt4j.trainer.Loss;
import org.ckpt4j.trainer.Optimizer;
import org.ckpt4j.trainer.Sequential;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Training step time with a backup every N steps: none, synchronous, asynchronous. The stall an async save
 * costs training is compared with the time to copy the training state once in memory (the floor: the snapshot
 * the background save writes from).
 */
final class AsyncBench {
  private AsyncBench() {}

  static void run(Path dir, int repeats, int width, int every, int steps, Report report, java.io.PrintStream out)
      throws IOException {
    int batch = 64;
    INDArray x = Nd4j.rand(DataType.FLOAT, (long) batch * steps, width);
    INDArray y = Nd4j.rand(DataType.FLOAT, (long) batch * steps, width);
    Stats none = new Stats();
    Stats sync = new Stats();
    Stats async = new Stats();
    Stats stallSync = new Stats();
    Stats stallAsync = new Stats();
    Stats stepDiffAsync = new Stats();
    int saves = steps / every;
    Sequential model = model(width);
    StateCopy peer = new StateCopy(model);
    Stats copy = new Stats();
    for (int r = 0; r < repeats + 1; r++) {
      StepTimer tNone = fit(x, y, width, batch, null, every, null);
      StepTimer tSync = fit(x, y, width, batch, backup(dir.resolve("sync-" + r), every, false), every, null);
      StepTimer tAsync = fit(x, y, width, batch, backup(dir.resolve("async-" + r), every, true), every, peer);
      if (r > 0) {
        none.add(tNone.total * 1000 / steps);
        sync.add(tSync.total * 1000 / steps);
        async.add(tAsync.total * 1000 / steps);
        stallSync.add(tSync.stallMillis());
        stallAsync.add(tAsync.stallMillis());
        stepDiffAsync.add(tAsync.stepDifferenceMillis());
        copy.add(tAsync.copyMillis());
      }
      System.err.printf("  async repeat %d/%d: %d steps, save every %d: none %.2f s, sync %.2f s (stall %.1f ms/save),"
          + " async %.2f s (stall %.2f ms/save, each: %s; state copy %.2f ms, each: %s; step-time difference "
          + "%.1f ms)%s%n", r, repeats, steps, every, tNone.total, tSync.total, tSync.stallMillis(), tAsync.total,
          tAsync.stallMillis(), tAsync.eachStall(), tAsync.copyMillis(), list(tAsync.copies),
          tAsync.stepDifferenceMillis(), r == 0 ? " (warm-up, not counted)" : "");
    }
    long params = 0;
    for (INDArray w : model.weights()) {
      params += w.length();
    }
    String label = String.format("%dx%d MLP+Adam, %.0f MiB", 3, width, params * 3 * 4 / (double) (1 << 20));
    report.compare("step time, save every " + every + " (async)", "ms", async, "no checkpoints", none, false,
        Double.NaN);
    report.compare("step time, save every " + every + " (sync)", "ms", sync, "no checkpoints", none, false,
        Double.NaN);
    report.compare("async stall/save, " + label, "ms", stallAsync, "one in-memory copy of the state", copy,
        false, 1 / 1.5);
    report.compare("sync stall/save, " + label, "ms", stallSync, "one in-memory copy of the state", copy,
        false, Double.NaN);
    report.note(String.format("async: %d saves in %d steps; stall per save = median time training is blocked in "
        + "a save: from the step's last callback hook (the save runs after it) to the next step's first hook, minus "
        + "the same interval without a save; it includes any wait for a save in flight. One in-memory copy of the "
        + "state = median time to copy weights and Adam moments of the same sizes (separate arrays) into existing "
        + "memory, timed in the async fit right before each save (same moments, same machine load). The "
        + "difference of median step times with and without a save (%s ms for async) measures the same stall "
        + "plus the step's own jitter, too coarse for a few ms", saves, steps, stepDiffAsync.summary("%.1f")));
  }

  /**
   * Durations of each step (batch begin to next batch begin), and of the gap from a step's end (its
   * {@code onBatchEnd}; a backup's save runs after every other callback's hook) to the next step's begin, which
   * holds the save, each split into steps that ended with a save and not.
   */
  private static final class StepTimer implements Callback {
    final int every;
    final List<Double> saveSteps = new ArrayList<>();
    final List<Double> plainSteps = new ArrayList<>();
    final List<Double> saveGaps = new ArrayList<>();
    final List<Double> plainGaps = new ArrayList<>();
    /** One copy of the state timed right before each save, if {@link #peer} is set. */
    final List<Double> copies = new ArrayList<>();
    StateCopy peer;
    long last = -1;
    long ended = -1;
    int step;
    double total;

    StepTimer(int every) {
      this.every = every;
    }

    @Override
    public void onBatchBegin(int epoch, int batch) {
      long now = System.nanoTime();
      if (last >= 0) {
        (step % every == 0 ? saveSteps : plainSteps).add((now - last) / 1e6);
        (step % every == 0 ? saveGaps : plainGaps).add((now - ended) / 1e6);
      }
      last = now;
      step++;
    }

    @Override
    public void onBatchEnd(int epoch, int batch, Map<String, Double> logs) {
      if (peer != null && step % every == 0) { // this step's save comes next
        copies.add(peer.millis());
      }
      ended = System.nanoTime();
    }

    double copyMillis() {
      return median(copies);
    }

    /** The median time training was blocked in a save, beyond the gap between steps without one. */
    double stallMillis() {
      return Math.max(0, median(saveGaps) - median(plainGaps));
    }

    double stepDifferenceMillis() {
      return median(saveSteps) - median(plainSteps);
    }

    String eachStall() {
      double base = median(plainGaps);
      List<Double> stalls = new ArrayList<>();
      saveGaps.forEach(g -> stalls.add(g - base));
      return list(stalls);
    }

    private static double median(List<Double> v) {
      Stats s = new Stats();
      v.forEach(s::add);
      return s.count() == 0 ? 0 : s.median();
    }
  }

  private static Sequential model(int width) {
    return Sequential.builder(width).dense(width, Activation.RELU).dense(width, Activation.RELU)
        .dense(width, Activation.LINEAR).optimizer(Optimizer.adam(1e-4)).loss(Loss.MEAN_SQUARED_ERROR).seed(7)
        .build();
  }

  private static BackupAndRestore backup(Path dir, int every, boolean async) {
    return BackupAndRestore.builder(dir.toString()).saveFreq(BackupAndRestore.SaveFreq.everyBatches(every))
        .asyncSave(async).build();
  }

  private static StepTimer fit(INDArray x, INDArray y, int width, int batch, BackupAndRestore backup, int every,
      StateCopy peer) throws IOException {
    Sequential model = model(width);
    StepTimer timer = new StepTimer(every);
    timer.peer = peer;
    List<Callback> callbacks = new ArrayList<>(List.of(timer));
    if (backup != null) {
      callbacks.add(backup);
    }
    long t0 = System.nanoTime();
    model.fit(x, y, 1, batch, false, callbacks, false);
    timer.total = (System.nanoTime() - t0) / 1e9;
    return timer;
  }

  /**
   * The snapshot's floor: the time to copy the state once in memory, i.e. the weights and two same-sized Adam
   * moments (three distinct ND4J arrays per parameter, as in training) into memory that already exists and is
   * mapped (allocated and touched before timing). A copy into freshly allocated direct buffers would also time
   * the JDK's zero-fill and the page faults, a second pass: not the floor.
   */
  private static final class StateCopy {
    private final List<INDArray> arrays = new ArrayList<>(); // their native memory backs the sources
    private final List<ByteBuffer> sources = new ArrayList<>();
    private final List<ByteBuffer> targets = new ArrayList<>();

    StateCopy(Sequential model) {
      for (int k = 0; k < 3; k++) {
        arrays.addAll(model.weights()); // weights() returns copies: three distinct sets of arrays
      }
      for (INDArray a : arrays) {
        sources.add(a.data().asNio());
        targets.add(ByteBuffer.allocateDirect(sources.get(sources.size() - 1).remaining())); // zero-filled: mapped
      }
      millis(); // warm-up
    }

    double millis() {
      long t0 = System.nanoTime();
      for (int k = 0; k < sources.size(); k++) {
        targets.get(k).clear().put(sources.get(k).duplicate());
      }
      return (System.nanoTime() - t0) / 1e6;
    }
  }

  private static String list(List<Double> values) {
    StringBuilder sb = new StringBuilder();
    values.forEach(v -> sb.append(sb.length() == 0 ? "" : " ").append(String.format("%.2f", v)));
    return sb.toString();
  }

  static void cleanup(Path dir) throws IOException {
    if (Files.exists(dir)) {
      try (var walk = Files.walk(dir)) {
        for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
  }
}
