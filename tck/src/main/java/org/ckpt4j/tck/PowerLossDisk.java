package org.ckpt4j.tck;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;

/**
 * A disk that loses power, for R7.2: a crash-consistency simulator in the manner of LazyFS and ALICE, behind an NIO
 * {@link FileSystem} ({@link PowerLossFileSystem}) that a backend over {@link Path}s uses as it would use the
 * default one.
 *
 * <h2>Model (pessimistic)</h2>
 * Every boot runs on a live file system (a fresh Jimfs): reads see everything written, as on a running machine.
 * Beside it the disk keeps a <b>durable image</b>, which changes only at the two durability barriers:
 * <ul>
 *   <li>{@code FileChannel.force} (either argument) of a file: the file's current bytes become its durable bytes
 *       (for every name it has: data belongs to the file, not to a name);</li>
 *   <li>{@code force} of a {@code FileChannel} opened (read-only) on a directory, as {@code fsync(2)} of a
 *       directory: the directory's current entries (names and the files they point to) become its durable
 *       entries.</li>
 * </ul>
 * Nothing else is durable. On a <b>power cut</b> ({@link #cutPower}, or an armed cut firing before an operation)
 * every operation of the running boot fails from then on, and the next {@link #boot} starts a file system that
 * holds exactly the durable image: an entry created, linked, renamed or removed since its directory's last fsync
 * reverts (a renamed file is back under its old name, a deleted one reappears), and a file's data not forced
 * since it was written is lost (a file whose entry is durable but whose data was never forced is empty). A
 * directory created and named durably but never fsynced itself comes back empty. Real file systems often keep
 * more (ext4 orders some writes); a store that survives this model survives them.
 *
 * <p>A <b>process crash</b> ({@link #armCrash}) ends the boot the same way but keeps everything: the next boot
 * sees the live state, as a SIGKILL leaves the operating system's caches behind. It leaves what a killed writer
 * leaves half-done (temporary files) at a chosen file system operation.
 *
 * <p>Counted operations (the points where an armed cut fires, before the operation takes effect): opening a file
 * for writing, every write and truncate, {@code force} of a file or directory, create directory, delete, link,
 * rename and copy. Reads are not counted (a cut before a read equals a cut after the previous write), but fail
 * once the power is off. Operations run one at a time (one lock), so a cut falls between two of them.
 *
 * <p>Not modelled: attributes and times, symbolic links, memory-mapped files, torn writes within one
 * {@code write} call (a write is atomic here), and a directory that would appear under two names after a cut
 * (renamed without fsyncing its old parent) keeps the first.
 */
final class PowerLossDisk implements AutoCloseable {
  private static final AtomicInteger DISKS = new AtomicInteger();

  /** A file or directory of the durable image. */
  private static final class Inode {
    final boolean dir;
    /** Durable bytes (files). */
    byte[] data = new byte[0];
    /** Durable entries (directories). */
    Map<String, Inode> entries = new TreeMap<>();

    Inode(boolean dir) {
      this.dir = dir;
    }
  }

  /** Thrown by every operation once the power is off or the process crashed. */
  static final class PowerCutException extends IOException {
    PowerCutException(String message) {
      super(message);
    }
  }

  private final String id = "disk" + DISKS.incrementAndGet();
  private final Inode root = new Inode(true);
  private FileSystem live;
  private final java.util.List<FileSystem> retired = new java.util.ArrayList<>();
  /** The live file system's file keys (Jimfs: one per file, shared by its hard links) to the image's inodes. */
  private Map<Object, Inode> inodes = new HashMap<>();
  private PowerLossFileSystem running;
  private int boots;
  private boolean down = true;
  private boolean keepLive;
  private long ops;
  private long armedAt = Long.MAX_VALUE;
  private boolean armedPowerCut;
  private Predicate<String> armedWhere = op -> true;
  private String lastCut = "none";
  private long powerCuts;
  private final Predicate<String> dropped;

  /** An empty disk. */
  PowerLossDisk() {
    this(op -> false);
  }

  /**
   * For the kit's self-test: an empty disk on which the durability barriers {@code dropped} accepts (by their
   * description, {@code "force /path"} or {@code "fsync-dir /path"}) are counted but change nothing, as if the
   * store had never called them.
   */
  PowerLossDisk(Predicate<String> dropped) {
    this.dropped = dropped;
  }

  /**
   * Starts the machine: after a power cut on the durable image, after a process crash on the live state, the
   * first time on an empty disk. Returns the root directory {@code /} of the new boot's file system.
   */
  synchronized Path boot() throws IOException {
    if (!down) {
      throw new IllegalStateException("the disk is running: cut the power (or crash) before booting again");
    }
    if (live == null || !keepLive) {
      if (live != null) {
        // kept open until the disk closes: the old boot's paths still resolve (a store of that boot still
        // running gets a power-cut IOException from every operation, not a closed file system)
        retired.add(live);
      }
      // working directory "/": Jimfs would otherwise create /work, which is no part of the image
      live = Jimfs.newFileSystem(id + "-" + (boots + 1), Configuration.unix().toBuilder().setWorkingDirectory("/")
          .build());
      inodes = new HashMap<>();
      materialize(root, live.getPath("/"), new IdentityHashMap<>());
    }
    if (running != null) {
      PowerLossProvider.unregister(running);
    }
    boots++;
    down = false;
    disarm();
    running = new PowerLossFileSystem(this, id + "-" + boots, live);
    PowerLossProvider.register(running);
    return running.getPath("/");
  }

