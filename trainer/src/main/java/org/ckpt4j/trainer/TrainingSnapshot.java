package org.ckpt4j.trainer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.Map;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointWriter;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The content of one checkpoint, captured at a batch or epoch boundary: {@code manifest.json} plus one
 * {@code .npy} blob per tensor, and the commit metadata. The tensors are the live arrays (valid until training
 * continues). A synchronous save streams them straight from their native buffers with {@link #writeTo} (no
 * copy; training waits for the write); an async save copies them once into {@link SnapshotBuffers} and writes
 * that copy in the background, the same bytes.
 */
final class TrainingSnapshot {
  static final String MANIFEST = "manifest.json";
  final Map<String, Object> manifest;
  final Map<String, INDArray> tensors;
  final Map<String, String> metadata;

  TrainingSnapshot(Map<String, Object> manifest, Map<String, INDArray> tensors, Map<String, String> metadata) {
    this.manifest = manifest;
    this.tensors = tensors;
    this.metadata = metadata;
  }

  /** Writes and commits the checkpoint: tensors first, the manifest last, then one atomic commit. */
  Checkpoint writeTo(CheckpointStore store) throws IOException {
    try (CheckpointWriter w = store.begin()) {
      for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
        try (WritableByteChannel ch = w.newBlob(e.getKey())) {
          Npy.write(ch, e.getValue());
        }
      }
      try (WritableByteChannel ch = w.newBlob(MANIFEST)) {
        Npy.writeFully(ch, ByteBuffer.wrap(JsonCodec.prettyBytes(manifest)));
      }
      return w.commit(metadata);
    }
  }
}
