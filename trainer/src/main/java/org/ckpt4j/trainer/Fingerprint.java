package org.ckpt4j.trainer;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The identity of a training run: everything that changes its trajectory except the number of epochs (so a run
 * can be extended). Encoded as {@code ckpt4j-trainer/1;field=value;...}; this string is the store's owner
 * identity, so a backup dir of another run is refused by the store and the differing fields can be named.
 * The save frequency is not part of it: saving never changes the numbers.
 */
final class Fingerprint {
  static final String PREFIX = "ckpt4j-trainer/1";
  final Map<String, String> fields;

  private Fingerprint(Map<String, String> fields) {
    this.fields = fields;
  }

  /**
   * The identity of a fit of {@code model} on {@code x} and {@code y}.
   *
   * @param y the targets as given: dense targets, or for {@link Loss#SPARSE_CATEGORICAL_CROSSENTROPY} the class
   *     ids as int32 {@code [n]}, described with the number of classes (not as the one-hot matrix trained on)
   */
  static Fingerprint of(Sequential model, INDArray x, INDArray y, int batchSize, boolean shuffle) {
    Map<String, String> f = new LinkedHashMap<>();
    String architecture = model.toString();
    // the owner identity is at most 4096 characters: a very deep model is named by its digest
    f.put("model", architecture.length() <= 2048 ? architecture : "sha256=" + sha256(architecture));
    f.put("optimizer", model.optimizer().toString());
    f.put("loss", model.loss().id());
    f.put("seed", Long.toString(model.seed()));
    f.put("batchSize", Integer.toString(batchSize));
    f.put("shuffle", Boolean.toString(shuffle));
    f.put("x", describe(x));
    f.put("y", model.loss() == Loss.SPARSE_CATEGORICAL_CROSSENTROPY
        ? describe(y).replaceFirst(":", " class ids of " + model.outputSize() + " classes:") : describe(y));
    return new Fingerprint(f);
  }

  /** Parses an encoded fingerprint; fields of a foreign format come back under the single key "format". */
  static Fingerprint parse(String encoded) {
    Map<String, String> f = new LinkedHashMap<>();
    String[] parts = encoded.split(";");
    if (!PREFIX.equals(parts[0])) {
      f.put("format", parts[0]);
      return new Fingerprint(f);
    }
    for (String p : Arrays.asList(parts).subList(1, parts.length)) {
      int eq = p.indexOf('=');
      f.put(eq < 0 ? p : p.substring(0, eq), eq < 0 ? "" : p.substring(eq + 1));
    }
    return new Fingerprint(f);
  }

  String encoded() {
    StringBuilder sb = new StringBuilder(PREFIX);
    fields.forEach((k, v) -> sb.append(';').append(k).append('=').append(v));
    return sb.toString();
  }

  /** Descriptions "field (stored A, this run B)" of the fields that differ from {@code stored}. */
  List<String> differences(Fingerprint stored) {
    List<String> d = new ArrayList<>();
    if (stored.fields.containsKey("format")) {
      d.add("format (stored " + stored.fields.get("format") + ", this run " + PREFIX + ")");
      return d;
    }
    List<String> keys = new ArrayList<>(fields.keySet());
    stored.fields.keySet().stream().filter(k -> !fields.containsKey(k)).forEach(keys::add);
    for (String k : keys) {
      String mine = fields.get(k);
      String theirs = stored.fields.get(k);
      if (mine == null || !mine.equals(theirs)) {
        d.add(k + " (stored " + theirs + ", this run " + mine + ")");
      }
    }
    return d;
  }

  /** Names of the fields that differ. */
  List<String> differingFields(Fingerprint stored) {
    List<String> names = new ArrayList<>();
    for (String d : differences(stored)) {
      names.add(d.substring(0, d.indexOf(' ')));
    }
    return names;
  }

  /** {@code float[5,20]:sha256=<hex>} (ND4J type name, shape) over the shape and the raw element bytes. */
  static String describe(INDArray a) {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      md.update(Arrays.toString(a.shape()).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      md.update(Npy.dataView(a));
      String dims = Arrays.toString(a.shape()).replace(" ", "");
      return a.dataType().name().toLowerCase(java.util.Locale.ROOT) + dims + ":sha256="
          + HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String sha256(String s) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
          .digest(s.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public String toString() {
    return encoded();
  }
}
