package org.ckpt4j.trainer;

import java.util.Map;

/**
 * Hooks into {@link Sequential#fit} (Keras's callbacks). Epochs and batches are 0-based; {@code logs} hold the
 * running mean {@code loss} of the epoch so far (and {@code accuracy} for categorical losses).
 *
 * <p>An exception thrown by a hook stops {@code fit} and propagates from it; a {@link BackupAndRestore} of the
 * same fit keeps its last backup, so the next {@code fit} resumes from there.
 *
 * <p>On a resume from a mid-epoch backup, {@link #onEpochBegin} is not called again for the epoch in progress
 * (it ran before the backup and its effects are in the restored state); {@code fit} continues with the next
 * batch. Callbacks whose state must survive a resume implement {@link StatefulCallback}.
 */
public interface Callback {
  /** Before training starts, after {@link BackupAndRestore} restored a backup (if any). */
  default void onTrainBegin(Sequential model) {}

  /** Before the first batch of {@code epoch} (0-based); not called again for an epoch resumed mid-way. */
  default void onEpochBegin(int epoch) {}

  /** Before batch {@code batch} (0-based within the epoch) of {@code epoch} computes its gradient. */
  default void onBatchBegin(int epoch, int batch) {}

  /**
   * After batch {@code batch} of {@code epoch} (both 0-based) updated the weights, and after a
   * {@link BackupAndRestore} listed before this callback saved it (if due).
   *
   * @param logs the epoch's running mean {@code loss} (and {@code accuracy}) up to and including this batch
   */
  default void onBatchEnd(int epoch, int batch, Map<String, Double> logs) {}

  /**
   * After the last batch of {@code epoch} (0-based).
   *
   * @param logs the epoch's mean {@code loss} (and {@code accuracy}) over all its samples
   */
  default void onEpochEnd(int epoch, Map<String, Double> logs) {}

  /** After the last epoch, when {@code fit} completes normally. */
  default void onTrainEnd(Map<String, Double> logs) {}
}
