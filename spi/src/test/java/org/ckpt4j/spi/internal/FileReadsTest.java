package org.ckpt4j.spi.internal;


import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileReadsTest {
  @TempDir Path dir;

  @Test
  void combine_isTheChecksumOfTheConcatenation_atEverySplit() {
    SplittableRandom r = new SplittableRandom(7);
    for (int trial = 0; trial < 200; trial++) {
      byte[] data = new byte[r.nextInt(trial < 100 ? 64 : 300_000)];
      r.nextBytes(data);
      int split = r.nextInt(data.length + 1);
      long a = crc(data, 0, split);
      long b = crc(data, split, data.length - split);
      assertThat(Checksums.combine(a, b, data.length - split)).as("split %d of %d", split, data.length)
          .isEqualTo(crc(data, 0, data.length));
    }
  }

  @Test
  void combine_isConsistentForLengthsTooLargeToChecksumHere() {
    // (a b) c == a (b c), with lengths of up to 2^62 bytes
    SplittableRandom r = new SplittableRandom(11);
    for (int trial = 0; trial < 100; trial++) {
      long a = r.nextLong() & 0xffffffffL;
      long b = r.nextLong() & 0xffffffffL;
      long c = r.nextLong() & 0xffffffffL;
      long lb = r.nextLong(1L << 62);
      long lc = r.nextLong(1L << 62);
      assertThat(Checksums.combine(Checksums.combine(a, b, lb), c, lc))
          .isEqualTo(Checksums.combine(a, Checksums.combine(b, c, lc), lb + lc));
    }
  }

  @Test
  void appendedParts_checksumLikeOneStream() {
    byte[] data = new byte[1 << 20];
    new SplittableRandom(3).nextBytes(data);
    Checksums sums = new Checksums();
    sums.queue(ByteBuffer.wrap(data, 0, 1000));
    sums.append(crc(data, 1000, 5000), 5000);
    sums.queue(ByteBuffer.wrap(data, 6000, 10));
    sums.append(crc(data, 6010, data.length - 6010), data.length - 6010);
    assertThat(sums.value()).isEqualTo(crc(data, 0, data.length));
  }

  @Test
  void reads_returnTheFileBytesAndTheirChecksum_forSmallAndSplitReads() throws IOException {
    byte[] data = new byte[3 * FileReads.PIECE + 12_345];
    new SplittableRandom(5).nextBytes(data);
    Path file = Files.write(dir.resolve("pack"), data);
    SplittableRandom r = new SplittableRandom(9);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); FileReads reads = new FileReads(ch, "k")) {
      int[] lengths = {0, 1, 4095, FileReads.SPLIT_MIN - 1, FileReads.SPLIT_MIN, FileReads.SPLIT_MIN + 1,
          FileReads.PIECE, 2 * FileReads.PIECE + 3, data.length};
      for (int length : lengths) {
        for (boolean direct : new boolean[] {true, false}) {
          int position = r.nextInt(data.length - length + 1);
          ByteBuffer dst = direct ? ByteBuffer.allocateDirect(length + 20) : ByteBuffer.allocate(length + 20);
          dst.position(7).limit(7 + length);
          FileReads.Result res = reads.read(dst, position);
          assertThat(res.count()).as("length %d", length).isEqualTo(length);
          assertThat(dst.position()).isEqualTo(7 + length);
          assertThat(res.crc()).isEqualTo(crc(data, position, length));
          byte[] got = new byte[length];
          dst.position(7);
          dst.get(got);
          assertThat(got).isEqualTo(Arrays.copyOfRange(data, position, position + length));
        }
      }
    }
  }

  @Test
  void aReadPastTheEnd_countsOnlyWhatTheFileHas_andAtTheEndItIsMinusOne() throws IOException {
    byte[] data = new byte[FileReads.PIECE + 1000];
    new SplittableRandom(6).nextBytes(data);
    Path file = Files.write(dir.resolve("short"), data);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ); FileReads reads = new FileReads(ch, "k")) {
      ByteBuffer dst = ByteBuffer.allocateDirect(4 * FileReads.PIECE);
      FileReads.Result res = reads.read(dst, 100);
      assertThat(res.count()).isEqualTo(data.length - 100);
      assertThat(dst.position()).isEqualTo(data.length - 100);
      assertThat(res.crc()).isEqualTo(crc(data, 100, data.length - 100));
      assertThat(reads.read(ByteBuffer.allocate(FileReads.PIECE * 2), data.length).count()).isEqualTo(-1);
      assertThat(reads.read(ByteBuffer.allocate(10), data.length + 5).count()).isEqualTo(-1);
    }
  }

  @Test
  void largeReads_useTheHelperThread_andReleaseItForTheNextSession() throws IOException {
    byte[] data = new byte[4 * FileReads.PIECE];
    new SplittableRandom(8).nextBytes(data);
    Path file = Files.write(dir.resolve("big"), data);
    for (int session = 0; session < 3; session++) {
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
          FileReads reads = new FileReads(ch, "k")) {
        ByteBuffer dst = ByteBuffer.allocateDirect(data.length);
        assertThat(reads.read(dst, 0).crc()).isEqualTo(crc(data, 0, data.length));
      }
    }
    assertThat(Thread.getAllStackTraces().keySet()).anySatisfy(t -> assertThat(t.getName()).startsWith(
        "ckpt4j-read-"));
  }

  @Test
  void aFailedRead_namesTheObject() throws IOException {
    Path file = Files.write(dir.resolve("closed"), new byte[FileReads.PIECE * 2]);
    FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
    ch.close();
    try (FileReads reads = new FileReads(ch, "data/x/pack-00000")) {
      for (int length : new int[] {FileReads.PIECE * 2, 100}) { // split and alone
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> reads.read(ByteBuffer.allocate(length), 0))
            .isInstanceOf(IOException.class).hasMessageContaining("data/x/pack-00000");
      }
    }
  }

  @Test
  void pieces_fillTheirViews_withCountsAndChecksums_byOneThreadOrTwo_andShortWhereTheFileEnds()
      throws IOException {
    byte[] data = new byte[3 * FileReads.PIECE + 123];
    new SplittableRandom(9).nextBytes(data);
    Path file = Files.write(dir.resolve("pieces"), data);
    for (int count : new int[] {3, 200}) { // 3 small pieces: the caller alone; 200: past SPLIT_MIN, both threads
      SplittableRandom r = new SplittableRandom(count);
      long[] positions = new long[count];
      ByteBuffer[] views = new ByteBuffer[count];
      ByteBuffer target = ByteBuffer.allocateDirect(count * FileReads.PIECE);
      long total = 0;
      for (int k = 0; k < count; k++) {
        int length = k == count - 1 ? FileReads.PIECE : 1 + r.nextInt(FileReads.PIECE);
        positions[k] = k == count - 1 ? data.length - 100 : r.nextInt(data.length - length + 1);
        views[k] = target.duplicate().limit(k * FileReads.PIECE + length).position(k * FileReads.PIECE);
        total += length;
      }
      int[] counts = new int[count];
      long[] crcs = new long[count];
      try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
          FileReads reads = new FileReads(ch, "k")) {
        reads.readPieces(positions, views, counts, crcs, total);
      }
      for (int k = 0; k < count; k++) {
        int expected = k == count - 1 ? 100 : views[k].limit() - k * FileReads.PIECE; // the last runs off the end
        assertThat(counts[k]).as("piece %d of %d", k, count).isEqualTo(expected);
        assertThat(crcs[k]).as("piece %d of %d", k, count).isEqualTo(crc(data, (int) positions[k], expected));
        byte[] got = new byte[expected];
        target.duplicate().position(k * FileReads.PIECE).get(got);
        assertThat(got).isEqualTo(Arrays.copyOfRange(data, (int) positions[k], (int) positions[k] + expected));
      }
    }
  }

  private static long crc(byte[] data, int offset, int length) {
    CRC32 c = new CRC32();
    c.update(data, offset, length);
    return c.getValue();
  }
}
