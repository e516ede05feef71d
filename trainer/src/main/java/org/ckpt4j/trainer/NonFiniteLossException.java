package org.ckpt4j.trainer;

/**
 * A batch's loss was NaN or infinite: training stopped before applying that batch's update and before any
 * backup of it, so the last backup is the last good state. Remedy: lower the learning rate or check the data.
 */
public final class NonFiniteLossException extends RuntimeException {
  private final int epoch;
  private final int batch;
  private final double loss;

  NonFiniteLossException(int epoch, int batch, double loss) {
    super("loss is " + loss + " at epoch " + epoch + ", batch " + batch + ": training stopped before applying "
        + "this batch; the last backup (if any) is unchanged. Lower the learning rate or check the data");
    this.epoch = epoch;
    this.batch = batch;
    this.loss = loss;
  }

  public int epoch() {
    return epoch;
  }

  public int batch() {
    return batch;
  }

  public double loss() {
    return loss;
  }
}
