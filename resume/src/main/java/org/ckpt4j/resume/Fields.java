package org.ckpt4j.resume;

import java.net.URI;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ckpt4j.spi.CorruptCheckpointException;

/**
 * Typed access to the parsed JSON of a manifest: each getter checks the field's type and range and throws a
 * {@link CorruptCheckpointException} on {@code manifest.json} naming the field ({@code field <path>: ...}).
 */
final class Fields {
  final URI uri;

  Fields(URI uri) {
    this.uri = uri;
  }

  @SuppressWarnings("unchecked")
  Map<String, Object> object(Object v, String path) throws CorruptCheckpointException {
    if (!(v instanceof Map)) {
      throw bad(path, v == null ? "missing" : "must be an object");
    }
    return (Map<String, Object>) v;
  }

  void onlyKeys(Map<String, Object> m, Set<String> allowed, String prefix) throws CorruptCheckpointException {
    for (String k : m.keySet()) {
      if (!allowed.contains(k)) {
        throw bad(prefix + abbreviate(k), "is not a field of " + TrainingManifest.FORMAT + " manifests");
      }
    }
  }

  String string(Map<String, Object> m, String key, String prefix) throws CorruptCheckpointException {
    Object v = m.get(key);
    if (!(v instanceof String)) {
      throw bad(prefix + key, v == null ? "missing" : "must be a string");
    }
    return (String) v;
  }

  boolean bool(Map<String, Object> m, String key, String prefix) throws CorruptCheckpointException {
    Object v = m.get(key);
    if (!(v instanceof Boolean)) {
      throw bad(prefix + key, v == null ? "missing" : "must be true or false");
    }
    return (Boolean) v;
  }

  long integer(Map<String, Object> m, String key, String prefix, long min, long max)
      throws CorruptCheckpointException {
    Object v = m.get(key);
    if (!(v instanceof Long) || (Long) v < min || (Long) v > max) {
      throw bad(prefix + key, v == null ? "missing" : abbreviate(String.valueOf(v))
          + " is not a whole number in [" + min + ", " + max + "]");
    }
    return (Long) v;
  }

  double decimal(Map<String, Object> m, String key, String prefix, double min) throws CorruptCheckpointException {
    Object v = m.get(key);
    if (!(v instanceof Double || v instanceof Long) || !(((Number) v).doubleValue() >= min)) {
      throw bad(prefix + key, v == null ? "missing" : abbreviate(String.valueOf(v)) + " is not a number >= " + min);
    }
    return ((Number) v).doubleValue();
  }

  long[] shape(Object v, String path) throws CorruptCheckpointException {
    if (!(v instanceof List)) {
      throw bad(path, "must be a list of dimensions");
    }
    List<?> dims = (List<?>) v;
    if (dims.size() > Npy.MAX_RANK) {
      throw bad(path, "has " + dims.size() + " dimensions, more than " + Npy.MAX_RANK);
    }
    long[] shape = new long[dims.size()];
    for (int k = 0; k < shape.length; k++) {
      if (!(dims.get(k) instanceof Long) || (Long) dims.get(k) < 0 || (Long) dims.get(k) > Integer.MAX_VALUE) {
        throw bad(path, "dimension " + abbreviate(String.valueOf(dims.get(k))) + " is not a whole number in [0, "
            + Integer.MAX_VALUE + "]");
      }
      shape[k] = (Long) dims.get(k);
    }
    return shape;
  }

  CorruptCheckpointException bad(String field, String problem) {
    return new CorruptCheckpointException(uri, BlobLayout.MANIFEST, "field " + field + ": " + problem);
  }

  static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 60) + "...";
  }
}
