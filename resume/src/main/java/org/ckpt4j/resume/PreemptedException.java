package org.ckpt4j.resume;

import java.util.Optional;
import org.ckpt4j.spi.Checkpoint;

/**
 * A fit with {@code saveBeforePreemption} stopped on SIGTERM or SIGINT: it finished the batch it was in, saved
 * (unless the last save was that batch, or saving is {@code SaveFreq.NEVER}) and released the backup dir. Run
 * the same fit again to resume from {@link #checkpoint()}.
 */
public final class PreemptedException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  private final String signal;
  private final transient Checkpoint checkpoint;
  private final int epoch;
  private final int batch;
  private final long globalStep;

  PreemptedException(String signal, Checkpoint checkpoint, int epoch, int batch, long globalStep) {
    super("stopped by SIG" + signal + " after step " + globalStep + " (" + epoch + " epochs and " + batch
        + " batches done)" + (checkpoint == null ? "; no backup holds it" : "; backup #" + checkpoint.sequence()
        + " holds it"));
    this.signal = signal;
    this.checkpoint = checkpoint;
    this.epoch = epoch;
    this.batch = batch;
    this.globalStep = globalStep;
  }

  /** {@code TERM} or {@code INT}. */
  public String signal() {
    return signal;
  }

  /** The exit status a shell reports for the signal: 143 for SIGTERM, 130 for SIGINT. */
  public int exitStatus() {
    return Preemption.exitStatus(signal);
  }

  /** The checkpoint holding the state the fit stopped at; empty if nothing is saved ({@code SaveFreq.NEVER}). */
  public Optional<Checkpoint> checkpoint() {
    return Optional.ofNullable(checkpoint);
  }

  /** Epochs completed when the fit stopped. */
  public int epoch() {
    return epoch;
  }

  /** Batches done in the current epoch when the fit stopped. */
  public int batch() {
    return batch;
  }

  /** Optimizer steps done when the fit stopped. */
  public long globalStep() {
    return globalStep;
  }
}
