package org.ckpt4j.spi.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;

/** A view of a channel whose close does not close it (a blob's window of a shared pack stream). */
final class Unclosable implements ReadableByteChannel {
  private final ReadableByteChannel in;
  private boolean closed;

  Unclosable(ReadableByteChannel in) {
    this.in = in;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (closed) {
      throw new ClosedChannelException();
    }
    return in.read(dst);
  }

  @Override
  public boolean isOpen() {
    return !closed && in.isOpen();
  }

  @Override
  public void close() {
    closed = true;
  }
}
