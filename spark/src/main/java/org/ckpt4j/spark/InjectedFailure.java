package org.ckpt4j.spark;

import org.ckpt4j.trainer.Callback;
import org.ckpt4j.trainer.Sequential;
import org.slf4j.LoggerFactory;

/** The failure {@code --fail-worker R --fail-at-batch K} throws in worker R before global batch K. */
final class InjectedFailure extends RuntimeException {
  private static final long serialVersionUID = 1L;
  final int rank;
  final long batch;

  InjectedFailure(int rank, long batch, int attempt) {
    super("injected failure in worker " + rank + " before global batch " + batch + " (attempt " + attempt
        + ", --fail-worker/--fail-at-batch)");
    this.rank = rank;
    this.batch = batch;
  }

  /** Throws before the optimizer step numbered {@code batch} (0-based, counted over all epochs). */
  static final class Trigger implements Callback {
    private final int rank;
    private final long batch;
    private final int attempt;
    private Sequential model;

    Trigger(int rank, long batch, int attempt) {
      this.rank = rank;
      this.batch = batch;
      this.attempt = attempt;
    }

    @Override
    public void onTrainBegin(Sequential m) {
      this.model = m;
    }

    @Override
    public void onBatchBegin(int epoch, int b) {
      if (model.optimizerSteps() == batch) {
        // the time of this line starts the recovery's breakdown in RingBench
        LoggerFactory.getLogger(InjectedFailure.class).warn("worker {}: injecting a failure before global batch {}",
            rank, batch);
        throw new InjectedFailure(rank, batch, attempt);
      }
    }
  }
}
