package org.ckpt4j.trainer;

import java.io.IOException;
import java.net.URI;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.ckpt4j.resume.TrainingManifest;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CorruptCheckpointException;

/**
 * What a checkpoint written by {@link BackupAndRestore} holds, read from its manifest without restoring it
 * (TensorFlow's {@code list_variables}, torch DCP's {@code read_metadata}): the training position, the run's
 * identity, every tensor's type and shape, the callbacks whose state it carries. Every field is checked for type
 * and range as a resume checks it; a manifest that fails is a {@link CorruptCheckpointException} naming the
 * field. Reading it never changes the backup dir.
 */
public final class TrainingCheckpoint {
  private final TrainingManifest m;
  private final Map<String, Tensor> tensors;

  /** A tensor: NumPy type string ({@code <f4}, ...), shape, and the size of its {@code .npy} blob in bytes. */
  public record Tensor(String dtype, long[] shape, long bytes) {
    @Override
    public String toString() {
      return dtype + Arrays.toString(shape) + " " + bytes + " B";
    }
  }

  TrainingCheckpoint(TrainingManifest m, Map<String, Long> sizes) {
    this.m = m;
    Map<String, Tensor> t = new LinkedHashMap<>();
    m.tensors().forEach((name, h) -> t.put(name, new Tensor(h.type().descr(), h.shape().clone(), sizes.get(name))));
    this.tensors = Collections.unmodifiableMap(t);
  }

  /**
   * Reads and checks the manifest of {@code cp} ({@link TrainingManifest#read}).
   *
   * @param uri the backup dir, for error messages
   * @throws CorruptCheckpointException if the manifest is missing, unreadable or has a field out of range
   * @throws org.ckpt4j.spi.SupersededCheckpointException if a newer commit removed the checkpoint meanwhile
   */
  public static TrainingCheckpoint read(Checkpoint cp, URI uri) throws IOException {
    return new TrainingCheckpoint(TrainingManifest.read(cp, uri), cp.blobs());
  }

  /** The typed manifest this view reads from (module {@code ckpt4j-resume}). */
  public TrainingManifest manifest() {
    return m;
  }

  /** Epochs completed: the 0-based epoch the run is in or starts next. */
  public int epoch() {
    return m.position().epoch();
  }

  /** Batches done in the current epoch (0 between epochs). */
  public int batch() {
    return m.position().batch();
  }

  /** Whether the checkpoint was taken within an epoch (its shuffle order saved) rather than between two. */
  public boolean withinEpoch() {
    return m.position().epochStarted();
  }

  /** Optimizer steps of the run so far (batches trained over all epochs). */
  public long globalStep() {
    return m.position().globalStep();
  }

  public int batchesPerEpoch() {
    return m.position().batchesPerEpoch();
  }

  /** The run's identity, the backup dir's owner: model, optimizer, loss, seed, batch size, shuffle, x, y. */
  public Map<String, String> fingerprint() {
    return Fingerprint.parse(m.fingerprint()).fields();
  }

  /** The encoded identity, as the store records its owner. */
  public String owner() {
    return m.fingerprint();
  }

  public String optimizer() {
    return m.optimizer().config();
  }

  public long optimizerStep() {
    return m.optimizer().step();
  }

  public double learningRate() {
    return m.optimizer().learningRate();
  }

  /** Every tensor blob by name, in the manifest's order. */
  public Map<String, Tensor> tensors() {
    return tensors;
  }

  /** The state keys of the {@link StatefulCallback}s whose state the checkpoint carries. */
  public Set<String> callbackKeys() {
    return m.callbacks().keySet();
  }

  /** The numeric environment the checkpoint was written in (thread counts, BLAS kernel, backend). */
  public Map<String, Object> numericEnvironment() {
    return Collections.unmodifiableMap(new LinkedHashMap<>(m.environment()));
  }
}
