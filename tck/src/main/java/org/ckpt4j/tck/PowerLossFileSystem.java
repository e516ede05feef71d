package org.ckpt4j.tck;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.WatchService;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.nio.file.spi.FileSystemProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * One boot of a {@link PowerLossDisk}: a forwarding {@link FileSystem} over that boot's live Jimfs, whose paths
 * ({@link PowerLossPath}) route every operation through {@link PowerLossProvider}, which counts it, lets an armed
 * power cut fire before it, and records the durability barriers with the disk. Once the boot ends (power cut or
 * process crash) every operation fails; the next boot is another instance.
 */
final class PowerLossFileSystem extends FileSystem {
  private final PowerLossDisk disk;
  private final String name;
  private final FileSystem live;

  PowerLossFileSystem(PowerLossDisk disk, String name, FileSystem live) {
    this.disk = disk;
    this.name = name;
    this.live = live;
  }

  PowerLossDisk disk() {
    return disk;
  }

  /** The name in this file system's URIs ({@code ckpt4j-powerloss://<name>/path}). */
  String name() {
    return name;
  }

  /** The live file system's path for {@code path} of this one. */
  Path unwrap(Path path) {
    if (path instanceof PowerLossPath p && p.fs == this) {
      return p.base;
    }
    throw new java.nio.file.ProviderMismatchException("not a path of " + this + ": " + path);
  }

  PowerLossPath wrap(Path base) {
    return base == null ? null : new PowerLossPath(this, base);
  }

  @Override
  public FileSystemProvider provider() {
    return PowerLossProvider.INSTANCE;
  }

  /** Ends nothing: a boot ends by a power cut or crash, the disk by {@link PowerLossDisk#close()}. */
  @Override
  public void close() {}

  @Override
  public boolean isOpen() {
    return live.isOpen();
  }

  @Override
  public boolean isReadOnly() {
    return false;
  }

  @Override
  public String getSeparator() {
    return live.getSeparator();
  }

  @Override
  public Iterable<Path> getRootDirectories() {
    List<Path> roots = new ArrayList<>();
    live.getRootDirectories().forEach(r -> roots.add(wrap(r)));
    return roots;
  }

  @Override
  public Iterable<FileStore> getFileStores() {
    return live.getFileStores();
  }

  @Override
  public Set<String> supportedFileAttributeViews() {
    return Set.of("basic");
  }

  @Override
  public Path getPath(String first, String... more) {
    return wrap(live.getPath(first, more));
  }

  @Override
  public PathMatcher getPathMatcher(String syntaxAndPattern) {
    PathMatcher m = live.getPathMatcher(syntaxAndPattern);
    return p -> m.matches(unwrap(p));
  }

  @Override
  public UserPrincipalLookupService getUserPrincipalLookupService() {
    throw new UnsupportedOperationException("the power-loss disk does not model owners");
  }

  @Override
  public WatchService newWatchService() throws IOException {
    throw new UnsupportedOperationException("the power-loss disk does not model watch services");
  }

  @Override
  public String toString() {
    return "PowerLossFileSystem[" + name + "]";
  }
}
