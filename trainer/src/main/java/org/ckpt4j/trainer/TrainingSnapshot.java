package org.ckpt4j.trainer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.LinkedHashMap;
import java.util.Map;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointWriter;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The content of one checkpoint, captured at a batch or epoch boundary: {@code manifest.json} plus one
 * {@code .npy} blob per tensor, and the commit metadata. Saving is two separate steps so that a background
 * save can reuse the first: {@link #writeTo} streams the live arrays straight from their native buffers (no
 * copy; training must wait), while {@link #toBuffers()} makes the one copy a save that runs beside training
 * needs (for {@link org.ckpt4j.spi.AsyncCommitter}).
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
        Npy.writeFully(ch, ByteBuffer.wrap(JsonCodec.bytes(manifest)));
      }
      return w.commit(metadata);
    }
  }

  /** Independent copies of every blob (header and data of each tensor in one direct buffer), in write order. */
  Map<String, ByteBuffer> toBuffers() {
    Map<String, ByteBuffer> blobs = new LinkedHashMap<>();
    for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
      INDArray a = e.getValue();
      ByteBuffer header = Npy.header(a.dataType(), a.shape());
      ByteBuffer data = Npy.dataView(a.ordering() == 'c' && !a.isView() ? a : a.dup('c'));
      ByteBuffer copy = ByteBuffer.allocateDirect(header.remaining() + data.remaining());
      copy.put(header).put(data).flip();
      blobs.put(e.getKey(), copy);
    }
    blobs.put(MANIFEST, ByteBuffer.wrap(JsonCodec.bytes(manifest)));
    return blobs;
  }
}
