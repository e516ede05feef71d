package org.ckpt4j.trainer;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The state of a {@link StatefulCallback}: JSON values (strings, {@code long}s, finite {@code double}s, booleans,
 * null, and lists and string-keyed maps of those) plus named tensors, each stored as a {@code .npy} blob. Doubles
 * are restored bit for bit; integral numbers come back as {@code Long}. Immutable once built.
 */
public final class CallbackState {
  private final Map<String, Object> values;
  private final Map<String, INDArray> tensors;

  private CallbackState(Map<String, Object> values, Map<String, INDArray> tensors) {
    this.values = Collections.unmodifiableMap(values);
    this.tensors = Collections.unmodifiableMap(tensors);
  }

  /** State made of JSON values only. */
  public static CallbackState of(Map<String, ?> values) {
    return of(values, Map.of());
  }

  /** State of JSON values and tensors (copied: later changes to the arrays do not affect it). */
  public static CallbackState of(Map<String, ?> values, Map<String, INDArray> tensors) {
    Map<String, Object> v = new LinkedHashMap<>(Objects.requireNonNull(values, "values"));
    org.ckpt4j.resume.JsonCodec.write(v); // rejects what JSON cannot hold, naming it
    Map<String, INDArray> t = new LinkedHashMap<>();
    for (Map.Entry<String, INDArray> e : tensors.entrySet()) {
      if (!validName(e.getKey())) {
        throw new IllegalArgumentException("tensor name \"" + e.getKey() + "\" must match [A-Za-z0-9._-]{1,100}");
      }
      Npy.descr(e.getValue().dataType());
      t.put(e.getKey(), e.getValue().dup('c'));
    }
    return new CallbackState(v, t);
  }

  /** The neutral state {@code ckpt4j-resume} saves: the same values, the tensors as views of the arrays. */
  org.ckpt4j.resume.CallbackState toNeutral() {
    Map<String, org.ckpt4j.resume.Tensor> t = new LinkedHashMap<>();
    tensors.forEach((name, a) -> t.put(name, Npy.tensor(name, a)));
    return org.ckpt4j.resume.CallbackState.of(values, t);
  }

  /** State restored by {@code ckpt4j-resume}, its tensors as new arrays. */
  static CallbackState fromNeutral(org.ckpt4j.resume.CallbackState state) {
    Map<String, INDArray> t = new LinkedHashMap<>();
    state.tensors().forEach((name, tensor) -> {
      INDArray a = Nd4j.create(Npy.dataType(tensor.dtype()), tensor.shape(), 'c');
      Npy.dataView(a).put(tensor.data().duplicate());
      t.put(name, a);
    });
    return new CallbackState(new LinkedHashMap<>(state.values()), t);
  }

  /**
   * The JSON values by key, unmodifiable: as given to {@link #of}, or as restored from a checkpoint (integral
   * numbers then as {@code Long}, lists as {@code List}, objects as {@code Map}).
   */
  public Map<String, Object> values() {
    return values;
  }

  /** The tensors by name, unmodifiable: copies of those given to {@link #of}, or as read from a checkpoint. */
  public Map<String, INDArray> tensors() {
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

  static boolean validName(String name) {
    return org.ckpt4j.resume.CallbackState.validName(name);
  }

  @Override
  public String toString() {
    return "CallbackState" + values + (tensors.isEmpty() ? "" : " tensors " + tensors.keySet());
  }
}
