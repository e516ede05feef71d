package org.ckpt4j.storage.local;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;

/** A positioned read of {@code length} bytes of a file from {@code offset} (ending early where the file ends). */
final class FileRange implements ReadableByteChannel {
  private final LocalObjectStore store;
  private final FileChannel ch;
  private final String key;
  private final long end;
  private long position;

  FileRange(LocalObjectStore store, FileChannel ch, String key, long offset, long length) {
    this.store = store;
    this.ch = ch;
    this.key = key;
    this.position = offset;
    this.end = offset + length < 0 ? Long.MAX_VALUE : offset + length;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (position >= end) {
      if (!ch.isOpen()) {
        throw new java.nio.channels.ClosedChannelException();
      }
      return -1;
    }
    int limit = dst.limit();
    if (dst.remaining() > end - position) {
      dst.limit(dst.position() + (int) (end - position));
    }
    try {
      int n = ch.read(dst, position);
      if (n > 0) {
        position += n;
      }
      return n;
    } catch (IOException e) {
      throw store.translate(e, key);
    } finally {
      dst.limit(limit);
    }
  }

  @Override
  public boolean isOpen() {
    return ch.isOpen();
  }

  @Override
  public void close() throws IOException {
    ch.close();
  }
}
