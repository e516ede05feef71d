package org.ckpt4j.tck;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;

/**
 * A file of a {@link PowerLossFileSystem} opened as a channel: forwards to the live file's channel; writes are
 * counted, {@code force} makes the file's current bytes durable ({@link PowerLossDisk#forceFile}), and every
 * call fails once the boot ended. {@link Directory} is a directory opened to be fsynced.
 */
class PowerLossChannel extends FileChannel {
  private final PowerLossPath path;
  private final FileChannel live;
  private final Object key;
  private final boolean readable;

  PowerLossChannel(PowerLossPath path, FileChannel live, Object key, boolean readable) {
    this.path = path;
    this.live = live;
    this.key = key;
    this.readable = readable;
  }

  private <T> T read(PowerLossProvider.LiveOp<T> op) throws IOException {
    return PowerLossProvider.read(path, op);
  }

  /** A read of the file's bytes: refused on a channel opened only for writing, as the JDK's. */
  private <T> T readBytes(PowerLossProvider.LiveOp<T> op) throws IOException {
    if (!readable) {
      throw new java.nio.channels.NonReadableChannelException();
    }
    return read(op);
  }

  private <T> T write(PowerLossProvider.LiveOp<T> op) throws IOException {
    return PowerLossProvider.change(path, "write", op);
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    return readBytes(() -> live.read(dst));
  }

  @Override
  public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
    return readBytes(() -> live.read(dsts, offset, length));
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    return write(() -> live.write(src));
  }

  @Override
  public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
    return write(() -> live.write(srcs, offset, length));
  }

  @Override
  public long position() throws IOException {
    return read(live::position);
  }

  @Override
  public FileChannel position(long newPosition) throws IOException {
    read(() -> live.position(newPosition));
    return this;
  }

  @Override
  public long size() throws IOException {
    return read(live::size);
  }

  @Override
  public FileChannel truncate(long size) throws IOException {
    PowerLossProvider.change(path, "truncate", () -> live.truncate(size));
    return this;
  }

  @Override
  public void force(boolean metaData) throws IOException {
    synchronized (path.fs.disk()) {
      path.fs.disk().forceFile(path.fs, path, key, live);
    }
  }

  @Override
  public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
    return readBytes(() -> live.transferTo(position, count, target));
  }

  @Override
  public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
    return write(() -> live.transferFrom(src, position, count));
  }

  @Override
  public int read(ByteBuffer dst, long position) throws IOException {
    return readBytes(() -> live.read(dst, position));
  }

  @Override
  public int write(ByteBuffer src, long position) throws IOException {
    return write(() -> live.write(src, position));
  }

  @Override
  public MappedByteBuffer map(MapMode mode, long position, long size) {
    throw new UnsupportedOperationException("the power-loss disk does not model memory-mapped files");
  }

  @Override
  public FileLock lock(long position, long size, boolean shared) throws IOException {
    return read(() -> live.lock(position, size, shared));
  }

  @Override
  public FileLock tryLock(long position, long size, boolean shared) throws IOException {
    return read(() -> live.tryLock(position, size, shared));
  }

  @Override
  protected void implCloseChannel() throws IOException {
    live.close();
  }

  /** A directory opened read-only: {@code force} is its fsync ({@link PowerLossDisk#syncDir}); nothing else. */
  static final class Directory extends FileChannel {
    private final PowerLossPath dir;

    Directory(PowerLossPath dir) {
      this.dir = dir;
    }

    @Override
    public void force(boolean metaData) throws IOException {
      synchronized (dir.fs.disk()) {
        dir.fs.disk().syncDir(dir.fs, dir.base);
      }
    }

    private IOException isADirectory() {
      return new java.nio.file.FileSystemException(dir.toString(), null, "is a directory");
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      throw isADirectory();
    }

    @Override
    public long read(ByteBuffer[] dsts, int offset, int length) throws IOException {
      throw isADirectory();
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      throw isADirectory();
    }

    @Override
    public long write(ByteBuffer[] srcs, int offset, int length) throws IOException {
      throw isADirectory();
    }

    @Override
    public long position() {
      return 0;
    }

    @Override
    public FileChannel position(long newPosition) {
      return this;
    }

    @Override
    public long size() {
      return 0;
    }

    @Override
    public FileChannel truncate(long size) throws IOException {
      throw isADirectory();
    }

    @Override
    public long transferTo(long position, long count, WritableByteChannel target) throws IOException {
      throw isADirectory();
    }

    @Override
    public long transferFrom(ReadableByteChannel src, long position, long count) throws IOException {
      throw isADirectory();
    }

    @Override
    public int read(ByteBuffer dst, long position) throws IOException {
      throw isADirectory();
    }

    @Override
    public int write(ByteBuffer src, long position) throws IOException {
      throw isADirectory();
    }

    @Override
    public MappedByteBuffer map(MapMode mode, long position, long size) throws IOException {
      throw isADirectory();
    }

    @Override
    public FileLock lock(long position, long size, boolean shared) throws IOException {
      throw isADirectory();
    }

    @Override
    public FileLock tryLock(long position, long size, boolean shared) throws IOException {
      throw isADirectory();
    }

    @Override
    protected void implCloseChannel() {}
  }
}
