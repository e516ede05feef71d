package org.ckpt4j.resume;

import java.nio.ByteOrder;

/**
 * The element types a checkpoint's tensors may have, with their NumPy type strings. Elements are stored in the
 * machine's byte order (little-endian on x86-64 and ARM64), as the {@code .npy} header says.
 */
public enum DType {
  FLOAT32("f4", 4),
  FLOAT64("f8", 8),
  INT32("i4", 4),
  INT64("i8", 8);

  private static final char ORDER = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN ? '<' : '>';
  private final String code;
  private final int width;

  DType(String code, int width) {
    this.code = code;
    this.width = width;
  }

  /** Bytes per element. */
  public int width() {
    return width;
  }

  /** The NumPy type string, e.g. {@code <f4}. */
  public String descr() {
    return ORDER + code;
  }

  /** The type of a NumPy type string, or null if it is none of these (or of the other byte order). */
  public static DType ofDescr(String descr) {
    for (DType t : values()) {
      if (t.descr().equals(descr)) {
        return t;
      }
    }
    return null;
  }

  /** The type strings this enum accepts, for error messages. */
  static String accepted() {
    StringBuilder sb = new StringBuilder();
    for (DType t : values()) {
      sb.append(sb.length() == 0 ? "" : " ").append(t.descr());
    }
    return sb.toString();
  }
}
