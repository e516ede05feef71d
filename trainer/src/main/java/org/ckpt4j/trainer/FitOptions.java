package org.ckpt4j.trainer;

import java.io.PrintStream;
import java.util.List;
import java.util.Objects;

/**
 * How {@link Sequential#fit(org.nd4j.linalg.api.ndarray.INDArray, org.nd4j.linalg.api.ndarray.INDArray,
 * FitOptions)} trains, with Keras's names and defaults: {@code epochs} 1, {@code batchSize} 32, {@code shuffle}
 * true, no {@code callbacks}, {@code verbose} 1 (a progress bar on standard output; 0: none). Immutable.
 *
 * <pre>{@code
 * model.fit(x, y, FitOptions.builder().epochs(10).batchSize(64).callbacks(backup).build());
 * }</pre>
 */
public final class FitOptions {
  final int epochs;
  final int batchSize;
  final boolean shuffle;
  final List<Callback> callbacks;
  final PrintStream progress;

  private FitOptions(Builder b) {
    this.epochs = b.epochs;
    this.batchSize = b.batchSize;
    this.shuffle = b.shuffle;
    this.callbacks = b.callbacks;
    this.progress = b.verbose == 0 ? null : b.progressTo;
  }

  /** A builder holding Keras's defaults (see the class comment). */
  public static Builder builder() {
    return new Builder();
  }

  /** The epoch to stop before: a fresh run trains epochs {@code 0 .. epochs-1}, a resumed one up to it. */
  public int epochs() {
    return epochs;
  }

  /** Samples per gradient step (at least 1); the last batch of an epoch may be smaller. */
  public int batchSize() {
    return batchSize;
  }

  /** Whether each epoch visits the samples in a fresh random order drawn from the model's seed. */
  public boolean shuffle() {
    return shuffle;
  }

  /** The hooks, in the order {@code fit} calls them (immutable; at most one {@link BackupAndRestore}). */
  public List<Callback> callbacks() {
    return callbacks;
  }

  @Override
  public String toString() {
    return "FitOptions{epochs=" + epochs + ", batchSize=" + batchSize + ", shuffle=" + shuffle + ", callbacks="
        + callbacks + ", verbose=" + (progress == null ? 0 : 1) + "}";
  }

  /** Builder of {@link FitOptions}; each setter checks its argument, naming it. */
  public static final class Builder {
    private int epochs = 1;
    private int batchSize = 32;
    private boolean shuffle = true;
    private List<Callback> callbacks = List.of();
    private int verbose = 1;
    private PrintStream progressTo = System.out;

    private Builder() {}

    /** The epoch to stop before (a resumed run continues up to it); default 1. */
    public Builder epochs(int epochs) {
      if (epochs < 0) {
        throw new IllegalArgumentException("epochs (" + epochs + ") must not be negative");
      }
      this.epochs = epochs;
      return this;
    }

    /** Samples per gradient step; the last batch of an epoch may be smaller. Default 32. */
    public Builder batchSize(int batchSize) {
      if (batchSize < 1) {
        throw new IllegalArgumentException("batchSize (" + batchSize + ") must be at least 1");
      }
      this.batchSize = batchSize;
      return this;
    }

    /** Whether each epoch visits the samples in a fresh random order; default true. */
    public Builder shuffle(boolean shuffle) {
      this.shuffle = shuffle;
      return this;
    }

    /** Hooks called in list order; at most one {@link BackupAndRestore}. */
    public Builder callbacks(List<? extends Callback> callbacks) {
      this.callbacks = List.copyOf(Objects.requireNonNull(callbacks, "callbacks"));
      return this;
    }

    /**
     * Hooks called in argument order; at most one {@link BackupAndRestore}.
     *
     * @throws NullPointerException if any is null
     */
    public Builder callbacks(Callback... callbacks) {
      return callbacks(List.of(callbacks));
    }

    /** 1: a progress bar (default); 0: silent. */
    public Builder verbose(int verbose) {
      if (verbose != 0 && verbose != 1) {
        throw new IllegalArgumentException("verbose (" + verbose + ") must be 0 or 1");
      }
      this.verbose = verbose;
      return this;
    }

    /** Where the progress bar goes with {@code verbose(1)}; default standard output. */
    public Builder progressTo(PrintStream out) {
      this.progressTo = Objects.requireNonNull(out, "out");
      return this;
    }

    /** The options as set so far (each setter already checked its argument). */
    public FitOptions build() {
      return new FitOptions(this);
    }
  }
}
