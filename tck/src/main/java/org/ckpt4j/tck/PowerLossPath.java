package org.ckpt4j.tck;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;

/** A path of a {@link PowerLossFileSystem}: the live Jimfs path it stands for, wrapped. */
final class PowerLossPath implements Path {
  final PowerLossFileSystem fs;
  final Path base;

  PowerLossPath(PowerLossFileSystem fs, Path base) {
    this.fs = fs;
    this.base = base;
  }

  @Override
  public PowerLossFileSystem getFileSystem() {
    return fs;
  }

  @Override
  public boolean isAbsolute() {
    return base.isAbsolute();
  }

  @Override
  public Path getRoot() {
    return fs.wrap(base.getRoot());
  }

  @Override
  public Path getFileName() {
    return fs.wrap(base.getFileName());
  }

  @Override
  public Path getParent() {
    return fs.wrap(base.getParent());
  }

  @Override
  public int getNameCount() {
    return base.getNameCount();
  }

  @Override
  public Path getName(int index) {
    return fs.wrap(base.getName(index));
  }

  @Override
  public Path subpath(int beginIndex, int endIndex) {
    return fs.wrap(base.subpath(beginIndex, endIndex));
  }

  @Override
  public boolean startsWith(Path other) {
    return other instanceof PowerLossPath p && p.fs == fs && base.startsWith(p.base);
  }

  @Override
  public boolean endsWith(Path other) {
    return other instanceof PowerLossPath p && p.fs == fs && base.endsWith(p.base);
  }

  @Override
  public Path normalize() {
    return fs.wrap(base.normalize());
  }

  @Override
  public Path resolve(Path other) {
    return fs.wrap(base.resolve(fs.unwrap(other)));
  }

  @Override
  public Path relativize(Path other) {
    return fs.wrap(base.relativize(fs.unwrap(other)));
  }

  /** {@code ckpt4j-powerloss://<file system>/abs/path}, which {@link java.nio.file.Path#of(URI)} resolves. */
  @Override
  public URI toUri() {
    try {
      return new URI(PowerLossProvider.SCHEME, fs.name(), base.toAbsolutePath().toString(), null);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("no URI for " + this, e);
    }
  }

  @Override
  public Path toAbsolutePath() {
    return fs.wrap(base.toAbsolutePath());
  }

  @Override
  public Path toRealPath(LinkOption... options) throws IOException {
    return PowerLossProvider.read(this, () -> fs.wrap(base.toRealPath(options)));
  }

  @Override
  public WatchKey register(WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers) {
    throw new UnsupportedOperationException("the power-loss disk does not model watch services");
  }

  @Override
  public int compareTo(Path other) {
    return base.compareTo(fs.unwrap(other));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PowerLossPath p && p.fs == fs && p.base.equals(base);
  }

  @Override
  public int hashCode() {
    return base.hashCode();
  }

  @Override
  public String toString() {
    return base.toString();
  }
}
