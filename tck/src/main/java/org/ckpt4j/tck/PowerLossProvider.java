package org.ckpt4j.tck;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystemNotFoundException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The provider of {@link PowerLossFileSystem}s (scheme {@value #SCHEME}): forwards every operation to the live
 * Jimfs of the path's boot, under the disk's lock, after {@link PowerLossDisk#step counting} the ones that change
 * the disk. Public only because {@link java.util.ServiceLoader} must instantiate it, so that
 * {@code Path.of(URI)} resolves the file systems' URIs (a backend that opens its backup dir by URI finds it);
 * file systems are made by the kit, never through {@link #newFileSystem(URI, Map)}.
 */
public final class PowerLossProvider extends FileSystemProvider {
  static final String SCHEME = "ckpt4j-powerloss";
  static final PowerLossProvider INSTANCE = new PowerLossProvider();
  private static final Map<String, PowerLossFileSystem> RUNNING = new ConcurrentHashMap<>();

  /** Only for use by Java itself ({@link java.util.ServiceLoader}). */
  public PowerLossProvider() {}

  static void register(PowerLossFileSystem fs) {
    RUNNING.put(fs.name(), fs);
  }

  static void unregister(PowerLossFileSystem fs) {
    RUNNING.remove(fs.name(), fs);
  }

  /** An operation on the live file system. */
  interface LiveOp<T> {
    T run() throws IOException;
  }

  /** Runs a read: fails once the boot ended; not counted. */
  static <T> T read(PowerLossPath p, LiveOp<T> op) throws IOException {
    synchronized (p.fs.disk()) {
      p.fs.disk().alive(p.fs);
      return op.run();
    }
  }

  /** Runs an operation that changes the disk: counted, and an armed cut fires before it. */
  static <T> T change(PowerLossPath p, String what, LiveOp<T> op) throws IOException {
    synchronized (p.fs.disk()) {
      p.fs.disk().step(p.fs, what + " " + p);
      return op.run();
    }
  }

  private static PowerLossPath p(Path path) {
    if (path instanceof PowerLossPath p) {
      return p;
    }
    throw new java.nio.file.ProviderMismatchException("not a " + SCHEME + " path: " + path);
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public FileSystem newFileSystem(URI uri, Map<String, ?> env) {
    throw new UnsupportedOperationException("power-loss file systems are made by the ckpt4j TCK (PowerLossDisk)");
  }

  @Override
  public FileSystem getFileSystem(URI uri) {
    PowerLossFileSystem fs = RUNNING.get(String.valueOf(uri.getAuthority()));
    if (fs == null) {
      throw new FileSystemNotFoundException(uri + ": no running power-loss file system of that name");
    }
    return fs;
  }

  @Override
  public Path getPath(URI uri) {
    return getFileSystem(uri).getPath(uri.getPath());
  }

  @Override
  public SeekableByteChannel newByteChannel(Path path, Set<? extends OpenOption> options,
      FileAttribute<?>... attrs) throws IOException {
    return newFileChannel(path, options, attrs);
  }

  /**
   * A file opened for writing is counted; a directory opened read-only gives a channel whose {@code force} is
   * the directory's fsync (as on Linux, where this is how Java programs fsync a directory).
   */
  @Override
  public FileChannel newFileChannel(Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs)
      throws IOException {
    PowerLossPath p = p(path);
    boolean writes = options.contains(StandardOpenOption.WRITE) || options.contains(StandardOpenOption.APPEND);
    if (!writes && read(p, () -> Files.isDirectory(p.base))) {
      return new PowerLossChannel.Directory(p);
    }
    // The disk reads what a force makes durable through the channel (the file may have no name by then).
    boolean readable = !writes || options.contains(StandardOpenOption.READ);
    Set<OpenOption> live = new java.util.HashSet<>(options);
    if (!options.contains(StandardOpenOption.APPEND)) {
      live.add(StandardOpenOption.READ);
    }
    LiveOp<FileChannel> open = () -> {
      FileChannel ch = p.base.getFileSystem().provider().newFileChannel(p.base, live, attrs);
      try {
        return new PowerLossChannel(p, ch, PowerLossDisk.key(p.base), readable);
      } catch (IOException | RuntimeException e) {
        ch.close();
        throw e;
      }
    };
    return writes ? change(p, "open-write", open) : read(p, open);
  }

  @Override
  public DirectoryStream<Path> newDirectoryStream(Path dir, DirectoryStream.Filter<? super Path> filter)
      throws IOException {
    PowerLossPath p = p(dir);
    List<Path> entries = read(p, () -> {
      List<Path> out = new ArrayList<>();
      try (DirectoryStream<Path> s = Files.newDirectoryStream(p.base)) {
        for (Path e : s) {
          Path w = p.fs.wrap(e);
          if (filter.accept(w)) {
            out.add(w);
          }
        }
      }
      return out;
    });
    return new DirectoryStream<>() {
      @Override
      public Iterator<Path> iterator() {
        return entries.iterator();
      }

      @Override
      public void close() {}
    };
  }

  @Override
  public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
    PowerLossPath p = p(dir);
    change(p, "mkdir", () -> Files.createDirectory(p.base, attrs));
  }

  @Override
  public void delete(Path path) throws IOException {
    PowerLossPath p = p(path);
    change(p, "delete", () -> {
      Files.delete(p.base);
      return null;
    });
  }

  @Override
  public void copy(Path source, Path target, CopyOption... options) throws IOException {
    PowerLossPath s = p(source);
    PowerLossPath t = p(target);
    change(t, "copy " + s + " to", () -> Files.copy(s.base, t.fs.unwrap(t), options));
  }

  @Override
  public void move(Path source, Path target, CopyOption... options) throws IOException {
    PowerLossPath s = p(source);
    PowerLossPath t = p(target);
    change(t, "rename " + s + " to", () -> Files.move(s.base, t.fs.unwrap(t), options));
  }

  @Override
  public void createLink(Path link, Path existing) throws IOException {
    PowerLossPath l = p(link);
    PowerLossPath e = p(existing);
    change(l, "link " + e + " as", () -> Files.createLink(l.base, l.fs.unwrap(e)));
  }

  @Override
  public boolean isSameFile(Path path, Path path2) throws IOException {
    PowerLossPath p = p(path);
    return path2 instanceof PowerLossPath q && q.fs == p.fs && read(p, () -> Files.isSameFile(p.base, q.base));
  }

  @Override
  public boolean isHidden(Path path) throws IOException {
    PowerLossPath p = p(path);
    return read(p, () -> Files.isHidden(p.base));
  }

  @Override
  public FileStore getFileStore(Path path) throws IOException {
    PowerLossPath p = p(path);
    return read(p, () -> Files.getFileStore(p.base));
  }

  @Override
  public void checkAccess(Path path, AccessMode... modes) throws IOException {
    PowerLossPath p = p(path);
    read(p, () -> {
      p.base.getFileSystem().provider().checkAccess(p.base, modes);
      return null;
    });
  }

  /** Attribute views are not modelled: this returns null (unsupported), so attributes are read, not set. */
  @Override
  public <V extends FileAttributeView> V getFileAttributeView(Path path, Class<V> type, LinkOption... options) {
    return null;
  }

  @Override
  public <A extends BasicFileAttributes> A readAttributes(Path path, Class<A> type, LinkOption... options)
      throws IOException {
    PowerLossPath p = p(path);
    return read(p, () -> Files.readAttributes(p.base, type, options));
  }

  @Override
  public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options)
      throws IOException {
    PowerLossPath p = p(path);
    return read(p, () -> Files.readAttributes(p.base, attributes, options));
  }

  @Override
  public void setAttribute(Path path, String attribute, Object value, LinkOption... options) {
    throw new UnsupportedOperationException("the power-loss disk does not model attributes: " + attribute);
  }
}
