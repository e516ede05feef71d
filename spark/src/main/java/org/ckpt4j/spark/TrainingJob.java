package org.ckpt4j.spark;

import java.io.IOException;
import java.io.PrintStream;
import java.io.Serializable;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.ckpt4j.trainer.BackupAndRestore;
import org.ckpt4j.trainer.Callback;
import org.ckpt4j.trainer.ExampleTask;
import org.ckpt4j.trainer.History;
import org.ckpt4j.trainer.ReplicatedFit;
import org.ckpt4j.trainer.Sequential;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What every worker of a multi-worker {@code fit} runs: the trainer CLI's model and generated dataset (the same
 * as {@code ckpt4j-trainer}'s {@code fit}, so one worker reproduces its hash) trained with
 * {@link ReplicatedFit} and {@link BackupAndRestore}. Serializable: Spark ships it to its tasks.
 */
final class TrainingJob implements Serializable {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(TrainingJob.class);
  static final int FEATURES = ExampleTask.FEATURES;
  static final int CLASSES = ExampleTask.CLASSES;

  String backupDir = "ckpt4j-backup";
  int epochs = 10;
  int batchSize = 8;
  String saveFreq = "epoch";
  long seed = 42;
  int samples = 256;
  boolean keepPrevious;
  boolean noDelete;
  boolean asyncSave;
  long leaseTimeoutMs = -1;
  /** Fault injection: worker {@code failWorker} throws before global batch {@code failAtBatch}, first attempt only. */
  int failWorker = -1;
  long failAtBatch = -1;
  /** Whether fault injection fires on every attempt (tests of the attempt limit), not the first only. */
  boolean failEveryAttempt;
  /** Read deadline of the ring: a peer silent for longer fails the attempt. */
  long readTimeoutMs = 120_000;
  long connectTimeoutMs = 60_000;

  /** What one worker reports at the end of its attempt. */
  record Result(int rank, int attempt, int epochsRun, String weightsSha256, long restoredSequence, String restoredAt)
      implements Serializable {}

  /** Runs this job as worker {@code collective.rank()} of attempt {@code attempt}. */
  Result run(Collective collective, int attempt, PrintStream progress) throws IOException {
    BackupAndRestore.Builder bb = BackupAndRestore.builder(backupDir).saveFreq(BackupAndRestore.SaveFreq.parse(saveFreq))
        .keepPrevious(keepPrevious).deleteCheckpoint(!noDelete).asyncSave(asyncSave);
    if (leaseTimeoutMs > 0) {
      bb.leaseTimeout(Duration.ofMillis(leaseTimeoutMs));
    }
    BackupAndRestore backup = bb.build();
    INDArray[] data = dataset(samples, seed);
    Sequential model = model(seed);
    List<Callback> callbacks = new ArrayList<>();
    callbacks.add(backup);
    int rank = collective.rank();
    if (rank == failWorker && (attempt == 0 || failEveryAttempt)) {
      callbacks.add(new InjectedFailure.Trigger(rank, failAtBatch, attempt));
    }
    History h = ReplicatedFit.fit(model, data[0], data[1], epochs, batchSize, true, callbacks, progress, collective);
    long restored = backup.restoredCheckpoint().map(c -> c.sequence()).orElse(-1L);
    String at = backup.restoredCheckpoint().map(c -> "epoch " + c.metadata().get("epoch") + ", batch "
        + c.metadata().get("batch")).orElse("");
    return new Result(rank, attempt, h.epochs().size(), model.weightsSha256(), restored, at);
  }

  /**
   * Refuses a backup dir the workers cannot share ({@code mem:} lives in one JVM) and warns about a
   * {@code file:} dir or a plain path with a master that is not local (every executor must see the same dir).
   */
  static void checkBackupDir(String backupDir, String master) {
    String scheme = null;
    try {
      scheme = URI.create(backupDir).getScheme();
    } catch (IllegalArgumentException e) {
      // a plain path with characters a URI does not allow
    }
    if (scheme != null && scheme.length() > 1 && scheme.toLowerCase(Locale.ROOT).equals("mem")) {
      throw new IllegalArgumentException("--backup-dir " + backupDir + ": a mem: store lives in one JVM and cannot be "
          + "shared by the workers; use s3://, gs:// or a file system every worker mounts");
    }
    boolean local = master == null || master.startsWith("local");
    boolean file = scheme == null || scheme.length() == 1 || scheme.equalsIgnoreCase("file");
    if (file && !local) {
      LOG.warn("--backup-dir {} is a file system path and the master {} is not local: every executor must see the "
          + "same directory (a shared mount), or restores will differ", backupDir, master);
    }
  }

  /** The example task's model ({@link ExampleTask#model}). */
  static Sequential model(long seed) {
    return ExampleTask.model(seed);
  }

  /** The example task's dataset ({@link ExampleTask#dataset}): {x [n, 20], y [n]}. */
  static INDArray[] dataset(int samples, long seed) {
    return ExampleTask.dataset(samples, seed);
  }
}
