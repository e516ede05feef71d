package org.ckpt4j.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.CheckpointWriter;
import org.ckpt4j.spi.StoreOptions;

/**
 * How local save time grows: with checkpoint size (one blob), with the number of blobs at a fixed total size
 * (the per-blob overhead is the slope), and with the number of checkpoints ever written to one backup dir
 * (must stay flat: nothing in the protocol may grow with history), and how opening a backup dir and finding its
 * latest checkpoint grow with the restarts since the last commit (each open adds a claim record and each close a
 * release record; the next open prunes them and readers jump over them, so this must stay flat too).
 */
final class GrowthBench {
  private GrowthBench() {}

  static void run(Path dir, int repeats, boolean quick, PrintStream out) throws IOException {
    out.println();
    out.println("growth with checkpoint size (1 blob), local store, median of " + repeats + ":");
    out.printf("  %10s %12s %12s%n", "size", "save ms", "MiB/s");
    long[] sizes = quick ? new long[] {1 << 20, 16 << 20} : new long[] {1 << 20, 4 << 20, 16 << 20, 64 << 20,
        256 << 20};
    for (long size : sizes) {
      List<ByteBuffer> tensors = LocalBench.tensors(new LocalBench.Shape("g", 1, size));
      double ms = medianSaveMillis(dir.resolve("size-" + size), tensors, repeats);
      out.printf("  %8d KiB %12.1f %12.0f%n", size >> 10, ms, size / (double) (1 << 20) / (ms / 1000));
    }

    out.println("growth with blob count (64 MiB in all), local store, median of " + repeats + ":");
    out.printf("  %10s %12s %16s%n", "blobs", "save ms", "ms per blob");
    int[] counts = quick ? new int[] {1, 100} : new int[] {1, 10, 100, 1000, 4000};
    List<double[]> points = new ArrayList<>();
    for (int count : counts) {
      List<ByteBuffer> tensors = LocalBench.tensors(new LocalBench.Shape("g", count, (64L << 20) / count));
      double ms = medianSaveMillis(dir.resolve("count-" + count), tensors, repeats);
      points.add(new double[] {count, ms});
      out.printf("  %10d %12.1f %16.3f%n", count, ms, ms / count);
    }
    double[] first = points.get(0);
    double[] last = points.get(points.size() - 1);
    out.printf("  per-blob overhead (slope from %d to %d blobs): %.3f ms%n", (int) first[0], (int) last[0],
        (last[1] - first[1]) / (last[0] - first[0]));

    int commits = quick ? 100 : 1000;
    out.println("growth with checkpoints ever written (" + commits + " commits of 4 x 16 KiB, keepPrevious):");
    List<ByteBuffer> small = LocalBench.tensors(new LocalBench.Shape("g", 4, 16 << 10));
    double[] times = new double[commits];
    try (CheckpointStore store = CheckpointStores.open(dir.resolve("history").toString(),
        StoreOptions.forOwner("bench-history").keepPrevious(true).build())) {
      for (int i = 0; i < commits; i++) {
        times[i] = saveMillis(store, small);
      }
      store.delete();
    }
    double[] history = tenthMedians(times, commits / 10);
    out.printf("  commits 1-%d: median %.2f ms; commits %d-%d: median %.2f ms; ratio late/early %.2f%n",
        commits / 10, history[0], commits - commits / 10 + 1, commits, history[1], history[1] / history[0]);

    int restarts = quick ? 50 : 200;
    out.println("growth with restarts since the last commit (" + restarts + " x open, latest(), close; no commit):");
    double[] opens = new double[restarts];
    double[] latests = new double[restarts];
    Path restartDir = dir.resolve("restarts");
    StoreOptions options = StoreOptions.forOwner("bench-restarts").build();
    try (CheckpointStore store = CheckpointStores.open(restartDir.toString(), options)) {
      saveMillis(store, small);
    }
    long[] logRecords = new long[restarts];
    for (int i = 0; i < restarts; i++) {
      long t0 = System.nanoTime();
      try (CheckpointStore store = CheckpointStores.open(restartDir.toString(), options)) {
        long t1 = System.nanoTime();
        if (store.latest().isEmpty()) {
          throw new IllegalStateException(restartDir + ": the committed checkpoint was not found after restart "
              + (i + 1));
        }
        opens[i] = (t1 - t0) / 1e6;
        latests[i] = (System.nanoTime() - t1) / 1e6;
      }
      try (java.util.stream.Stream<Path> log = java.nio.file.Files.list(restartDir.resolve("log"))) {
        logRecords[i] = log.count();
      }
    }
    try (CheckpointStore store = CheckpointStores.open(restartDir.toString(), options)) {
      store.delete();
    }
    int tenth = restarts / 10;
    double[][] ends = {tenthMedians(opens, tenth), tenthMedians(latests, tenth)};
    out.printf("  open:     restarts 1-%d: median %.2f ms; restarts %d-%d: median %.2f ms; ratio late/early %.2f%n",
        tenth, ends[0][0], restarts - tenth + 1, restarts, ends[0][1], ends[0][1] / ends[0][0]);
    out.printf("  latest(): restarts 1-%d: median %.2f ms; restarts %d-%d: median %.2f ms; ratio late/early %.2f%n",
        tenth, ends[1][0], restarts - tenth + 1, restarts, ends[1][1], ends[1][1] / ends[1][0]);
    out.printf("  log records after restart 1: %d; after restart %d: %d%n", logRecords[0], restarts,
        logRecords[restarts - 1]);
  }

  /** The medians of the first and of the last {@code n} values. */
  private static double[] tenthMedians(double[] values, int n) {
    Stats early = new Stats();
    Stats late = new Stats();
    for (int i = 0; i < n; i++) {
      early.add(values[i]);
      late.add(values[values.length - 1 - i]);
    }
    return new double[] {early.median(), late.median()};
  }

  private static double medianSaveMillis(Path dir, List<ByteBuffer> tensors, int repeats) throws IOException {
    Stats s = new Stats();
    try (CheckpointStore store = CheckpointStores.open(dir.toString(), StoreOptions.forOwner("bench").build())) {
      saveMillis(store, tensors); // warm-up
      for (int r = 0; r < repeats; r++) {
        s.add(saveMillis(store, tensors));
      }
      store.delete();
    }
    return s.median();
  }

  static double saveMillis(CheckpointStore store, List<ByteBuffer> tensors) throws IOException {
    long t0 = System.nanoTime();
    try (CheckpointWriter w = store.begin()) {
      for (int i = 0; i < tensors.size(); i++) {
        try (WritableByteChannel ch = w.newBlob("t" + i + ".bin")) {
          LocalBench.writeFully(ch, tensors.get(i).duplicate());
        }
      }
      w.commit(Map.of());
    }
    return (System.nanoTime() - t0) / 1e6;
  }
}
