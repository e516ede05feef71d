package org.ckpt4j.resume;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.List;
import java.util.Map;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointWriter;

/**
 * The content of one checkpoint, captured at a batch or epoch boundary: {@code manifest.json} plus one
 * {@code .npy} blob per tensor, and the commit metadata. The tensors may be views of live memory (valid until
 * training continues). A synchronous save streams them with {@link #writeTo} (no copy; training waits for the
 * write); an async save copies them once into {@link SnapshotBuffers} and writes that copy in the background,
 * the same bytes.
 */
record Snapshot(Map<String, Object> manifest, List<Tensor> tensors, Map<String, String> metadata) {

  /** Writes and commits the checkpoint: tensors first, the manifest last, then one atomic commit. */
  Checkpoint writeTo(CheckpointStore store) throws IOException {
    try (CheckpointWriter w = store.begin()) {
      for (Tensor t : tensors) {
        try (WritableByteChannel ch = w.newBlob(t.name())) {
          Npy.write(ch, t);
        }
      }
      try (WritableByteChannel ch = w.newBlob(BlobLayout.MANIFEST)) {
        Npy.writeFully(ch, ByteBuffer.wrap(JsonCodec.prettyBytes(manifest)));
      }
      return w.commit(metadata);
    }
  }
}