  /** Writes the durable image into the fresh live file system and maps its file keys. */
  private void materialize(Inode dir, Path at, Map<Inode, Path> done) throws IOException {
    inodes.put(key(at), dir);
    done.put(dir, at);
    for (Map.Entry<String, Inode> e : dir.entries.entrySet()) {
      Path child = at.resolve(e.getKey());
      Inode n = e.getValue();
      Path seen = done.get(n);
      if (n.dir && seen == null) {
        Files.createDirectory(child);
        materialize(n, child, done);
      } else if (!n.dir && seen != null) {
        Files.createLink(child, seen);
      } else if (!n.dir) {
        Files.write(child, n.data);
        inodes.put(key(child), n);
        done.put(n, child);
      }
    }
  }

  /** Arms a power cut before the {@code n}-th counted operation from now (1 = the next one). */
  synchronized void armPowerCut(long n) {
    arm(n, true, op -> true);
  }

  /**
   * Arms a process crash before the first counted operation from the {@code n}-th on whose description
   * {@code where} accepts (e.g. {@code op -> op.startsWith("link ")}).
   */
  synchronized void armCrash(long n, Predicate<String> where) {
    arm(n, false, where);
  }

  private void arm(long n, boolean powerCut, Predicate<String> where) {
    if (n < 1) {
      throw new IllegalArgumentException("n (" + n + ") must be at least 1");
    }
    ops = 0;
    armedAt = n;
    armedPowerCut = powerCut;
    armedWhere = where;
  }

  private void disarm() {
    ops = 0;
    armedAt = Long.MAX_VALUE;
    armedWhere = op -> true;
  }

  /** Cuts the power now (if the machine is running). */
  synchronized void cutPower() {
    if (!down) {
      fire(true, "power cut after op #" + ops + " (after everything had returned)");
    }
  }

  /** Crashes the writer process now (if the machine is running): the next boot sees everything. */
  synchronized void crashProcess() {
    if (!down) {
      fire(false, "process crash after op #" + ops + " (after everything had returned)");
    }
  }

  private void fire(boolean powerCut, String what) {
    down = true;
    keepLive = !powerCut;
    lastCut = what;
    if (powerCut) {
      powerCuts++;
    }
  }

  /** Whether the running boot ended (power cut or process crash). */
  synchronized boolean isDown() {
    return down;
  }

  /** Counted operations since the boot or the last arming. */
  synchronized long operations() {
    return ops;
  }

  /** Where the last cut or crash fell, for failure messages. */
  synchronized String lastCut() {
    return lastCut;
  }

  synchronized long powerCuts() {
    return powerCuts;
  }

  // ------------------------------------------------------------------- called by the file system (under lock)

  /** Throws unless {@code fs} is the running boot. */
  void alive(PowerLossFileSystem fs) throws PowerCutException {
    if (fs != running || down) {
      throw new PowerCutException("simulated " + (keepLive && fs == running ? "process crash" : "power cut")
          + ": this file system (" + fs.name() + ") is gone; " + lastCut);
    }
  }

  /** A counted operation is about to run: fires an armed cut before it. */
  void step(PowerLossFileSystem fs, String op) throws PowerCutException {
    alive(fs);
    ops++;
    if (ops >= armedAt && armedWhere.test(op)) {
      fire(armedPowerCut, (armedPowerCut ? "power cut" : "process crash") + " before op #" + ops + ": " + op);
      throw new PowerCutException("simulated " + lastCut);
    }
  }

  /** {@code force} of a file: its current bytes become durable. */
  void forceFile(PowerLossFileSystem fs, Path file, Object key, FileChannel channel) throws IOException {
    String op = "force " + file;
    step(fs, op);
    if (dropped.test(op)) {
      return;
    }
    long size = channel.size();
    if (size > Integer.MAX_VALUE) {
      throw new IOException("the power-loss disk keeps files of at most 2 GiB: " + file);
    }
    ByteBuffer buf = ByteBuffer.allocate((int) size);
    while (buf.hasRemaining() && channel.read(buf, buf.position()) >= 0) {
      // positional reads leave the channel's position alone
    }
    inode(key, false).data = buf.array();
  }

  /** {@code fsync} of a directory: its current entries become durable. */
  void syncDir(PowerLossFileSystem fs, Path dir) throws IOException {
    String op = "fsync-dir " + dir;
    step(fs, op);
    if (dropped.test(op)) {
      return;
    }
    Map<String, Inode> now = new TreeMap<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        now.put(p.getFileName().toString(), inode(a.fileKey(), a.isDirectory()));
      }
    }
    inode(key(dir), true).entries = now;
  }

  private Inode inode(Object key, boolean dir) {
    return inodes.computeIfAbsent(key, k -> new Inode(dir));
  }

  static Object key(Path livePath) throws IOException {
    return Files.readAttributes(livePath, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
  }

  @Override
  public synchronized void close() throws IOException {
    down = true;
    if (running != null) {
      PowerLossProvider.unregister(running);
    }
    if (live != null) {
      live.close();
    }
    for (FileSystem fs : retired) {
      fs.close();
    }
    retired.clear();
  }

  @Override
  public String toString() {
    return "PowerLossDisk[" + id + ", boot " + boots + (down ? ", down" : "") + "]";
  }
}
