package org.ckpt4j.bench;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.zip.CRC32;

/**
 * The probe of issue 22: reading a file from the disk (page cache dropped before each read) with {@code O_DIRECT}
 * ({@link ExtendedOpenOption#DIRECT}, 4 KiB-aligned buffer, offsets and lengths), two threads taking 16 MiB
 * pieces in turn, against the way ckpt4j's restore reads a pack today (two threads taking 256 KiB pieces in turn
 * through the page cache) and a plain one-thread read in 8 MiB reads. Each reader checksums what it read (CRC32),
 * as a verified restore does. Needs root (to drop the page cache); it measures reads of a file, not a restore.
 */
final class DirectReadBench {
  private static final int ALIGN = 4096;

  private DirectReadBench() {}

  static void run(Path dir, long bytes, String label, int repeats, Report report) throws IOException {
    if (!PageCache.canDrop()) {
      System.err.println("  (odirect not measured: dropping the page cache needs root)");
      return;
    }
    Path file = Files.createDirectories(dir.resolve("odirect")).resolve("file-" + label);
    ByteBuffer data = LocalBench.tensors(new LocalBench.Shape(label, 1, Math.min(bytes, 64L << 20))).get(0);
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.TRUNCATE_EXISTING)) {
      for (long at = 0; at < bytes; at += data.capacity()) {
        LocalBench.writeFully(ch, data.duplicate());
      }
      ch.force(true);
    }
    ByteBuffer into = ByteBuffer.allocateDirect(Math.toIntExact(bytes) + 2 * ALIGN).alignedSlice(ALIGN);
    Stats pieces = new Stats();
    Stats direct = new Stats();
    Stats plain = new Stats();
    for (int r = 0; r < repeats; r++) {
      PageCache.drop();
      double p = read(file, false, 2, 256 << 10, into);
      PageCache.drop();
      double d = read(file, true, 2, 16 << 20, into);
      PageCache.drop();
      double one = read(file, false, 1, 8 << 20, into);
      pieces.add(p);
      direct.add(d);
      plain.add(one);
      System.err.printf("  odirect %s repeat %d/%d: O_DIRECT %.0f MiB/s, 2 threads x 256 KiB %.0f, 1 thread %.0f%n",
          label, r + 1, repeats, d, p, one);
    }
    Files.delete(file);
    report.compare("read " + label + " from disk, O_DIRECT 2x16MiB", "MiB/s", direct,
        "2 threads x 256 KiB (ckpt4j today)", pieces, true, Double.NaN);
    report.compare("read " + label + " from disk, O_DIRECT 2x16MiB", "MiB/s", direct,
        "FileChannel read, 1 thread", plain, true, Double.NaN);
  }

  /** Reads the file by {@code threads} threads taking {@code piece}-byte pieces in turn; MiB/s. */
  private static double read(Path file, boolean odirect, int threads, int piece, ByteBuffer into) throws IOException {
    long size = Files.size(file);
    List<OpenOption> options = new ArrayList<>(List.of(StandardOpenOption.READ));
    if (odirect) {
      options.add(ExtendedOpenOption.DIRECT);
    }
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    long t0 = System.nanoTime();
    try (FileChannel ch = FileChannel.open(file, options.toArray(new OpenOption[0]))) {
      List<Future<Long>> readers = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        long first = (long) t * piece;
        readers.add(pool.submit(() -> {
          CRC32 crc = new CRC32();
          for (long pos = first; pos < size; pos += (long) threads * piece) {
            int len = (int) Math.min(piece, size - pos);
            // O_DIRECT: the length too must be a multiple of the alignment (the file's end reads short)
            int span = odirect ? (len + ALIGN - 1) / ALIGN * ALIGN : len;
            ByteBuffer b = into.duplicate().limit((int) pos + span).position((int) pos).slice();
            while (b.hasRemaining() && ch.read(b, pos + b.position()) >= 0) {
              // positional reads until the piece is full
            }
            crc.update(into.duplicate().limit((int) pos + len).position((int) pos));
          }
          return crc.getValue();
        }));
      }
      for (Future<Long> f : readers) {
        f.get();
      }
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IOException("read of " + file + " failed", e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } finally {
      pool.shutdown();
    }
    return size / (double) (1 << 20) / ((System.nanoTime() - t0) / 1e9);
  }
}
