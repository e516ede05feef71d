package org.ckpt4j.bench;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;

/**
 * The fixed cost of one local commit (issue 22): milliseconds per commit of a tiny checkpoint (one 4 KiB blob,
 * where the flushes are all there is) and of 16 MiB, beside the raw peer with the same durability: one new file
 * written, {@code force(true)}, then its directory fsynced. The two alternate commit by commit; each row's figure
 * is the median of every measured commit. What a commit flushes is counted with strace (docs/benchmarks.md,
 * "Round 2"): this section is also the driver for that, and prints how many commits it made.
 */
final class CommitBench {
  /** Commits per repeat, each side. */
  static final int COMMITS_PER_REPEAT = 10;

  private CommitBench() {}

  static void run(String label, long bytes, int repeats, Path dir, Report report) throws IOException {
    List<ByteBuffer> tensors = LocalBench.tensors(new LocalBench.Shape(label, 1, bytes));
    Path rawDir = Files.createDirectories(dir.resolve("commit-raw"));
    Path storeDir = dir.resolve("commit-" + label);
    Stats ours = new Stats();
    Stats raw = new Stats();
    int commits = 0;
    try (CheckpointStore store = CheckpointStores.open(storeDir.toString(),
        StoreOptions.forOwner("bench-commit-" + label).build())) {
      for (int r = -1; r < repeats; r++) { // repeat -1: warm-up, not counted
        for (int k = 0; k < COMMITS_PER_REPEAT; k++) {
          boolean rawFirst = k % 2 == 0;
          Path file = rawDir.resolve("raw-" + label + "-" + k + ".bin");
          double tRaw = rawFirst ? timeRawCommit(file, tensors.get(0)) : Double.NaN;
          double t = LocalBench.timeSave(store, tensors);
          commits++;
          tRaw = rawFirst ? tRaw : timeRawCommit(file, tensors.get(0));
          Files.delete(file);
          if (r >= 0) {
            ours.add(t * 1e3);
            raw.add(tRaw * 1e3);
          }
        }
        if (r >= 0) {
          System.err.printf("  commit %s repeat %d/%d: median so far %.2f ms per commit (raw %.2f)%n", label, r + 1,
              repeats, ours.median(), raw.median());
        }
      }
      store.delete();
    }
    System.err.printf("  commit %s: %d commits made (divide strace counts by it)%n", label, commits);
    report.compare("local commit " + label + " (per commit)", "ms", ours,
        "new file: write+force+dir fsync", raw, false, Double.NaN);
  }

  /** The raw peer: a new file written, forced, and its directory fsynced (a commit's durability). */
  private static double timeRawCommit(Path file, ByteBuffer bytes) throws IOException {
    long t0 = System.nanoTime();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      LocalBench.writeFully(ch, bytes.duplicate());
      ch.force(true);
    }
    try (FileChannel d = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
      d.force(true);
    }
    return (System.nanoTime() - t0) / 1e9;
  }
}
