package org.ckpt4j.resume;

/**
 * Where a Keras-style training loop is: what a checkpoint captures besides tensors, RNG and optimizer settings.
 * Immutable: a trainer takes a copy of its live position with {@link ResumableRun#position()} and sets its
 * position back from one on restore.
 *
 * @param epoch epochs completed: the 0-based epoch the run is in or starts next
 * @param batch batches done in the current epoch (0 between epochs)
 * @param epochStarted whether the epoch {@code epoch} has begun (its shuffle order drawn)
 * @param globalStep optimizer steps of the run so far ({@code epoch * batchesPerEpoch + batch})
 * @param batchesPerEpoch batches of one epoch
 * @param seen samples trained in the current epoch (or in the finished one, between epochs)
 * @param lossSum sum over those samples of the loss, for the epoch's running mean
 * @param correctSum correctly classified samples among them (0 if not a classification)
 */
public record TrainingPosition(int epoch, int batch, boolean epochStarted, long globalStep, int batchesPerEpoch,
    long seen, double lossSum, double correctSum) {

  /** The position of a run that has not trained yet. */
  public static TrainingPosition start(int batchesPerEpoch) {
    return new TrainingPosition(0, 0, false, 0, batchesPerEpoch, 0, 0, 0);
  }
}
