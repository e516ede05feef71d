package org.ckpt4j.storage.local;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.EnumSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.ckpt4j.spi.StoreAccessException;
import org.ckpt4j.spi.StoreAccessException.Reason;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.spi.backend.ObjectStore;

/**
 * {@link ObjectStore} on a directory. Objects are files. A small object is written to a hidden temporary file
 * in its final directory, fsynced, then published: by {@code rename} (replace) or by {@code link}
 * (create-if-absent, which fails atomically if the name exists). A streamed object is written in place and
 * fsynced in the background, {@link #sync} waiting for it. Directories that gain an entry are fsynced, so a
 * commit survives a power loss on a real disk.
 *
 * <p>Temporary files (of a write that is being published, or of a large file being deleted in the background)
 * are named {@code .ckpt4j-tmp-<hex>-<name>} beside the object {@code <name>}, and only beside objects of the
 * protocol's layout (docs/contract.md): the marker, log and lease records, and files under a data dir. Only such
 * names are hidden from {@link #list} and removed by {@link #purgeIncomplete} (and only for target keys its
 * predicate accepts); any other file, whatever its name, is listed like every file, so the protocol reports it as
 * foreign (R6.1) and never deletes it (R5.2).
 *
 * <p>Parts: {@link FileSink} (a streamed object), {@link FileRange} (a ranged read), {@link TempNames} (the
 * temporary files' names), {@link DirSync} (the fsync of a directory, through the path's own provider: the store
 * works on any NIO file system, and one that models durability sees every barrier), {@link LocalErrors}.
 */
final class LocalObjectStore implements ObjectStore {
  static final String TMP_PREFIX = TempNames.TMP_PREFIX;
  private static final java.util.regex.Pattern KEY = java.util.regex.Pattern.compile("[A-Za-z0-9._/-]+");

  private final Path root;
  private final URI uri;
  private final boolean defaultFs;
  private ExecutorService reaper;
  private final SyncPool syncs;
  private final Map<String, CompletableFuture<Void>> pending = new ConcurrentHashMap<>();
  private static final long BACKGROUND_DELETE_MIN = 1 << 20;
  /** Directories that {@link #create} made: fsynced (with their parents) by the next {@link #sync}. */
  private final Set<Path> unsyncedDirs = ConcurrentHashMap.newKeySet();

  LocalObjectStore(Path root, URI uri) throws StoreAccessException {
    this.root = root;
    this.uri = uri;
    this.defaultFs = root.getFileSystem() == FileSystems.getDefault();
    this.syncs = new SyncPool(root.toString());
    if (Files.exists(root) && !Files.isDirectory(root)) {
      throw new StoreAccessException(uri, Reason.INVALID_LOCATION, "backup dir " + root + " is a file, not a "
          + "directory; choose a directory path", null);
    }
  }

  @Override
  public URI uri() {
    return uri;
  }

  @Override
  public Set<Capability> capabilities() {
    return defaultFs ? EnumSet.of(Capability.CROSS_PROCESS, Capability.POWER_LOSS_DURABLE)
        : EnumSet.noneOf(Capability.class);
  }

  private Path path(String key) {
    if (key.isEmpty() || key.startsWith("/") || !KEY.matcher(key).matches()) {
      throw new IllegalArgumentException("invalid object key: " + key);
    }
    Path p = root;
    for (String segment : key.split("/", -1)) {
      if (segment.isEmpty() || segment.equals(".") || segment.equals("..")) {
        throw new IllegalArgumentException("invalid object key: " + key);
      }
      p = p.resolve(segment);
    }
    return p;
  }

