package org.ckpt4j.trainer;

import org.ckpt4j.resume.TrainingPosition;

/**
 * The training loop's live position: epoch, batch, step, the epoch's shuffle order and running sums. The loop
 * advances it; a checkpoint takes a copy ({@link #copy}) and a resume sets it back ({@link #restore}).
 */
final class LoopPosition {
  private final int batchesPerEpoch;
  int epoch;
  int batch;
  boolean epochStarted;
  long globalStep;
  /** The epoch's shuffle order, or null (between epochs, or no shuffle). */
  int[] order;
  double lossSum;
  double correctSum;
  long seen;

  LoopPosition(int batchesPerEpoch) {
    this.batchesPerEpoch = batchesPerEpoch;
  }

  /** An epoch begins: its order (or null) and zero sums. */
  void startEpoch(int[] epochOrder) {
    order = epochOrder;
    lossSum = 0;
    correctSum = 0;
    seen = 0;
    epochStarted = true;
  }

  /** A batch of {@code samples} samples was trained. */
  void batchDone(double loss, double correct, int samples) {
    lossSum += loss * samples;
    correctSum += correct;
    seen += samples;
    batch++;
    globalStep++;
  }

  /** The epoch is over; its sums stay until the next one begins. */
  void endEpoch() {
    epoch++;
    batch = 0;
    epochStarted = false;
    order = null;
  }

  TrainingPosition copy() {
    return new TrainingPosition(epoch, batch, epochStarted, globalStep, batchesPerEpoch, seen, lossSum, correctSum);
  }

  void restore(TrainingPosition p, int[] epochOrder) {
    epoch = p.epoch();
    batch = p.batch();
    epochStarted = p.epochStarted();
    globalStep = p.globalStep();
    lossSum = p.lossSum();
    correctSum = p.correctSum();
    seen = p.seen();
    order = epochOrder;
  }
}
