package org.ckpt4j.resume;

import java.util.List;
import java.util.Map;

/**
 * What a trainer hands to {@link BackupAndRestore} for one fit: its identity and shape, and its state as named
 * tensors and typed scalars, which it takes back on resume. The ND4J trainer implements it over its arrays; any
 * JVM training loop (DL4J, DJL, plain Java) can, the same way. Called on the training thread only.
 *
 * <p>The tensors of {@link #tensors()} and the order of {@link #order()} may be views of live memory: they are
 * read (or copied, for an async save) before training continues.
 */
public interface ResumableRun {
  /** The run's identity: the backup dir's owner. Computed once per fit (it may hash the data set). */
  RunFingerprint fingerprint();

  RunShape shape();

  /**
   * What bit-exact results depend on besides the checkpoint (thread counts, BLAS kernel...), recorded in every
   * checkpoint; a resume under another one is warned about. Empty by default.
   */
  default Map<String, String> environment() {
    return Map.of();
  }

  /** The current position. */
  TrainingPosition position();

  /** The shuffle order of the epoch in progress (one int per sample), or null (between epochs, no shuffle). */
  int[] order();

  /** The RNG's state by name (e.g. {@code root}, {@code node}): restoring it reproduces the next draws. */
  Map<String, Long> rng();

  OptimizerInfo optimizer();

  /**
   * The model's parameters and the optimizer's slots, named with {@link BlobLayout#model} and
   * {@link BlobLayout#optimizer}, in the order a checkpoint holds them; their types and shapes are what a
   * checkpoint must hold to be restored into this run.
   */
  List<Tensor> tensors();

  /** The stateful parts (callbacks) whose state travels in the checkpoint; empty by default. */
  default List<StatefulState> stateful() {
    return List.of();
  }

  /**
   * A new tensor that a restore reads a blob into (a heap buffer by default; the ND4J trainer allocates an array
   * and reads straight into its memory). Only tensors returned here come back in {@link #restore}.
   */
  default Tensor allocate(String name, DType dtype, long[] shape) {
    return Tensor.allocate(name, dtype, shape);
  }

  /**
   * Whether a checkpoint may hold tensor {@code name} (of the right type) with another shape than the run's
   * {@code expected}, holding the same elements in the same order (a layout an older version wrote): then it is
   * read with the {@code stored} shape and {@link #restore} reshapes it. False by default: nothing else of a
   * stored shape is tolerated.
   */
  default boolean acceptsStoredShape(String name, long[] stored, long[] expected) {
    return false;
  }

  /**
   * Takes back a checkpoint's state, read completely and checked: every tensor of {@link #tensors()} by name,
   * the position, order, RNG and optimizer scalars. Nothing may fail here that could leave the run half
   * restored.
   */
  void restore(TrainingState state);

  /**
   * Called on a signal-handling thread before a preemption signal (SIGTERM, SIGINT) is logged: ends whatever the
   * run draws in place, such as a progress bar, so that the message starts on a line of its own. The default does
   * nothing.
   */
  default void beforeSignalMessage() {}

  /** The data-parallel group this run is a replica of, or null for a single process. */
  default ReplicaGroup replicas() {
    return null;
  }
}
