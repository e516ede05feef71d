package org.ckpt4j.trainer;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
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
  private final Manifest m;
  private final Map<String, Tensor> tensors;

  /** A tensor: NumPy type string ({@code <f4}, ...), shape, and the size of its {@code .npy} blob in bytes. */
  public record Tensor(String dtype, long[] shape, long bytes) {
    @Override
    public String toString() {
      return dtype + Arrays.toString(shape) + " " + bytes + " B";
    }
  }

  TrainingCheckpoint(Manifest m, Map<String, Long> sizes) {
    this.m = m;
    Map<String, Tensor> t = new LinkedHashMap<>();
    m.tensors.forEach((name, h) -> t.put(name, new Tensor(Npy.descr(h.type()), h.shape().clone(),
        sizes.get(name))));
    this.tensors = Collections.unmodifiableMap(t);
  }

  /**
   * Reads and checks the manifest of {@code cp}.
   *
   * @param uri the backup dir, for error messages
   * @throws CorruptCheckpointException if the manifest is missing, unreadable or has a field out of range
   * @throws org.ckpt4j.spi.SupersededCheckpointException if a newer commit removed the checkpoint meanwhile
   */
  public static TrainingCheckpoint read(Checkpoint cp, URI uri) throws IOException {
    Map<String, Long> sizes = cp.blobs();
    Long size = sizes.get(TrainingSnapshot.MANIFEST);
    if (size == null) {
      throw new CorruptCheckpointException(uri, TrainingSnapshot.MANIFEST, "missing from checkpoint #"
          + cp.sequence() + " (not written by ckpt4j's trainer?)");
    }
    if (size > 64L << 20) {
      throw new CorruptCheckpointException(uri, TrainingSnapshot.MANIFEST, "implausibly large (" + size + " bytes)");
    }
    ByteBuffer b = ByteBuffer.allocate((int) size.longValue());
    try (ReadableByteChannel ch = cp.openBlob(TrainingSnapshot.MANIFEST)) {
      Npy.readFully(ch, b, uri, TrainingSnapshot.MANIFEST);
      if (ch.read(ByteBuffer.allocate(1)) >= 0) {
        throw new CorruptCheckpointException(uri, TrainingSnapshot.MANIFEST, "longer than recorded");
      }
    }
    return new TrainingCheckpoint(Manifest.parse(b.array(), uri, sizes), sizes);
  }

  /** Epochs completed: the 0-based epoch the run is in or starts next. */
  public int epoch() {
    return m.epoch;
  }

  /** Batches done in the current epoch (0 between epochs). */
  public int batch() {
    return m.batch;
  }

  /** Whether the checkpoint was taken within an epoch (its shuffle order saved) rather than between two. */
  public boolean withinEpoch() {
    return m.epochStarted;
  }

  /** Optimizer steps of the run so far (batches trained over all epochs). */
  public long globalStep() {
    return m.globalStep;
  }

  public int batchesPerEpoch() {
    return m.batchesPerEpoch;
  }

  /** The run's identity, the backup dir's owner: model, optimizer, loss, seed, batch size, shuffle, x, y. */
  public Map<String, String> fingerprint() {
    return Collections.unmodifiableMap(Fingerprint.parse(m.fingerprint).fields);
  }

  /** The encoded identity, as the store records its owner. */
  public String owner() {
    return m.fingerprint;
  }

  public String optimizer() {
    return m.optimizerConfig;
  }

  public long optimizerStep() {
    return m.optimizerStep;
  }

  public double learningRate() {
    return m.learningRate;
  }

  /** Every tensor blob by name, in the manifest's order. */
  public Map<String, Tensor> tensors() {
    return tensors;
  }

  /** The state keys of the {@link StatefulCallback}s whose state the checkpoint carries. */
  public Set<String> callbackKeys() {
    return m.callbacks.keySet();
  }

  /** The numeric environment the checkpoint was written in (thread counts, BLAS kernel, backend). */
  public Map<String, Object> numericEnvironment() {
    return m.numericEnvironment;
  }
}
