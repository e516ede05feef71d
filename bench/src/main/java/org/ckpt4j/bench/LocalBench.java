package org.ckpt4j.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.CheckpointWriter;
import org.ckpt4j.spi.StoreOptions;

/**
 * Local save and restore against the raw limit: a plain {@code FileChannel} write + {@code force(true)} of the
 * same bytes into the same directory, and a plain {@code FileChannel} read into the same direct buffers, from the
 * page cache and (as root, see {@link PageCache}) from the disk.
 * Peer and ckpt4j alternate within each repeat so that both see the same machine state. A repeat's restore from
 * the page cache is the median of {@link #PAGE_CACHE_SAMPLES} restores; every other figure is one measurement.
 */
final class LocalBench {
  private static final double MIB = 1 << 20;
  /** Restores from the page cache per repeat (each side); the repeat's figure is their median. */
  static final int PAGE_CACHE_SAMPLES = 5;
  /** Warm-up goes on past its time while the JIT compiler ran more than this share of the last warm-up repeat, */
  static final double JIT_QUIET = 0.02;
  /** ... up to this many times the warm-up time. */
  static final double WARMUP_CAP = 4;

  private LocalBench() {}

  /** One checkpoint shape: {@code count} tensors of {@code bytes} each. */
  record Shape(String label, int count, long bytes) {
    long total() {
      return count * bytes;
    }
  }

