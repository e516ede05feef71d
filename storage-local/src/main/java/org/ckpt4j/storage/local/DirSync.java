package org.ckpt4j.storage.local;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * The fsync of a directory, which makes the entries created, linked, renamed or removed in it durable: a
 * {@code FileChannel} opened read-only on the directory and forced, through the path's own file system provider
 * (so that a file system that models durability, like the TCK's power-loss disk, sees it).
 *
 * <p>Java leaves opening a directory as a channel to the platform: Linux and macOS allow it (and a power loss
 * can otherwise lose a new entry), Windows refuses with {@code AccessDeniedException} and Jimfs with
 * {@code FileSystemException} "not a regular file"; there directory entries are durable by other means (NTFS
 * journals them) or never (memory), so that refusal, and only it, is ignored. A failing {@code force} is raised.
 */
final class DirSync {
  private DirSync() {}

  static void fsyncDir(Path dir) throws IOException {
    if (dir == null) {
      return;
    }
    FileChannel ch;
    try {
      ch = FileChannel.open(dir, StandardOpenOption.READ);
    } catch (NoSuchFileException | NotDirectoryException e) {
      throw e;
    } catch (FileSystemException | UnsupportedOperationException e) {
      if (Files.isDirectory(dir)) {
        return; // this platform cannot open a directory (see above)
      }
      throw e;
    }
    try (FileChannel c = ch) {
      c.force(true);
    }
  }
}
