package org.ckpt4j.trainer;

import java.io.IOException;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import org.ckpt4j.resume.RunFingerprint;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * One call of {@link Sequential#fit}: the training loop. Its inputs are checked by {@link FitInputs}; where it
 * is lives in a {@link LoopPosition}; what a checkpoint captures and a resume restores is {@link Nd4jRun}'s job,
 * through the neutral {@link org.ckpt4j.resume.BackupAndRestore}.
 */
final class FitRun {
  final Sequential model;
  final INDArray x;
  final INDArray y;
  /** Sparse targets as given (class ids), for the run's identity; null for dense targets. */
  final INDArray classIds;
  final int epochs;
  final int batchSize;
  final boolean shuffle;
  final int samples;
  final int batchesPerEpoch;
  final List<Callback> others = new ArrayList<>();
  final List<StatefulCallback> stateful = new ArrayList<>();
  final BackupAndRestore backup;
  /** The data-parallel group this run is a replica of ({@link ReplicatedFit}); null for a single process. */
  Replicas replicas;
  private final ProgressBar progress;
  final History history = new History();
  final LoopPosition position;
  private final Nd4jRun state;

  FitRun(Sequential model, INDArray x, INDArray y, int epochs, int batchSize, boolean shuffle,
      List<? extends Callback> callbacks, PrintStream out) {
    this.model = model;
    this.x = FitInputs.features(model, x);
    this.y = FitInputs.targets(model, y, this.x.rows());
    this.classIds = FitInputs.classIds(model, y, this.x.rows());
    if (epochs < 0) {
      throw new IllegalArgumentException("epochs (" + epochs + ") must not be negative");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize (" + batchSize + ") must be at least 1");
    }
    this.epochs = epochs;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.samples = this.x.rows();
    this.batchesPerEpoch = (samples + batchSize - 1) / batchSize;
    this.position = new LoopPosition(batchesPerEpoch);
    BackupAndRestore found = null;
    Set<String> keys = new HashSet<>();
    for (Callback c : Objects.requireNonNull(callbacks, "callbacks")) {
      Objects.requireNonNull(c, "callbacks must not contain null");
      if (c instanceof BackupAndRestore) {
        if (found != null) {
          throw new IllegalArgumentException("callbacks: at most one BackupAndRestore per fit");
        }
        found = (BackupAndRestore) c;
        continue;
      }
      if (c instanceof StatefulCallback) {
        String key = ((StatefulCallback) c).stateKey();
        if (key == null || !CallbackState.validName(key) || !keys.add(key)) {
          throw new IllegalArgumentException("callbacks: stateKey \"" + key + "\" of " + c.getClass().getName()
              + " must be unique and match [A-Za-z0-9._-]{1,100}");
        }
        stateful.add((StatefulCallback) c);
      }
      others.add(c);
    }
    this.backup = found;
    this.progress = out == null ? null : new ProgressBar(out, epochs, batchesPerEpoch);
    this.state = new Nd4jRun(this);
  }

  /** The run's identity (computed once per fit). */
  RunFingerprint fingerprint() {
    return state.fingerprint();
  }

  /** The run as {@code ckpt4j-resume} sees it. */
  Nd4jRun state() {
    return state;
  }

  History run() throws IOException {
    try {
      Nd4j.getRandom().setSeed(Sequential.nativeSeed(model.seed(), 1));
      if (backup != null) {
        backup.begin(state);
      }
      for (Callback c : others) {
        c.onTrainBegin(model);
      }
      Map<String, Double> logs = Map.of();
      while (position.epoch < epochs) {
        logs = runEpoch();
      }
      for (Callback c : others) {
        c.onTrainEnd(logs);
      }
      if (backup != null) {
        backup.end(state);
      }
      return history;
    } catch (RuntimeException | IOException | Error e) {
      if (progress != null) {
        progress.interrupted();
      }
      throw e;
    } finally {
      if (backup != null) {
        backup.release();
      }
    }
  }

  /** Ends a progress bar drawn in place (a signal's message follows); any thread. */
  void endProgressLine() {
    if (progress != null) {
      progress.interrupted();
    }
  }

  private Map<String, Double> runEpoch() throws IOException {
    LoopPosition p = position;
    if (!p.epochStarted) {
      p.startEpoch(shuffle ? permutation() : null);
      for (Callback c : others) {
        c.onEpochBegin(p.epoch);
      }
    }
    if (progress != null) {
      progress.epochBegin(p.epoch, p.batch);
    }
    while (p.batch < batchesPerEpoch) {
      for (Callback c : others) {
        c.onBatchBegin(p.epoch, p.batch);
      }
      int[] rows = rows(p.batch);
      double[] r = replicas == null ? model.trainStep(x.getRows(rows), y.getRows(rows))
          : ReplicatedStep.step(this, rows);
      if (!Double.isFinite(r[0])) {
        throw new NonFiniteLossException(p.epoch, p.batch, r[0]);
      }
      p.batchDone(r[0], r[1], rows.length);
      Map<String, Double> logs = logs();
      for (Callback c : others) {
        c.onBatchEnd(p.epoch, p.batch - 1, logs);
      }
      if (progress != null) {
        progress.batchEnd(p.batch, logs);
      }
      if (backup != null) {
        int before = backup.savesWritten();
        backup.afterBatch(state);
        if (progress != null && backup.savesWritten() != before) {
          progress.saved();
        }
        backup.checkPreemption(state);
      }
    }
    Map<String, Double> logs = logs();
    history.add(p.epoch, logs);
    for (Callback c : others) {
      c.onEpochEnd(p.epoch, logs);
    }
    p.endEpoch();
    if (backup != null) {
      int before = backup.savesWritten();
      backup.afterEpoch(state);
      if (progress != null && backup.savesWritten() != before) {
        progress.saved();
      }
    }
    if (progress != null) { // after the epoch's save, so that its line can say a backup was written
      progress.epochEnd(logs);
    }
    if (backup != null) {
      backup.checkPreemption(state);
    }
    return logs;
  }

  private int[] permutation() {
    SplittableRandom random = new SplittableRandom(Nd4j.getRandom().nextLong());
    int[] p = new int[samples];
    for (int k = 0; k < samples; k++) {
      p[k] = k;
    }
    for (int k = samples - 1; k > 0; k--) {
      int j = random.nextInt(k + 1);
      int t = p[k];
      p[k] = p[j];
      p[j] = t;
    }
    return p;
  }

  private int[] rows(int b) {
    int from = b * batchSize;
    int to = Math.min(samples, from + batchSize);
    int[] rows = new int[to - from];
    int[] order = position.order;
    for (int k = 0; k < rows.length; k++) {
      rows[k] = order == null ? from + k : order[from + k];
    }
    return rows;
  }

  private Map<String, Double> logs() {
    LoopPosition p = position;
    Map<String, Double> logs = new LinkedHashMap<>();
    logs.put("loss", p.seen == 0 ? 0.0 : p.lossSum / p.seen);
    if (model.loss().isCategorical()) {
      logs.put("accuracy", p.seen == 0 ? 0.0 : p.correctSum / p.seen);
    }
    return logs;
  }
}
