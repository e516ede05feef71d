package org.ckpt4j.trainer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import org.ckpt4j.resume.BlobLayout;
import org.ckpt4j.resume.JsonCodec;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.CheckpointWriter;
import org.ckpt4j.spi.StoreOptions;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Crafted checkpoints: the blobs of a real one, changed, and committed through the store, so that every checksum
 * is valid and only the trainer's own checks stand between the content and the run.
 */
final class Crafted {
  private Crafted() {}

  /** The blobs and commit metadata of a checkpoint. */
  record Content(Map<String, byte[]> blobs, Map<String, String> metadata) {
    String fingerprint() {
      @SuppressWarnings("unchecked")
      Map<String, Object> m = (Map<String, Object>) JsonCodec.parse(blobs.get(BlobLayout.MANIFEST));
      return (String) m.get("fingerprint");
    }

    /** A copy with one blob replaced. */
    Content with(String name, UnaryOperator<byte[]> change) {
      Map<String, byte[]> b = new LinkedHashMap<>(blobs);
      b.put(name, change.apply(b.get(name).clone()));
      return new Content(b, metadata);
    }
  }

  static Content latest(String dir) throws IOException {
    try (CheckpointStore s = CheckpointStores.open(dir, StoreOptions.readOnly().build())) {
      Checkpoint cp = s.latest().orElseThrow();
      Map<String, byte[]> blobs = new LinkedHashMap<>();
      for (String name : cp.blobs().keySet()) {
        blobs.put(name, BackupAndRestoreTest.readBlob(cp, name));
      }
      return new Content(blobs, cp.metadata());
    }
  }

  /** Commits the content as the newest checkpoint of {@code dir}, as the run's owner ({@code owner}) would. */
  static void commit(String dir, Content c, String owner, boolean keepPrevious) throws IOException {
    try (CheckpointStore s = CheckpointStores.open(dir, StoreOptions.forOwner(owner)
        .keepPrevious(keepPrevious).build()); CheckpointWriter w = s.begin()) {
      for (Map.Entry<String, byte[]> e : c.blobs().entrySet()) {
        try (WritableByteChannel ch = w.newBlob(e.getKey())) {
          Npy.writeFully(ch, ByteBuffer.wrap(e.getValue()));
        }
      }
      w.commit(c.metadata());
    }
  }

  /** The manifest with one JSON value replaced (a path of keys into nested objects). */
  @SuppressWarnings("unchecked")
  static byte[] setField(byte[] manifest, List<String> path, Object value) {
    Map<String, Object> m = (Map<String, Object>) JsonCodec.parse(manifest);
    Map<String, Object> at = m;
    for (String k : path.subList(0, path.size() - 1)) {
      at = (Map<String, Object>) at.get(k);
    }
    at.put(path.get(path.size() - 1), value);
    return JsonCodec.bytes(m);
  }

  /** A {@code .npy} blob with its header dictionary replaced (the elements kept; padded to the old length). */
  static byte[] setNpyHeader(byte[] npy, String dict) {
    int headerLength = (npy[8] & 0xff) | (npy[9] & 0xff) << 8;
    String padded = dict.length() + 1 < headerLength ? dict + " ".repeat(headerLength - dict.length() - 1) : dict;
    byte[] text = (padded + "\n").getBytes(StandardCharsets.US_ASCII);
    ByteBuffer b = ByteBuffer.allocate(10 + text.length + npy.length - 10 - headerLength);
    b.put(npy, 0, 8).put((byte) text.length).put((byte) (text.length >> 8)).put(text);
    b.put(npy, 10 + headerLength, npy.length - 10 - headerLength);
    return b.array();
  }

  /** The Adam model and data of the crafted-checkpoint tests (5 samples, batches of 2: 3 per epoch). */
  static Sequential model() {
    return Sequential.builder(20).dense(4, Activation.TANH).dense(3, Activation.SOFTMAX)
        .optimizer(Optimizer.adam(1e-3)).loss(Loss.SPARSE_CATEGORICAL_CROSSENTROPY).seed(3).build();
  }

  static INDArray y() {
    return Nd4j.createFromArray(0f, 1f, 2f, 1f, 0f);
  }
}
