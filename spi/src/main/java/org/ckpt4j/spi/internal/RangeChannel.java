package org.ckpt4j.spi.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;

/** Reads at most {@code length} bytes of another channel, then reports the end; closing closes it. */
public final class RangeChannel implements ReadableByteChannel {
  private final ReadableByteChannel in;
  private long left;

  public RangeChannel(ReadableByteChannel in, long length) {
    this.in = in;
    this.left = length;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (left <= 0) {
      if (!in.isOpen()) {
        throw new java.nio.channels.ClosedChannelException();
      }
      return -1;
    }
    int limit = dst.limit();
    if (dst.remaining() > left) {
      dst.limit(dst.position() + (int) left);
    }
    try {
      int n = in.read(dst);
      if (n > 0) {
        left -= n;
      }
      return n;
    } finally {
      dst.limit(limit);
    }
  }

  @Override
  public boolean isOpen() {
    return in.isOpen();
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
