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

  /** The epoch (0-based) of the batch whose loss was not finite. */
  public int epoch() {
    return epoch;
  }

  /** The batch (0-based within its epoch) whose loss was not finite; its update was not applied. */
  public int batch() {
    return batch;
  }

  /** The batch's loss: NaN or an infinity. */
  public double loss() {
    return loss;
  }
}