  /**
   * Streams straight into the object's file (no rename: the protocol never reads a blob before a commit record
   * names it). {@code finish} starts the fsync on a background thread and returns; {@link #sync} waits for it,
   * so the fsyncs of many blobs overlap each other and the writing of the next blobs.
   */
  @Override
  public ObjectSink create(String key) throws IOException {
    Path target = path(key);
    FileChannel ch;
    try {
      mkdirs(target.getParent(), unsyncedDirs);
      try {
        ch = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      } catch (NoSuchFileException e) {
        // data/ emptied and removed meanwhile by a background delete (removeEmptyParents): make it again
        mkdirs(target.getParent(), unsyncedDirs);
        ch = FileChannel.open(target, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
      }
    } catch (IOException e) {
      throw translate(e, key);
    }
    return new FileSink(this, ch, target, key);
  }

  /** The background fsync of a finished streamed object, which {@link #sync} waits for. */
  void pending(String key, CompletableFuture<Void> fsync) {
    pending.put(key, fsync);
  }

  /**
   * Waits for the background fsyncs of the given objects, and fsyncs their directories, and the directories
   * {@link #create} made with their parents, concurrently with those (so that the file system can commit them
   * together).
   */
  @Override
  public void sync(Collection<String> keys) throws IOException {
    Set<Path> dirs = new LinkedHashSet<>();
    for (String key : keys) {
      dirs.add(path(key).getParent());
    }
    // Made by create(); one that is gone meanwhile (an abandoned checkpoint's, pruned) needs nothing.
    Set<Path> made = new LinkedHashSet<>();
    for (Path d : List.copyOf(unsyncedDirs)) {
      unsyncedDirs.remove(d);
      made.add(d);
      if (d.getParent() != null) {
        made.add(d.getParent());
      }
    }
    made.removeAll(dirs);
    Map<String, CompletableFuture<Void>> waits = new java.util.LinkedHashMap<>();
    for (String key : keys) {
      CompletableFuture<Void> f = pending.remove(key);
      if (f != null) {
        waits.put(key, f);
      }
    }
    for (Path d : dirs) {
      waits.put(d.equals(root) ? "" : key(d), syncs.fsyncDir(d, false));
    }
    for (Path d : made) {
      waits.put(d.equals(root) ? "" : key(d), syncs.fsyncDir(d, true));
    }
    SyncPool.awaitAll(waits, this::translate);
  }

  ExecutorService syncPool() {
    return syncs.executor();
  }

  @Override
  public boolean putIfAbsent(String key, byte[] content) throws IOException {
    Path target = path(key);
    try {
      mkdirs(target.getParent());
      Path tmp = writeTemp(target, content);
      try {
        Files.createLink(target, tmp);
        fsyncDir(target.getParent());
        return true;
      } catch (FileAlreadyExistsException e) {
        return false;
      } catch (UnsupportedOperationException e) {
        // No hard links on this file system: a non-replacing move (check-then-rename on some systems).
        try {
          Files.move(tmp, target);
          fsyncDir(target.getParent());
          return true;
        } catch (FileAlreadyExistsException exists) {
          return false;
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw translate(e, key);
    }
  }

  @Override
  public void put(String key, byte[] content) throws IOException {
    Path target = path(key);
    try {
      mkdirs(target.getParent());
      Path tmp = writeTemp(target, content);
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      } finally {
        Files.deleteIfExists(tmp);
      }
      fsyncDir(target.getParent());
    } catch (IOException e) {
      throw translate(e, key);
    }
  }

  private Path writeTemp(Path target, byte[] content) throws IOException {
    Path tmp = TempNames.tempFor(target);
    try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
      ByteBuffer buf = ByteBuffer.wrap(content);
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(true);
    } catch (IOException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    return tmp;
  }

  @Override
  public Optional<byte[]> get(String key) throws IOException {
    try {
      return Optional.of(Files.readAllBytes(path(key)));
    } catch (NoSuchFileException | NotDirectoryException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw translate(e, key);
    }
  }

  @Override
  public ReadableByteChannel open(String key) throws IOException {
    return openRead(key);
  }

  /**
   * 1 GiB: a checkpoint of large tensors is one file, read front to back. Reading four files of 256 MiB from
   * the disk ran at ~0.9 times the speed of reading one file of 1 GiB here (1646 against 1809 MiB/s, medians of
   * six cold reads each), since each file starts its readahead afresh.
   */
  @Override
  public long packSize() {
    return 1L << 30;
  }

  /** The file itself, for positional reads by several threads. */
  @Override
  public Optional<FileChannel> openFile(String key) throws IOException {
    return Optional.of(openRead(key));
  }

  /** Opens the object's file for reading. @throws NoSuchFileException naming the key if absent */
  private FileChannel openRead(String key) throws IOException {
    try {
      return FileChannel.open(path(key), StandardOpenOption.READ);
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(key);
    } catch (IOException e) {
      throw translate(e, key);
    }
  }

  /** A positioned read of the file, ending after {@code length} bytes. */
  @Override
  public ReadableByteChannel open(String key, long offset, long length) throws IOException {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("negative range " + offset + "+" + length + " of " + key);
    }
    return new FileRange(this, openRead(key), key, offset, length);
  }

  @Override
  public List<String> list(String prefix) throws IOException {
    // Walk only the deepest directory the prefix names.
    int slash = prefix.lastIndexOf('/');
    Path start = slash < 0 ? root : path(prefix.substring(0, slash));
    List<String> keys = new ArrayList<>();
    try {
      walk(start, prefix, keys);
    } catch (IOException e) {
      throw translate(e, prefix);
    }
    Collections.sort(keys);
    return keys;
  }

  /** Lists files below {@code dir}; a directory removed meanwhile (by a concurrent prune) is skipped. */
  private void walk(Path dir, String prefix, List<String> keys) throws IOException {
    walkFiles(dir, false, p -> {
      String key = key(p);
      if (key.startsWith(prefix)) {
        keys.add(key);
      }
    });
  }

  static String tempTarget(String key) {
    return TempNames.tempTarget(key);
  }

  /**
   * Visits the files below {@code dir} (this store's temporary ones only, or none of them), tolerating
   * concurrent deletes. Directories are always walked: this store makes no temporary directories.
   */
  private void walkFiles(Path dir, boolean temporaries, java.util.function.Consumer<Path> visitor)
      throws IOException {
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path p : entries) {
        if (Files.isDirectory(p, LinkOption.NOFOLLOW_LINKS)) {
          walkFiles(p, temporaries, visitor);
        } else if ((tempTarget(key(p)) != null) == temporaries) {
          visitor.accept(p);
        }
      }
    } catch (NoSuchFileException | NotDirectoryException e) {
      // absent or vanished: nothing to visit
    }
  }

  private String key(Path p) {
    StringBuilder sb = new StringBuilder();
    for (Path part : root.relativize(p)) {
      sb.append(sb.length() == 0 ? "" : "/").append(part.toString());
    }
    return sb.toString();
  }

  /**
   * Deletes an object. Large files are renamed to a hidden name (instant) and unlinked on a background thread:
   * ext4 takes ~150 ms to free 256 MiB, which would otherwise stall every commit that supersedes a checkpoint.
   * A crash before the unlink leaves a hidden file that the next {@link #purgeIncomplete} removes.
   */
  @Override
  public void delete(String key) throws IOException {
    Path p = path(key);
    try {
      long size;
      try {
        size = Files.size(p);
      } catch (NoSuchFileException | NotDirectoryException e) {
        return;
      }
      if (size >= BACKGROUND_DELETE_MIN) {
        Path trash = TempNames.tempFor(p);
        try {
          Files.move(p, trash, StandardCopyOption.ATOMIC_MOVE);
        } catch (NoSuchFileException e) {
          return;
        }
        reaper().execute(() -> {
          try {
            Files.deleteIfExists(trash);
            removeEmptyParents(trash.getParent());
          } catch (IOException e) {
            // left for the next purgeIncomplete
          }
        });
      } else if (Files.deleteIfExists(p)) {
        removeEmptyParents(p.getParent());
      }
    } catch (IOException e) {
      throw translate(e, key);
    }
  }

  private synchronized ExecutorService reaper() {
    if (reaper == null) {
      reaper = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "ckpt4j-local-delete " + root);
        t.setDaemon(true);
        return t;
      });
    }
    return reaper;
  }

  /** Waits for background deletes to finish (a bounded time; unfinished ones are purged on the next open). */
  @Override
  public void close() {
    ExecutorService r;
    synchronized (this) {
      r = reaper;
      reaper = null;
    }
    for (CompletableFuture<Void> f : pending.values()) {
      f.exceptionally(e -> null).join();
    }
    pending.clear();
    syncs.shutdown();
    if (r != null) {
      r.shutdown();
      try {
        r.awaitTermination(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private void removeEmptyParents(Path dir) throws IOException {
    while (dir != null && !dir.equals(root) && dir.startsWith(root)) {
      try {
        Files.delete(dir);
      } catch (DirectoryNotEmptyException | NoSuchFileException e) {
        break;
      }
      dir = dir.getParent();
    }
    // No fsync: a deleted object that reappears after a power loss is unreferenced and pruned on the next open.
  }

  /** Deletes temporary files of interrupted writes (this store's claim is held, so no live writer exists). */
  @Override
  public void purgeIncomplete(Predicate<String> ours) throws IOException {
    if (!Files.isDirectory(root)) {
      return;
    }
    List<Path> temps = new ArrayList<>();
    walkFiles(root, true, temps::add);
    for (Path p : temps) {
      if (ours.test(tempTarget(key(p)))) {
        Files.deleteIfExists(p);
      }
    }
  }

  private void mkdirs(Path dir) throws IOException {
    mkdirs(dir, null);
  }

  /**
   * Creates {@code dir} and missing ancestors; each new directory's parent is fsynced now, or, with
   * {@code deferred}, the new directories are added to it for a later fsync (with their parents).
   */
  private void mkdirs(Path dir, Set<Path> deferred) throws IOException {
    if (Files.isDirectory(dir)) {
      return;
    }
    List<Path> created = new ArrayList<>();
    for (Path d = dir; d != null && !Files.isDirectory(d); d = d.getParent()) {
      created.add(0, d);
    }
    for (Path d : created) {
      try {
        Files.createDirectory(d);
      } catch (FileAlreadyExistsException e) {
        if (!Files.isDirectory(d)) {
          throw new StoreAccessException(uri, Reason.INVALID_LOCATION, d + " is a file where a directory is "
              + "needed; remove it or choose another backup dir", e);
        }
      }
      if (deferred != null) {
        deferred.add(d);
      } else if (d.getParent() != null) {
        fsyncDir(d.getParent());
      }
    }
  }

  /** Makes a directory's entries durable ({@link DirSync}). */
  private static void fsyncDir(Path dir) throws IOException {
    DirSync.fsyncDir(dir);
  }

  IOException translate(IOException e, String key) {
    return LocalErrors.translate(e, root, uri, key);
  }

  @Override
  public String toString() {
    return "LocalObjectStore[" + root + "]";
  }
}
