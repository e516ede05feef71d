package org.ckpt4j.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Empties the page cache so that a restore reads from the disk, as after a restart on a new machine: {@code sync}
 * (drop_caches frees only clean pages), then {@code 1 > /proc/sys/vm/drop_caches}. Needs root; where that is
 * not possible, {@link #canDrop()} is false and the cold measurements are left out (the report says so).
 */
final class PageCache {
  private static final Path DROP = Path.of("/proc/sys/vm/drop_caches");

  private PageCache() {}

  static boolean canDrop() {
    return Files.isWritable(DROP);
  }

  static void drop() throws IOException {
    try {
      Process p = new ProcessBuilder("sync").inheritIO().start();
      if (p.waitFor() != 0) {
        throw new IOException("sync exited with " + p.exitValue());
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while syncing", e);
    }
    Files.write(DROP, "1".getBytes(StandardCharsets.US_ASCII));
  }
}
