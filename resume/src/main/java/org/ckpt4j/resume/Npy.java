package org.ckpt4j.resume;

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

/**
 * NumPy {@code .npy} (format 1.0), the format of every tensor blob: {@code numpy.load} reads what {@link #write}
 * writes. Only C-order tensors of the {@link DType}s in the machine's byte order. Public for trainers that
 * stream their own arrays (the ND4J trainer writes straight from native buffers) and for tools.
 */
public final class Npy {
  /** The highest rank a header may declare (ND4J's). */
  public static final int MAX_RANK = 32;
  private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
  private static final Pattern HEADER = Pattern.compile(
      "\\{\\s*'descr':\\s*'([<>|=][a-z][0-9]+)',\\s*'fortran_order':\\s*(True|False),\\s*'shape':\\s*"
          + "\\(([0-9,\\s]*)\\),?\\s*}\\s*");

  private Npy() {}

  /** A tensor's type and shape, as its {@code .npy} header gives them. */
  public record Header(DType type, long[] shape) {}

  /** The complete header (magic, version, length, dictionary, padding) for a tensor of this type and shape. */
  public static ByteBuffer header(DType type, long[] shape) {
    StringBuilder dims = new StringBuilder();
    for (int k = 0; k < shape.length; k++) {
      dims.append(k == 0 ? "" : ", ").append(shape[k]);
    }
    if (shape.length == 1) {
      dims.append(',');
    }
    String dict = "{'descr': '" + type.descr() + "', 'fortran_order': False, 'shape': (" + dims + "), }";
    int unpadded = MAGIC.length + 4 + dict.length() + 1;
    int padding = (64 - unpadded % 64) % 64;
    String text = dict + " ".repeat(padding) + "\n";
    ByteBuffer b = ByteBuffer.allocate(MAGIC.length + 4 + text.length()).order(ByteOrder.LITTLE_ENDIAN);
    b.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) text.length());
    b.put(text.getBytes(StandardCharsets.US_ASCII));
    return b.flip();
  }

  /** The bytes {@link #header} puts before the elements. */
  public static int headerLength(DType type, long[] shape) {
    return header(type, shape).remaining();
  }

  /** The size of a whole {@code .npy} blob of this type and shape. */
  public static long blobSize(DType type, long[] shape) {
    return Math.addExact(headerLength(type, shape), Math.multiplyExact(Tensor.elements(shape), type.width()));
  }

  /** Writes a tensor as one {@code .npy} blob (its data buffer is not moved). */
  public static void write(WritableByteChannel ch, Tensor t) throws IOException {
    writeFully(ch, header(t.dtype(), t.shape()));
    writeFully(ch, t.data().duplicate());
  }

  public static void writeFully(WritableByteChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  /**
   * Reads one {@code .npy} blob of the expected type and shape into {@code target}'s data, then reads the
   * channel to its end so that the store verifies the blob before the tensor is used.
   *
   * @throws CorruptCheckpointException if the blob is not a supported {@code .npy}, has another type or shape,
   *     or is longer or shorter than its header says
   */
  public static void readInto(ReadableByteChannel ch, URI uri, Tensor target) throws IOException {
    readHeader(ch, uri, target.name(), target.dtype(), target.shape());
    ByteBuffer data = target.data().duplicate();
    if (data.hasRemaining()) {
      readFully(ch, data, uri, target.name());
    }
    expectEnd(ch, uri, target.name());
  }

  /** Fails unless the channel is at its end. */
  public static void expectEnd(ReadableByteChannel ch, URI uri, String name) throws IOException {
    if (ch.read(ByteBuffer.allocate(1)) != -1) {
      throw new CorruptCheckpointException(uri, name, "more data than its .npy header declares");
    }
  }

  /**
   * Checks a header read apart from its elements: exactly one {@code .npy} header, of the expected type and
   * shape. @throws CorruptCheckpointException if not
   */
  public static void checkHeader(ByteBuffer header, URI uri, String name, DType type, long[] shape)
      throws IOException {
    ReadableByteChannel ch = java.nio.channels.Channels.newChannel(new java.io.ByteArrayInputStream(
        header.array(), header.arrayOffset(), header.limit()));
    readHeader(ch, uri, name, type, shape);
    if (ch.read(ByteBuffer.allocate(1)) != -1) {
      throw new CorruptCheckpointException(uri, name, ".npy header shorter than expected for shape "
          + Arrays.toString(shape));
    }
  }

  /**
   * Reads and checks a {@code .npy} header.
   *
   * @param expectedType null to accept any supported type
   * @param expectedShape null to accept any shape
   */
  public static Header readHeader(ReadableByteChannel ch, URI uri, String name, DType expectedType,
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
    DType type = DType.ofDescr(m.group(1));
    if (type == null || (expectedType != null && type != expectedType)) {
      throw new CorruptCheckpointException(uri, name, "tensor type " + m.group(1) + ", expected "
          + (expectedType == null ? "one of " + DType.accepted() : expectedType.descr()));
    }
    long[] shape = parseShape(m.group(3), uri, name);
    if (expectedShape != null && !Arrays.equals(shape, expectedShape)) {
      throw new CorruptCheckpointException(uri, name, "tensor shape " + Arrays.toString(shape) + ", expected "
          + Arrays.toString(expectedShape));
    }
    return new Header(type, shape);
  }

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

  public static void readFully(ReadableByteChannel ch, ByteBuffer b, URI uri, String name) throws IOException {
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        throw new CorruptCheckpointException(uri, name, "ends early", new EOFException());
      }
    }
  }
}
