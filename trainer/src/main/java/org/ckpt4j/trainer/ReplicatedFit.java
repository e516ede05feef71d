package org.ckpt4j.trainer;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Data-parallel synchronous training (TensorFlow's {@code MultiWorkerMirroredStrategy} semantics): every replica
 * calls {@link #fit} with the same model configuration, data and arguments, and the same {@link Replicas} group.
 *
 * <ul>
 *   <li>{@code batchSize} is the global batch. Every replica draws the same shuffle order from the seed (and
 *       restores the same one from a backup) and trains on its slice of each global batch: replica {@code r} of
 *       {@code n} takes rows {@code [r*m/n, (r+1)*m/n)} of a batch of {@code m} rows.</li>
 *   <li>Each replica's gradient is scaled by the global batch's size (its contribution to the batch mean) and
 *       the contributions are summed with {@link Replicas#allReduce}; the loss and accuracy sums too. Every
 *       replica applies the same bits, so all stay identical. With one replica the weights are bit-identical to
 *       {@link Sequential#fit} with the same arguments.</li>
 *   <li>{@link BackupAndRestore}: replica 0 (the chief) opens the backup dir read-write with the run's
 *       fingerprint; the others open it read-only after the chief's open. All restore; they compare what they
 *       restored through {@link Replicas#allGather} and fail with {@link org.ckpt4j.resume.ReplicaMismatchException} if it
 *       differs. Only the chief saves and deletes; the others run the same callbacks with saving off.</li>
 * </ul>
 */
public final class ReplicatedFit {
  private ReplicatedFit() {}

  /**
   * {@link Sequential#fit} as one replica of {@code replicas}.
   *
   * @param progress where to print a progress bar, or null (typically only the chief prints)
   * @throws IOException from the store or from the group's collective operations
   */
  public static History fit(Sequential model, INDArray x, INDArray y, int epochs, int batchSize, boolean shuffle,
      List<? extends Callback> callbacks, PrintStream progress, Replicas replicas) throws IOException {
    Objects.requireNonNull(replicas, "replicas");
    if (replicas.size() < 1 || replicas.rank() < 0 || replicas.rank() >= replicas.size()) {
      throw new IllegalArgumentException("replicas: rank (" + replicas.rank() + ") must be in [0, size ("
          + replicas.size() + "))");
    }
    FitRun run = new FitRun(model, x, y, epochs, batchSize, shuffle, callbacks, progress);
    run.replicas = replicas;
    return run.run();
  }
}
