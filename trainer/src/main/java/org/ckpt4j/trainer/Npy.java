package org.ckpt4j.trainer;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import org.ckpt4j.resume.DType;
import org.ckpt4j.resume.Tensor;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * NumPy {@code .npy} for ND4J arrays ({@link org.ckpt4j.resume.Npy} does the format), streamed through channels
 * straight from and into the arrays' native buffers, and ND4J arrays as the neutral {@link Tensor}s that
 * {@code ckpt4j-resume} saves: a tensor of a dense array is a view of its memory (no copy). Only C-order arrays of
 * float32, float64, int32 and int64 in the machine's byte order.
 */
final class Npy {
  private Npy() {}

  /** The neutral type of an ND4J data type. */
  static DType dtype(DataType type) {
    switch (type) {
      case FLOAT: return DType.FLOAT32;
      case DOUBLE: return DType.FLOAT64;
      case INT: return DType.INT32;
      case LONG: return DType.INT64;
      default: throw new IllegalArgumentException("unsupported tensor data type " + type
          + " (supported: FLOAT, DOUBLE, INT, LONG)");
    }
  }

  static DataType dataType(DType type) {
    switch (type) {
      case FLOAT32: return DataType.FLOAT;
      case FLOAT64: return DataType.DOUBLE;
      case INT32: return DataType.INT;
      default: return DataType.LONG;
    }
  }

  /** The NumPy type string of an ND4J data type. */
  static String descr(DataType type) {
    return dtype(type).descr();
  }

  /** The complete header (magic, version, length, dictionary, padding) for an array of this type and shape. */
  static ByteBuffer header(DataType type, long[] shape) {
    return org.ckpt4j.resume.Npy.header(dtype(type), shape);
  }

  static int headerLength(DataType type, long[] shape) {
    return org.ckpt4j.resume.Npy.headerLength(dtype(type), shape);
  }

  /** The array's elements as a view of its native buffer (no copy); the array must be a dense C-order array. */
  static ByteBuffer dataView(INDArray arr) {
    if (!isDense(arr)) {
      throw new IllegalArgumentException("expected a dense C-order array that owns its buffer, got a "
          + (arr.isView() ? "view" : arr.ordering() + "-order array"));
    }
    long bytes = arr.length() * arr.dataType().width();
    ByteBuffer nio = arr.data().asNio();
    long start = arr.offset() * arr.dataType().width();
    return nio.duplicate().position((int) start).limit((int) (start + bytes)).slice()
        .order(java.nio.ByteOrder.nativeOrder());
  }

  /** Whether {@link #dataView} can view the array as is: C order, not a view, owning exactly its elements. */
  static boolean isDense(INDArray arr) {
    return arr.ordering() == 'c' && !arr.isView() && arr.data().length() == arr.length();
  }

  /** The array as a neutral tensor: a view of its memory if dense, else of a dense copy. */
  static Tensor tensor(String name, INDArray arr) {
    INDArray dense = isDense(arr) ? arr : arr.dup('c');
    return new Tensor(name, dtype(dense.dataType()), dense.shape(), dataView(dense));
  }

  /** Writes an array as one {@code .npy} blob. */
  static void write(WritableByteChannel ch, INDArray arr) throws IOException {
    org.ckpt4j.resume.Npy.write(ch, tensor("array", arr));
  }

  static void writeFully(WritableByteChannel ch, ByteBuffer b) throws IOException {
    org.ckpt4j.resume.Npy.writeFully(ch, b);
  }

  /**
   * Reads one {@code .npy} blob into a new array, then reads the channel to its end so that the store verifies
   * the blob before the array is used.
   *
   * @param expectedShape the shape the caller needs, or null to accept any
   * @throws org.ckpt4j.spi.CorruptCheckpointException if the blob is not a supported {@code .npy}, has another
   *     type or shape, or is longer or shorter than its header says
   */
  static INDArray read(ReadableByteChannel ch, URI uri, String name, DataType expectedType, long[] expectedShape)
      throws IOException {
    org.ckpt4j.resume.Npy.Header h = org.ckpt4j.resume.Npy.readHeader(ch, uri, name,
        expectedType == null ? null : dtype(expectedType), expectedShape);
    INDArray arr = Nd4j.create(dataType(h.type()), h.shape(), 'c');
    if (arr.length() > 0) {
      org.ckpt4j.resume.Npy.readFully(ch, dataView(arr), uri, name);
    }
    org.ckpt4j.resume.Npy.expectEnd(ch, uri, name);
    return arr;
  }

  /**
   * Checks a header read apart from its elements: exactly one {@code .npy} header, of the expected type and
   * shape. @throws org.ckpt4j.spi.CorruptCheckpointException if not
   */
  static void checkHeader(ByteBuffer header, URI uri, String name, DataType type, long[] shape)
      throws IOException {
    org.ckpt4j.resume.Npy.checkHeader(header, uri, name, dtype(type), shape);
  }
}
