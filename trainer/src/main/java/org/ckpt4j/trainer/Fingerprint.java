package org.ckpt4j.trainer;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import org.ckpt4j.resume.RunFingerprint;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The ND4J trainer's run identity ({@link RunFingerprint}): model, optimizer, loss, seed, batch size, shuffle,
 * and shape and SHA-256 of x and y, under the prefix {@code ckpt4j-trainer/1}.
 */
final class Fingerprint {
  static final String PREFIX = "ckpt4j-trainer/1";

  private Fingerprint() {}

  /**
   * The identity of a fit of {@code model} on {@code x} and {@code y}.
   *
   * @param y the targets as given: dense targets, or for {@link Loss#SPARSE_CATEGORICAL_CROSSENTROPY} the class
   *     ids as int32 {@code [n]}, described with the number of classes (not as the one-hot matrix trained on)
   */
  static RunFingerprint of(Sequential model, INDArray x, INDArray y, int batchSize, boolean shuffle) {
    Map<String, String> f = new LinkedHashMap<>();
    String architecture = model.toString();
    // the owner identity is at most 4096 characters: a very deep model is named by its digest
    f.put("model", architecture.length() <= 2048 ? architecture : "sha256=" + RunFingerprint.sha256(architecture));
    f.put("optimizer", model.optimizer().toString());
    f.put("loss", model.loss().id());
    f.put("seed", Long.toString(model.seed()));
    f.put("batchSize", Integer.toString(batchSize));
    f.put("shuffle", Boolean.toString(shuffle));
    f.put("x", describe(x));
    f.put("y", model.loss() == Loss.SPARSE_CATEGORICAL_CROSSENTROPY
        ? describe(y).replaceFirst(":", " class ids of " + model.outputSize() + " classes:") : describe(y));
    return RunFingerprint.of(PREFIX, f);
  }

  /** Parses an encoded fingerprint; fields of a foreign format come back under the single key "format". */
  static RunFingerprint parse(String encoded) {
    return RunFingerprint.parse(encoded, PREFIX);
  }

  /** {@code float[5,20]:sha256=<hex>} (ND4J type name, shape) over the shape and the raw element bytes. */
  static String describe(INDArray a) {
    byte[] shape = Arrays.toString(a.shape()).getBytes(StandardCharsets.US_ASCII);
    java.nio.ByteBuffer data = Npy.dataView(a);
    byte[] bytes = new byte[data.remaining()];
    data.get(bytes);
    String dims = Arrays.toString(a.shape()).replace(" ", "");
    return a.dataType().name().toLowerCase(Locale.ROOT) + dims + ":sha256=" + RunFingerprint.sha256(shape, bytes);
  }
}
