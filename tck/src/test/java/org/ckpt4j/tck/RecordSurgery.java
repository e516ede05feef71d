package org.ckpt4j.tck;

/** The kit's record surgery, for the broken stores of the self-test (another package). */
public final class RecordSurgery {
  private RecordSurgery() {}

  /**
   * Whether a log record would pass a reader's verification, as far as the broken stores need to tell: not
   * larger than 1 MiB, its checksum matches, its {@code base} a number.
   */
  public static boolean readable(byte[] record) {
    return record.length <= (1 << 20) && Records.sealedOk(record)
        && Records.text(record).matches("(?s).*\"base\":\\d.*");
  }

  /** {@link Records#reseal}. */
  public static byte[] reseal(byte[] record) {
    return Records.reseal(record);
  }
}
