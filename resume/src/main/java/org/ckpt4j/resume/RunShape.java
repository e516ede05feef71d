package org.ckpt4j.resume;

/**
 * What a resume checks a checkpoint's position against: the data set's size, the batch size, whether epochs are
 * shuffled, and how many epochs this fit asked for (not part of the run's identity: a finished run can be
 * extended).
 */
public record RunShape(int samples, int batchSize, boolean shuffle, int epochs) {
  public RunShape {
    if (samples < 1) {
      throw new IllegalArgumentException("samples (" + samples + ") must be at least 1");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize (" + batchSize + ") must be at least 1");
    }
    if (epochs < 0) {
      throw new IllegalArgumentException("epochs (" + epochs + ") must not be negative");
    }
  }

  public int batchesPerEpoch() {
    return (samples + batchSize - 1) / batchSize;
  }
}
