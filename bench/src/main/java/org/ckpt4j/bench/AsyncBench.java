package org.ckpt4j.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
    int saves = steps / every;
    for (int r = 0; r < repeats + 1; r++) {
      StepTimer tNone = fit(x, y, width, batch, null, every);
      StepTimer tSync = fit(x, y, width, batch, backup(dir.resolve("sync-" + r), every, false), every);
      StepTimer tAsync = fit(x, y, width, batch, backup(dir.resolve("async-" + r), every, true), every);
      if (r > 0) {
        none.add(tNone.total * 1000 / steps);
        sync.add(tSync.total * 1000 / steps);
        async.add(tAsync.total * 1000 / steps);
        stallSync.add(tSync.stallMillis());
        stallAsync.add(tAsync.stallMillis());
      }
      System.err.printf("  async repeat %d/%d: %d steps, save every %d: none %.2f s, sync %.2f s (stall %.1f ms/save),"
          + " async %.2f s (stall %.1f ms/save)%s%n", r, repeats, steps, every, tNone.total, tSync.total,
          tSync.stallMillis(), tAsync.total, tAsync.stallMillis(), r == 0 ? " (warm-up, not counted)" : "");
    }
    Sequential model = model(width);
    Stats copy = new Stats();
    for (int r = 0; r < 5; r++) {
      copy.add(copyStateMillis(model));
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
    report.note(String.format("async: %d saves in %d steps; stall per save = median duration of the steps that "
        + "end with a save minus the median of the other steps (it includes any wait for a save in flight)",
        saves, steps));
  }

  /** Durations of each step (batch begin to next batch begin), split into steps that ended with a save and not. */
  private static final class StepTimer implements Callback {
    final int every;
    final List<Double> saveSteps = new ArrayList<>();
    final List<Double> plainSteps = new ArrayList<>();
    long last = -1;
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
      }
      last = now;
      step++;
    }

    double stallMillis() {
      return Math.max(0, median(saveSteps) - median(plainSteps));
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

  private static StepTimer fit(INDArray x, INDArray y, int width, int batch, BackupAndRestore backup, int every)
      throws IOException {
    Sequential model = model(width);
    StepTimer timer = new StepTimer(every);
    List<Callback> callbacks = new ArrayList<>(List.of(timer));
    if (backup != null) {
      callbacks.add(backup);
    }
    long t0 = System.nanoTime();
    model.fit(x, y, 1, batch, false, callbacks, false);
    timer.total = (System.nanoTime() - t0) / 1e9;
    return timer;
  }

  /** One copy of weights and two same-sized Adam moments into fresh direct buffers: the snapshot's floor. */
  private static double copyStateMillis(Sequential model) {
    List<INDArray> weights = model.weights();
    long t0 = System.nanoTime();
    for (int k = 0; k < 3; k++) {
      for (INDArray w : weights) {
        ByteBuffer src = w.data().asNio();
        ByteBuffer dst = ByteBuffer.allocateDirect(src.remaining());
        dst.put(src.duplicate());
      }
    }
    return (System.nanoTime() - t0) / 1e6;
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