  /**
   * Runs {@code repeats} measured repeats of one shape after warm-up repeats that are not counted: at least one,
   * and more until {@code warmupSeconds} have passed and the JIT compiler ran at most {@link #JIT_QUIET} of the
   * last warm-up repeat's time, or {@link #WARMUP_CAP} times {@code warmupSeconds} have passed (a JVM's first
   * seconds are spent compiling; on 2 cores the compiler threads then take a core from a two-thread read but
   * not from a one-thread peer). The compiler's time during the measured repeats is printed beside them.
   */
  static void run(Shape shape, int repeats, double warmupSeconds, Path dir, Report report) throws IOException {
    List<ByteBuffer> tensors = tensors(shape);
    Files.createDirectories(dir);
    Path rawDir = Files.createDirectories(dir.resolve("raw"));
    Path storeDir = dir.resolve("store-" + shape.label());
    Stats rawSave = new Stats();
    Stats save = new Stats();
    Stats rawRestore = new Stats();
    Stats restore = new Stats();
    boolean many = shape.count() > 16;
    Stats rawCold = new Stats();
    Stats cold = new Stats();
    boolean canDrop = PageCache.canDrop();
    Stats filesSave = new Stats();
    Stats filesRestore = new Stats();
    List<ByteBuffer> into = new ArrayList<>();
    for (ByteBuffer t : tensors) {
      into.add(ByteBuffer.allocateDirect(t.capacity()));
    }
    try (CheckpointStore store = CheckpointStores.open(storeDir.toString(),
        StoreOptions.forOwner("bench-" + shape.label()).build())) {
      long warmupStart = System.nanoTime();
      long warmupEnd = warmupStart + (long) (warmupSeconds * 1e9);
      long warmupCap = warmupStart + (long) (WARMUP_CAP * warmupSeconds * 1e9);
      int warmups = 0;
      int measured = 0;
      long jitStart = 0;
      long measureStart = 0;
      double lastJitShare = 0; // of the last warm-up repeat's time, the share the compiler ran
      for (int r = 0; measured < repeats; r++) {
        long now = System.nanoTime();
        boolean warmup = r == 0 || (measured == 0 && (now < warmupEnd
            || (lastJitShare > JIT_QUIET && now < warmupCap)));
        long repeatStart = now;
        long repeatJit = Jit.millis();
        if (!warmup && measured == 0) {
          jitStart = Jit.millis();
          measureStart = System.nanoTime();
        }
        Path raw = rawDir.resolve("raw-" + r + ".bin");
        // Who goes first alternates, so that neither always meets the other's after-effects (writeback,
        // background unlinks of a superseded checkpoint).
        boolean rawFirst = (warmup ? warmups : measured) % 2 == 0;
        double tRaw = rawFirst ? timeRawSave(raw, tensors) : Double.NaN;
        double tSave = timeSave(store, tensors);
        tRaw = rawFirst ? tRaw : timeRawSave(raw, tensors);
        // A restore from the page cache takes 4-250 ms: one sample per repeat is at the mercy of a single
        // hiccup of this shared machine, so each repeat takes the median of several, who goes first alternating.
        Stats rawReads = new Stats();
        Stats reads = new Stats();
        for (int k = 0; k < PAGE_CACHE_SAMPLES; k++) {
          boolean rawReadFirst = rawFirst == (k % 2 == 0);
          if (rawReadFirst) {
            rawReads.add(timeRawRestore(raw, into));
          }
          reads.add(timeRestore(store, into));
          if (!rawReadFirst) {
            rawReads.add(timeRawRestore(raw, into));
          }
        }
        double tRawRead = rawReads.median();
        double tRead = reads.median();
        double tRawCold = Double.NaN;
        double tCold = Double.NaN;
        if (canDrop) {
          if (rawFirst) {
            PageCache.drop();
            tRawCold = timeRawRestore(raw, into);
          }
          PageCache.drop();
          tCold = timeRestore(store, into);
          if (!rawFirst) {
            PageCache.drop();
            tRawCold = timeRawRestore(raw, into);
          }
        }
        Files.delete(raw);
        double tFiles = Double.NaN;
        double tFilesRead = Double.NaN;
        if (many) {
          Path filesDir = Files.createDirectories(rawDir.resolve("files-" + r));
          tFiles = timeRawSaveFiles(filesDir, tensors);
          tFilesRead = timeRawRestoreFiles(filesDir, into);
          for (int i = 0; i < tensors.size(); i++) {
            Files.delete(filesDir.resolve("t" + i + ".bin"));
          }
          Files.delete(filesDir);
        }
        if (!warmup && many) {
          filesSave.add(shape.total() / MIB / tFiles);
          filesRestore.add(shape.total() / MIB / tFilesRead);
        }
        if (!warmup) {
          rawSave.add(shape.total() / MIB / tRaw);
          save.add(shape.total() / MIB / tSave);
          rawRestore.add(shape.total() / MIB / tRawRead);
          restore.add(shape.total() / MIB / tRead);
          if (canDrop) {
            rawCold.add(shape.total() / MIB / tRawCold);
            cold.add(shape.total() / MIB / tCold);
          }
        }
        String which = warmup ? "warm-up " + (warmups + 1) + " (not counted)"
            : "repeat " + (measured + 1) + "/" + repeats;
        System.err.printf("  local %s %s: save %.0f MiB/s (raw %.0f), restore %.0f MiB/s (raw %.0f; medians of "
            + PAGE_CACHE_SAMPLES + ")%n",
            shape.label(), which, shape.total() / MIB / tSave, shape.total() / MIB / tRaw,
            shape.total() / MIB / tRead, shape.total() / MIB / tRawRead);
        if (canDrop) {
          System.err.printf("  local %s %s: restore from disk (page cache dropped) %.0f MiB/s (raw %.0f)%n",
              shape.label(), which, shape.total() / MIB / tCold, shape.total() / MIB / tRawCold);
        }
        if (warmup) {
          warmups++;
          lastJitShare = (Jit.millis() - repeatJit) / ((System.nanoTime() - repeatStart) / 1e6);
        } else {
          measured++;
        }
      }
      System.err.printf("  local %s: %d warm-up repeats (%.1f s; the JIT compiler ran %.0f%% of the last); it ran %d "
          + "ms during the %.1f s of measured repeats%n", shape.label(), warmups, (measureStart - warmupStart) / 1e9,
          100 * lastJitShare, Jit.millis() - jitStart, (System.nanoTime() - measureStart) / 1e9);
      store.delete();
    }
    report.compare("local save " + shape.label(), "MiB/s", save, "FileChannel write+force+dir fsync, 1 file", rawSave,
        true, 0.9);
    if (many) {
      report.compare("local save " + shape.label(), "MiB/s", save, "FileChannel write+force each file",
          filesSave, true, 0.9);
    }
    report.compare("local restore " + shape.label(), "MiB/s", restore, "FileChannel read, 1 file", rawRestore,
        true, 0.9);
    if (many) {
      report.compare("local restore " + shape.label(), "MiB/s", restore, "FileChannel read each file",
          filesRestore, true, 0.9);
    }
    if (canDrop) {
      report.compare("local restore " + shape.label() + " from disk", "MiB/s", cold,
          "FileChannel read, 1 file, page cache dropped", rawCold, true, 0.9);
    } else {
      System.err.println("  (restore from disk not measured: dropping the page cache needs root)");
    }
  }

