package org.ckpt4j.resume;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Objects;

/**
 * A named tensor as a checkpoint holds it: element type, shape (C order) and the elements' bytes in the
 * machine's byte order, from the buffer's position to its limit. Framework-neutral: a trainer hands over views
 * of its own arrays' memory (no copy; valid until training continues) and takes back tensors it allocated
 * ({@link ResumableRun#allocate}).
 *
 * @param name the tensor's blob name in the checkpoint ({@link BlobLayout})
 * @param data exactly {@code elements * dtype.width()} bytes between position and limit
 */
public record Tensor(String name, DType dtype, long[] shape, ByteBuffer data) {
  public Tensor {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    shape = Objects.requireNonNull(shape, "shape").clone();
    Objects.requireNonNull(data, "data");
    long bytes = elements(shape) * dtype.width();
    if (data.remaining() != bytes) {
      throw new IllegalArgumentException("tensor " + name + ": " + data.remaining() + " bytes of data for "
          + dtype.descr() + Arrays.toString(shape) + ", which takes " + bytes);
    }
  }

  /** A zero-filled tensor on the heap. */
  public static Tensor allocate(String name, DType dtype, long[] shape) {
    long bytes = elements(shape) * dtype.width();
    if (bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException("tensor " + name + " (" + bytes + " bytes) exceeds 2 GiB");
    }
    return new Tensor(name, dtype, shape, ByteBuffer.allocate((int) bytes).order(ByteOrder.nativeOrder()));
  }

  /** A float32 tensor holding a copy of {@code values}. */
  public static Tensor ofFloats(String name, long[] shape, float[] values) {
    Tensor t = allocate(name, DType.FLOAT32, shape);
    t.data().duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer().put(values);
    return t;
  }

  /** A float32 tensor's elements, copied. */
  public float[] floats() {
    float[] f = new float[(int) elements(shape)];
    data.duplicate().order(ByteOrder.nativeOrder()).asFloatBuffer().get(f);
    return f;
  }

  /** An int32 tensor holding a copy of {@code values}, shape {@code [values.length]}. */
  public static Tensor ofInts(String name, int[] values) {
    Tensor t = allocate(name, DType.INT32, new long[] {values.length});
    t.data().duplicate().order(ByteOrder.nativeOrder()).asIntBuffer().put(values);
    return t;
  }

  /** An int32 tensor's elements, copied. */
  public int[] ints() {
    int[] v = new int[(int) elements(shape)];
    data.duplicate().order(ByteOrder.nativeOrder()).asIntBuffer().get(v);
    return v;
  }

  /** The same tensor under another name. */
  public Tensor named(String newName) {
    return new Tensor(newName, dtype, shape, data);
  }

  @Override
  public long[] shape() {
    return shape.clone();
  }

  /** The number of elements of a shape (1 for a scalar). */
  public static long elements(long[] shape) {
    long n = 1;
    for (long d : shape) {
      if (d < 0) {
        throw new IllegalArgumentException("negative dimension in " + Arrays.toString(shape));
      }
      n = Math.multiplyExact(n, d);
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Tensor t && name.equals(t.name) && dtype == t.dtype && Arrays.equals(shape, t.shape)
        && data.equals(t.data);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, dtype, Arrays.hashCode(shape));
  }

  @Override
  public String toString() {
    return name + " " + dtype.descr() + Arrays.toString(shape);
  }
}
