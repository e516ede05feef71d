package org.ckpt4j.resume;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The state of a stateful callback ({@link StatefulState}): JSON values (strings, {@code long}s, finite
 * {@code double}s, booleans, null, and lists and string-keyed maps of those) plus named tensors, each stored as
 * a {@code .npy} blob. Doubles are restored bit for bit; integral numbers come back as {@code Long}. Immutable
 * once built.
 */
public final class CallbackState {
  private static final Pattern NAME = Pattern.compile("[A-Za-z0-9._-]{1,100}");
  private final Map<String, Object> values;
  private final Map<String, Tensor> tensors;

  private CallbackState(Map<String, Object> values, Map<String, Tensor> tensors) {
    this.values = Collections.unmodifiableMap(values);
    this.tensors = Collections.unmodifiableMap(tensors);
  }

  /** State made of JSON values only. */
  public static CallbackState of(Map<String, ?> values) {
    return of(values, Map.of());
  }

  /**
   * State of JSON values and tensors, by tensor name (copied: later changes to the tensors' memory do not
   * affect it).
   */
  public static CallbackState of(Map<String, ?> values, Map<String, Tensor> tensors) {
    Map<String, Object> v = new LinkedHashMap<>(Objects.requireNonNull(values, "values"));
    JsonCodec.write(v); // rejects what JSON cannot hold, naming it
    Map<String, Tensor> t = new LinkedHashMap<>();
    for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
      if (!validName(e.getKey())) {
        throw new IllegalArgumentException("tensor name \"" + e.getKey() + "\" must match " + NAME);
      }
      Tensor src = e.getValue();
      ByteBuffer copy = ByteBuffer.allocate(src.data().remaining()).order(ByteOrder.nativeOrder());
      copy.put(src.data().duplicate()).flip();
      t.put(e.getKey(), new Tensor(e.getKey(), src.dtype(), src.shape(), copy));
    }
    return new CallbackState(v, t);
  }

  /** State read from a checkpoint: taken as is (the tensors are new). */
  static CallbackState restored(Map<String, Object> values, Map<String, Tensor> tensors) {
    return new CallbackState(new LinkedHashMap<>(values), new LinkedHashMap<>(tensors));
  }

  public Map<String, Object> values() {
    return values;
  }

  /** The tensors by name (each tensor's own name is its blob name once saved). */
  public Map<String, Tensor> tensors() {
    return tensors;
  }

  /** A whole-number value. @throws IllegalArgumentException if absent or not a whole number */
  public long getLong(String key) {
    Object v = values.get(key);
    if (!(v instanceof Long || v instanceof Integer)) {
      throw new IllegalArgumentException("callback state has no whole number \"" + key + "\": " + v);
    }
    return ((Number) v).longValue();
  }

  /** A numeric value. @throws IllegalArgumentException if absent or not a number */
  public double getDouble(String key) {
    Object v = values.get(key);
    if (!(v instanceof Number)) {
      throw new IllegalArgumentException("callback state has no number \"" + key + "\": " + v);
    }
    return ((Number) v).doubleValue();
  }

  /** Whether a state key or tensor name is valid: {@code [A-Za-z0-9._-]{1,100}}. */
  public static boolean validName(String name) {
    return name != null && NAME.matcher(name).matches();
  }

  @Override
  public String toString() {
    return "CallbackState" + values + (tensors.isEmpty() ? "" : " tensors " + tensors.keySet());
  }
}
