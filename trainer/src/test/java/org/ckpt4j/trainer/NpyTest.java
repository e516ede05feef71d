package org.ckpt4j.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;
import org.ckpt4j.spi.CorruptCheckpointException;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class NpyTest {

  private static INDArray roundTrip(INDArray a, Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      Npy.write(ch, a);
    }
    try (FileChannel ch = FileChannel.open(file)) {
      return Npy.read(ch, file.toUri(), file.getFileName().toString(), null, null);
    }
  }

  @Test
  void headersAreAlignedTo64Bytes_andArraysRoundTripBitForBit(@TempDir Path tmp) throws IOException {
    INDArray[] arrays = {
        Nd4j.rand(DataType.FLOAT, 3, 7), Nd4j.rand(DataType.DOUBLE, 5), Nd4j.createFromArray(1, -2, 3),
        Nd4j.createFromArray(1L << 40, -1L), Nd4j.rand(DataType.FLOAT, 2, 3, 4), Nd4j.rand(DataType.FLOAT, 4, 3).getRow(1)
    };
    for (int k = 0; k < arrays.length; k++) {
      ByteBuffer h = Npy.header(arrays[k].dataType(), arrays[k].shape());
      assertThat(h.remaining() % 64).isZero();
      INDArray back = roundTrip(arrays[k], tmp.resolve(k + ".npy"));
      assertThat(back.shape()).isEqualTo(arrays[k].shape());
      assertThat(back).isEqualTo(arrays[k]);
    }
  }

  @Test
  void aTruncatedOrMismatchedBlobIsCorrupt_neverData(@TempDir Path tmp) throws IOException {
    Path f = tmp.resolve("w.npy");
    roundTrip(Nd4j.rand(DataType.FLOAT, 4, 4), f);
    byte[] all = Files.readAllBytes(f);
    Files.write(f, java.util.Arrays.copyOf(all, all.length - 3));
    try (FileChannel ch = FileChannel.open(f)) {
      assertThatThrownBy(() -> Npy.read(ch, f.toUri(), "w.npy", DataType.FLOAT, new long[] {4, 4}))
          .isInstanceOf(CorruptCheckpointException.class).hasMessageContaining("ends early");
    }
    Files.write(f, all);
    try (FileChannel ch = FileChannel.open(f)) {
      assertThatThrownBy(() -> Npy.read(ch, f.toUri(), "w.npy", DataType.FLOAT, new long[] {4, 5}))
          .isInstanceOfSatisfying(CorruptCheckpointException.class,
              e -> assertThat(e.objectName()).contains("w.npy"));
    }
  }

  @Test
  void aHeaderReadApart_isCheckedForTypeShapeAndLength() {
    long[] shape = {4, 6};
    ByteBuffer good = Npy.header(DataType.FLOAT, shape);
    assertThat(Npy.headerLength(DataType.FLOAT, shape)).isEqualTo(good.remaining());
    java.net.URI uri = java.net.URI.create("file:/backups/run");
    org.assertj.core.api.Assertions.assertThatCode(() -> Npy.checkHeader(good.duplicate(), uri, "w.npy",
        DataType.FLOAT, shape)).doesNotThrowAnyException();
    // same length, other shape (what a scatter read of a same-sized tensor of another shape would get)
    ByteBuffer transposed = Npy.header(DataType.FLOAT, new long[] {6, 4});
    assertThat(transposed.remaining()).isEqualTo(good.remaining());
    assertThatThrownBy(() -> Npy.checkHeader(transposed, uri, "w.npy", DataType.FLOAT, shape))
        .isInstanceOf(CorruptCheckpointException.class).hasMessageContaining("tensor shape [6, 4], expected [4, 6]");
    ByteBuffer otherType = Npy.header(DataType.INT, shape);
    assertThatThrownBy(() -> Npy.checkHeader(otherType, uri, "w.npy", DataType.FLOAT, shape))
        .isInstanceOf(CorruptCheckpointException.class).hasMessageContaining("tensor type <i4");
    ByteBuffer garbage = ByteBuffer.wrap(new byte[good.remaining()]);
    assertThatThrownBy(() -> Npy.checkHeader(garbage, uri, "w.npy", DataType.FLOAT, shape))
        .isInstanceOf(CorruptCheckpointException.class).hasMessageContaining("not a NumPy .npy");
    ByteBuffer padded = ByteBuffer.allocate(good.remaining() + 3).put(good.duplicate()).flip().limit(
        good.remaining() + 3);
    assertThatThrownBy(() -> Npy.checkHeader(padded, uri, "w.npy", DataType.FLOAT, shape))
        .isInstanceOf(CorruptCheckpointException.class).hasMessageContaining("header shorter than expected");
  }

  /** What the trainer writes, numpy.load reads (the Python interoperability promise of the layout). */
  @Test
  void numpyLoadsWhatTheTrainerWrites(@TempDir Path tmp) throws Exception {
    Assumptions.assumeTrue(numpyAvailable(), "not applicable: python3 with numpy is not installed");
    INDArray w = Nd4j.createFromArray(new float[][] {{1.5f, -2f, 3.25f}, {0f, 1e-8f, -7f}});
    INDArray steps = Nd4j.createFromArray(4L, 5L);
    roundTrip(w, tmp.resolve("w.npy"));
    roundTrip(steps, tmp.resolve("s.npy"));
    String out = python(tmp, "import numpy as np; w = np.load('w.npy'); s = np.load('s.npy'); "
        + "print(w.dtype, w.shape, repr(w.tolist()), s.dtype, s.tolist())");
    assertThat(out.trim()).isEqualTo("float32 (2, 3) [[1.5, -2.0, 3.25], [0.0, 9.99999993922529e-09, -7.0]] int64 [4, 5]");
  }

  private static boolean numpyAvailable() {
    try {
      Process p = new ProcessBuilder("python3", "-c", "import numpy").redirectErrorStream(true).start();
      return p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0;
    } catch (IOException | InterruptedException e) {
      return false;
    }
  }

  private static String python(Path dir, String code) throws Exception {
    Process p = new ProcessBuilder("python3", "-c", code).directory(dir.toFile()).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }
}
