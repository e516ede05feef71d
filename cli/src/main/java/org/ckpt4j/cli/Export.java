package org.ckpt4j.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStoreException;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;

/**
 * The {@code export} command: copies the blobs of a backup (verified: sizes and CRC32) into a directory as plain
 * files, {@code manifest.json} and one {@code .npy} per tensor, which {@code numpy.load} reads. The store packs a
 * checkpoint's blobs into a few objects, so this is how to get at one tensor with other tools. Read-only: it
 * neither claims nor changes the backup dir, and works while training runs: a commit that removes the checkpoint
 * being exported makes it start over on the new latest ({@link Retry}).
 */
final class Export {
  static final String USAGE = String.join("\n",
      "usage: %COMMAND% export --backup-dir URI --to DIR [--previous] [--store-property K=V ...]",
      "",
      "Writes the latest backup in --backup-dir (with --previous: the one before it, kept by --keep-previous)",
      "into DIR as plain files: manifest.json and one NumPy .npy per tensor. DIR must not hold any of those",
      "files yet. Every blob is verified (size and CRC32) on the way: a file gets its name only once its blob",
      "verified, and a failed export removes every file and directory it created.");

  private Export() {}

  static int run(String[] argv, PrintStream out, PrintStream err) {
    String backupDir = null;
    Path to = null;
    boolean previous = false;
    Map<String, String> properties = new java.util.LinkedHashMap<>();
    try {
      for (int k = 1; k < argv.length; k++) {
        String a = argv[k];
        switch (a) {
          case "--help": case "-h":
            out.println(USAGE.replace("%COMMAND%", Main.name()));
            return 0;
          case "--previous":
            previous = true;
            continue;
          case "--backup-dir": case "--to": case "--store-property":
            if (k + 1 >= argv.length) {
              throw new IllegalArgumentException(a + " needs a value");
            }
            if (a.equals("--to")) {
              to = Path.of(argv[++k]);
            } else if (a.equals("--store-property")) {
              Main.Options.storeProperty(properties, argv[++k]);
            } else {
              backupDir = Main.Options.backupDir(argv[++k]);
            }
            continue;
          default:
            throw new IllegalArgumentException("unknown option \"" + a + "\" of export");
        }
      }
      if (backupDir == null || to == null) {
        throw new IllegalArgumentException("export needs --backup-dir URI and --to DIR");
      }
    } catch (IllegalArgumentException e) {
      err.println("error: " + e.getMessage());
      err.println("run with export --help for usage");
      return Main.EXIT_USAGE;
    }
    StoreOptions.Builder options = StoreOptions.readOnly();
    properties.forEach(options::property);
    try (CheckpointStore store = CheckpointStores.open(backupDir, options.build())) {
      Path target = to;
      Optional<String> done = Retry.onLatest(store, previous, cp -> {
        long bytes = write(cp, target);
        Map<String, String> meta = cp.metadata();
        return "exported backup #" + cp.sequence() + " (epoch " + meta.getOrDefault("epoch", "?") + ", batch "
            + meta.getOrDefault("batch", "?") + "): " + cp.blobs().size() + " files, " + bytes + " bytes, to "
            + target.toAbsolutePath();
      });
      if (done.isEmpty()) {
        err.println("error: --backup-dir " + backupDir + " holds no " + (previous ? "previous " : "") + "backup"
            + (previous ? " (one is kept only when training runs with --keep-previous)" : ""));
        return 1;
      }
      out.println(done.get());
      return 0;
    } catch (FileAlreadyExistsException e) {
      err.println("error: --to " + to + ": " + e.getFile() + " exists; export into an empty directory");
      return 1;
    } catch (CheckpointStoreException e) {
      err.println("error: --backup-dir " + backupDir + ": " + e.getClass().getSimpleName() + ": " + e.getMessage());
      return 1;
    } catch (IOException | RuntimeException e) {
      err.println("error: " + e);
      return 1;
    }
  }

  /**
   * Writes every blob into a temporary file beside its final name, all in one read of the checkpoint
   * ({@link Checkpoint#readBlobs}: one stream per pack object, so that a commit racing with the export rarely
   * removes the data in between), and moves the files into place only once every blob was read and verified
   * (the store checks sizes and CRC32s as the stream goes). On any failure every file and directory this call
   * created is removed again: the output folder is as it was.
   */
  static long write(Checkpoint cp, Path to) throws IOException {
    List<Path> created = new ArrayList<>(); // files and directories, in the order created
    boolean done = false;
    try {
      for (String name : cp.blobs().keySet()) {
        Path file = to.resolve(name);
        if (Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
          throw new FileAlreadyExistsException(file.toString());
        }
      }
      long[] total = {0};
      ByteBuffer buf = ByteBuffer.allocateDirect(1 << 20);
      Map<Path, Path> moves = new LinkedHashMap<>();
      cp.readBlobs(cp.blobs().keySet(), (name, in) -> {
        Path file = to.resolve(name);
        createDirectories(file.getParent() == null ? to : file.getParent(), created);
        Path tmp = file.resolveSibling(file.getFileName() + TMP_SUFFIX);
        try (FileChannel outCh = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
          created.add(tmp);
          while (in.read(buf.clear()) >= 0) {
            buf.flip();
            while (buf.hasRemaining()) {
              total[0] += outCh.write(buf);
            }
          }
        }
        moves.put(tmp, file);
      });
      for (Map.Entry<Path, Path> m : moves.entrySet()) { // every blob verified: readBlobs returned
        Files.move(m.getKey(), m.getValue()); // fails if the name was taken meanwhile
        created.set(created.indexOf(m.getKey()), m.getValue());
      }
      done = true;
      return total[0];
    } finally {
      if (!done) {
        for (int k = created.size() - 1; k >= 0; k--) {
          Files.deleteIfExists(created.get(k));
        }
      }
    }
  }

  /** The suffix of a file being exported, before its blob is verified. */
  static final String TMP_SUFFIX = ".ckpt4j-export-tmp";

  private static void createDirectories(Path dir, List<Path> created) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    Path parent = dir.toAbsolutePath().getParent();
    if (parent != null) {
      createDirectories(parent, created);
    }
    Files.createDirectory(dir);
    created.add(dir);
  }
}
