package org.ckpt4j.trainer;

import java.io.EOFException;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ckpt4j.spi.CorruptCheckpointException;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * NumPy {@code .npy} (format 1.0) for ND4J arrays, streamed through channels straight from and into the arrays'
 * native buffers: {@code numpy.load} reads what {@link #write} writes. Only C-order arrays of float32, float64,
 * int32 and int64 in the machine's byte order.
 */
final class Npy {
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern HEADER = Pattern.compile(
      "\\{\\s*'descr':\\s*'([<>|=][a-z][0-9]+)',\\s*'fortran_order':\\s*(True|False),\\s*'shape':\\s*\\(([0-9,\\s]*)\\),?\\s*}\\s*");
  private static final char ORDER = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? '<' : '>';

  private Npy() {}

  /** The NumPy type string of an ND4J data type. */
  static String descr(DataType type) {
    switch (type) {
      case FLOAT: return ORDER + "f4";
      case DOUBLE: return ORDER + "f8";
      case INT: return ORDER + "i4";
      case LONG: return ORDER + "i8";
      default: throw new IllegalArgumentException("unsupported tensor data type " + type
          + " (supported: FLOAT, DOUBLE, INT, LONG)");
    }
  }

  static DataType dataType(String descr) {
    for (DataType t : new DataType[] {DataType.FLOAT, DataType.DOUBLE, DataType.INT, DataType.LONG}) {
      if (descr(t).equals(descr)) {
        return t;
      }
    }
    return null;
  }

  /** The complete header (magic, version, length, dictionary, padding) for an array of this type and shape. */
  static ByteBuffer header(DataType type, long[] shape) {
    StringBuilder dims = new StringBuilder();
    for (int k = 0; k < shape.length; k++) {
      dims.append(k == 0 ? "" : ", ").append(shape[k]);
    }
    if (shape.length == 1) {
      dims.append(',');
    }
    String dict = "{'descr': '" + descr(type) + "', 'fortran_order': False, 'shape': (" + dims + "), }";
    int unpadded = MAGIC.length + 4 + dict.length() + 1;
    int padding = (64 - unpadded % 64) % 64;
    String text = dict + " ".repeat(padding) + "\n";
    ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 4 + text.length()).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length());
    b.put(text.getBytes(StandardCharsets.US_ASCII));
    return b.flip();
  }

  /**
   * The array's elements as a view of its native buffer (no copy); the array must be a dense C-order array.
   */
  static ByteBuffer dataView(INDArray arr) {
    if (arr.ordering() != 'c' || arr.isView() || arr.data().length() != arr.length()) {
      throw new IllegalArgumentException("expected a dense C-order array that owns its buffer, got a "
          + (arr.isView() ? "view" : arr.ordering() + "-order array"));
    }
    long bytes = arr.length() * arr.dataType().width();
    ByteBuffer nio = arr.data().asNio();
    long start = arr.offset() * arr.dataType().width();
    return nio.duplicate().position((int) start).limit((int) (start + bytes)).slice();
  }

  /** Whether {@link #dataView} can view the array as is: C order, not a view, owning exactly its elements. */
  static boolean isDense(INDArray arr) {
    return arr.ordering() == 'c' && !arr.isView() && arr.data().length() == arr.length();
  }

  /** Writes an array as one {@code .npy} blob. */
  static void write(WritableByteChannel ch, INDArray arr) throws IOException {
    INDArray dense = isDense(arr) ? arr : arr.dup('c');
    writeFully(ch, header(dense.dataType(), dense.shape()));
    writeFully(ch, dataView(dense));
  }

  static void writeFully(WritableByteChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  /**
   * Reads one {@code .npy} blob into a new array, then reads the channel to its end so that the store verifies
   * the blob before the array is used.
   *
   * @param expectedShape the shape the caller needs, or null to accept any
   * @throws CorruptCheckpointException if the blob is not a supported {@code .npy}, has another type or shape,
   *     or is longer or shorter than its header says
   */
  static INDArray read(ReadableByteChannel ch, URI uri, String name, DataType expectedType, long[] expectedShape)
      throws IOException {
    Header h = readHeader(ch, uri, name, expectedType, expectedShape);
    INDArray arr = Nd4j.create(h.type(), h.shape(), 'c');
    if (arr.length() > 0) {
      readFully(ch, dataView(arr), uri, name);
    }
    if (ch.read(ByteBuffer.allocate(1)) != -1) {
      throw new CorruptCheckpointException(uri, name, "more data than its .npy header declares");
    }
    return arr;
  }

  /** A tensor's type and shape, as its {@code .npy} header gives them. */
  record Header(DataType type, long[] shape) {}

  /**
   * The bytes {@link #write} puts before the elements of an array of this type and shape: what a scatter read
   * ({@link org.ckpt4j.spi.Checkpoint#readInto}) reads into a buffer of its own, the elements going straight
   * into the array.
   */
  static int headerLength(DataType type, long[] shape) {
    return header(type, shape).remaining();
  }

  /**
   * Checks a header read apart from its elements: exactly one {@code .npy} header, of the expected type and
   * shape. @throws CorruptCheckpointException if not
   */
  static void checkHeader(ByteBuffer header, URI uri, String name, DataType type, long[] shape)
      throws IOException {
    ReadableByteChannel ch = java.nio.channels.Channels.newChannel(new java.io.ByteArrayInputStream(
        header.array(), header.arrayOffset(), header.limit()));
    readHeader(ch, uri, name, type, shape);
    if (ch.read(ByteBuffer.allocate(1)) != -1) {
      throw new CorruptCheckpointException(uri, name, ".npy header shorter than expected for shape "
          + Arrays.toString(shape));
    }
  }

  private static Header readHeader(ReadableByteChannel ch, URI uri, String name, DataType expectedType,
      long[] expectedShape) throws IOException {
    ByteBuffer prefix = ByteBuffer.allocate(MAGIC.length + 4).order(ByteOrder.LITTLE_ENDIAN);
    readFully(ch, prefix, uri, name);
    prefix.flip();
    byte[] magic = new byte[MAGIC.length];
    prefix.get(magic);
    byte major = prefix.get();
    prefix.get();
    if (!Arrays.equals(magic, MAGIC) || major != 1) {
      throw new CorruptCheckpointException(uri, name, "not a NumPy .npy version 1 file");
    }
    int headerLength = Short.toUnsignedInt(prefix.getShort());
    ByteBuffer header = ByteBuffer.allocate(headerLength);
    readFully(ch, header, uri, name);
    String dict = new String(header.array(), StandardCharsets.US_ASCII);
    Matcher m = HEADER.matcher(dict);
    if (!m.matches() || "True".equals(m.group(2))) {
      throw new CorruptCheckpointException(uri, name, "unsupported .npy header " + dict.trim());
    }
    DataType type = dataType(m.group(1));
    if (type == null || (expectedType != null && type != expectedType)) {
      throw new CorruptCheckpointException(uri, name, "tensor type " + m.group(1) + ", expected "
          + (expectedType == null ? "one of <f4 <f8 <i4 <i8" : descr(expectedType)));
    }
    long[] shape = parseShape(m.group(3), uri, name);
    if (expectedShape != null && !Arrays.equals(shape, expectedShape)) {
      throw new CorruptCheckpointException(uri, name, "tensor shape " + Arrays.toString(shape) + ", expected "
          + Arrays.toString(expectedShape));
    }
    return new Header(type, shape);
  }

  /** ND4J's highest rank. */
  static final int MAX_RANK = 32;

  private static long[] parseShape(String dims, URI uri, String name) throws CorruptCheckpointException {
    String[] parts = dims.trim().split("\\s*,\\s*", -1);
    long[] shape = new long[parts.length];
    int rank = 0;
    for (int k = 0; k < parts.length; k++) {
      if (parts[k].isEmpty()) {
        if (k == parts.length - 1) { // "()", "(n,)" and a trailing comma, as numpy writes and reads them
          continue;
        }
        throw new CorruptCheckpointException(uri, name, ".npy header field shape: empty dimension in (" + dims + ")");
      }
      if (rank == MAX_RANK) {
        throw new CorruptCheckpointException(uri, name, ".npy header field shape: more than " + MAX_RANK
            + " dimensions");
      }
      try {
        shape[rank++] = Long.parseLong(parts[k]);
      } catch (NumberFormatException e) {
        throw new CorruptCheckpointException(uri, name, ".npy header field shape: dimension "
            + (parts[k].length() > 30 ? parts[k].substring(0, 30) + "..." : parts[k]) + " is out of range", e);
      }
    }
    long elements = 1;
    for (int k = 0; k < rank; k++) {
      if (shape[k] > Integer.MAX_VALUE) {
        throw new CorruptCheckpointException(uri, name, ".npy header field shape: dimension " + shape[k]
            + " is out of range");
      }
      elements *= Math.max(1, shape[k]);
      if (elements > Integer.MAX_VALUE) {
        throw new CorruptCheckpointException(uri, name, ".npy header field shape: more than " + Integer.MAX_VALUE
            + " elements");
      }
    }
    return Arrays.copyOf(shape, rank);
  }

  static void readFully(ReadableByteChannel ch, ByteBuffer b, URI uri, String name) throws IOException {
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        throw new CorruptCheckpointException(uri, name, "ends early", new EOFException());
      }
    }
  }
}