  static List<ByteBuffer> tensors(Shape shape) {
    SplittableRandom random = new SplittableRandom(42);
    List<ByteBuffer> tensors = new ArrayList<>();
    for (int i = 0; i < shape.count(); i++) {
      ByteBuffer b = ByteBuffer.allocateDirect(Math.toIntExact(shape.bytes()));
      while (b.remaining() >= 8) {
        b.putLong(random.nextLong());
      }
      b.flip();
      tensors.add(b);
    }
    return tensors;
  }

  /**
   * The raw limit: every tensor's bytes appended to one new file, one {@code force(true)}, then the fsync of its
   * directory, without which the new file's name does not survive a power loss: the same durability as a
   * commit.
   */
  private static double timeRawSave(Path file, List<ByteBuffer> tensors) throws IOException {
    long t0 = System.nanoTime();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      for (ByteBuffer t : tensors) {
        writeFully(ch, t.duplicate());
      }
      ch.force(true);
    }
    try (FileChannel d = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
      d.force(true);
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  /** The same bytes as one file per tensor, each written and forced in turn (the plain way to save tensors). */
  private static double timeRawSaveFiles(Path dir, List<ByteBuffer> tensors) throws IOException {
    long t0 = System.nanoTime();
    for (int i = 0; i < tensors.size(); i++) {
      try (FileChannel ch = FileChannel.open(dir.resolve("t" + i + ".bin"), StandardOpenOption.CREATE_NEW,
          StandardOpenOption.WRITE)) {
        writeFully(ch, tensors.get(i).duplicate());
        ch.force(true);
      }
    }
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  private static double timeRawRestoreFiles(Path dir, List<ByteBuffer> into) throws IOException {
    long t0 = System.nanoTime();
    for (int i = 0; i < into.size(); i++) {
      ByteBuffer b = into.get(i);
      b.clear();
      try (FileChannel ch = FileChannel.open(dir.resolve("t" + i + ".bin"), StandardOpenOption.READ)) {
        readFully(ch, b);
      }
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  static double timeSave(CheckpointStore store, List<ByteBuffer> tensors) throws IOException {
    long t0 = System.nanoTime();
    try (CheckpointWriter w = store.begin()) {
      for (int i = 0; i < tensors.size(); i++) {
        try (WritableByteChannel ch = w.newBlob("t" + i + ".bin")) {
          writeFully(ch, tensors.get(i).duplicate());
        }
      }
      w.commit(Map.of());
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  private static double timeRawRestore(Path file, List<ByteBuffer> into) throws IOException {
    long t0 = System.nanoTime();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      for (ByteBuffer b : into) {
        b.clear();
        readFully(ch, b);
      }
    }
    return (System.nanoTime() - t0) / 1e9;
  }

  /** Restores with {@link Checkpoint#readInto} (what the trainer's restore uses), into the same direct buffers. */
  static double timeRestore(CheckpointStore store, List<ByteBuffer> into) throws IOException {
    long t0 = System.nanoTime();
    Checkpoint cp = store.latest().orElseThrow();
    Map<String, List<ByteBuffer>> targets = new java.util.LinkedHashMap<>();
    for (int i = 0; i < into.size(); i++) {
      targets.put("t" + i + ".bin", List.of(into.get(i).clear()));
    }
    cp.readInto(targets);
    return (System.nanoTime() - t0) / 1e9;
  }

  static void writeFully(WritableByteChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  static void readFully(ReadableByteChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      if (ch.read(b) < 0) {
        throw new IOException("unexpected end of blob");
      }
    }
  }
}
