package org.ckpt4j.spark;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * What a {@link TcpRing} exchange sends and receives: a float, double or byte array, little-endian on the wire.
 * Encoding and decoding are bulk copies between the array and a direct buffer (a {@code memcpy} on a
 * little-endian machine); received elements are first copied to a scratch array and then added in a plain loop,
 * which the JIT vectorizes (reading element by element through a buffer view does not).
 */
abstract class RingElements {
  abstract int length();

  /** Bytes per element. */
  abstract int width();

  /** Writes elements {@code [from, from+n)} at {@code dst}'s position (advancing it). */
  abstract void encode(int from, int n, ByteBuffer dst);

  /** {@code buf[from + i] = received[i] + buf[from + i]}: the partial sum of earlier workers first. */
  abstract void addInto(int from, int n, ByteBuffer src);

  /** {@code buf[from + i] = received[i]}. */
  abstract void copyInto(int from, int n, ByteBuffer src);

  static ByteBuffer le(ByteBuffer b) {
    return b.order(ByteOrder.LITTLE_ENDIAN);
  }

  static final class Floats extends RingElements {
    private final float[] buf;
    private final float[] scratch;

    /** {@code scratch}: at least as long as the largest decode ({@link RingLink#IN_BYTES} / 4). */
    Floats(float[] buf, float[] scratch) {
      this.buf = buf;
      this.scratch = scratch;
    }

    @Override
    int length() {
      return buf.length;
    }

    @Override
    int width() {
      return 4;
    }

    @Override
    void encode(int from, int n, ByteBuffer dst) {
      le(dst.slice()).asFloatBuffer().put(buf, from, n);
      dst.position(dst.position() + n * 4);
    }

    @Override
    void addInto(int from, int n, ByteBuffer src) {
      le(src.slice()).asFloatBuffer().get(scratch, 0, n);
      src.position(src.position() + n * 4);
      float[] b = buf;
      float[] s = scratch;
      for (int i = 0; i < n; i++) {
        b[from + i] = s[i] + b[from + i];
      }
    }

    @Override
    void copyInto(int from, int n, ByteBuffer src) {
      le(src.slice()).asFloatBuffer().get(buf, from, n);
      src.position(src.position() + n * 4);
    }
  }

  static final class Doubles extends RingElements {
    private final double[] buf;
    private final double[] scratch;

    /** {@code scratch}: at least as long as the largest decode ({@link RingLink#IN_BYTES} / 8). */
    Doubles(double[] buf, double[] scratch) {
      this.buf = buf;
      this.scratch = scratch;
    }

    @Override
    int length() {
      return buf.length;
    }

    @Override
    int width() {
      return 8;
    }

    @Override
    void encode(int from, int n, ByteBuffer dst) {
      le(dst.slice()).asDoubleBuffer().put(buf, from, n);
      dst.position(dst.position() + n * 8);
    }

    @Override
    void addInto(int from, int n, ByteBuffer src) {
      le(src.slice()).asDoubleBuffer().get(scratch, 0, n);
      src.position(src.position() + n * 8);
      double[] b = buf;
      double[] s = scratch;
      for (int i = 0; i < n; i++) {
        b[from + i] = s[i] + b[from + i];
      }
    }

    @Override
    void copyInto(int from, int n, ByteBuffer src) {
      le(src.slice()).asDoubleBuffer().get(buf, from, n);
      src.position(src.position() + n * 8);
    }
  }

  /** The bytes of an allGather: sent as they are; never added. */
  static final class Bytes extends RingElements {
    private final byte[] buf;

    Bytes(byte[] buf) {
      this.buf = buf;
    }

    byte[] array() {
      return buf;
    }

    @Override
    int length() {
      return buf.length;
    }

    @Override
    int width() {
      return 1;
    }

    @Override
    void encode(int from, int n, ByteBuffer dst) {
      dst.put(buf, from, n);
    }

    @Override
    void addInto(int from, int n, ByteBuffer src) {
      throw new UnsupportedOperationException("bytes are gathered, not added");
    }

    @Override
    void copyInto(int from, int n, ByteBuffer src) {
      src.get(buf, from, n);
    }
  }
}
