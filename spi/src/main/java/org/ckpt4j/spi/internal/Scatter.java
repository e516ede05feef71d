package org.ckpt4j.spi.internal;

import java.io.EOFException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.function.ToLongFunction;
import org.ckpt4j.spi.Checkpoint;

/** Checks and the plain fill for {@link Checkpoint#readInto}. */
public final class Scatter {
  private Scatter() {}

  /** Every name a blob, every blob's size its buffers' remaining bytes, no buffer read-only. */
  public static void check(Checkpoint cp, Map<String, List<ByteBuffer>> targets) {
    Map<String, Long> sizes = cp.blobs();
    check(cp, targets, name -> {
      Long size = sizes.get(name);
      return size == null ? -1 : size;
    });
  }

  /** As {@link #check(Checkpoint, Map)}, with each blob's size (-1 if absent) from {@code sizeOf}. */
  public static void check(Checkpoint cp, Map<String, List<ByteBuffer>> targets, ToLongFunction<String> sizeOf) {
    targets.forEach((name, buffers) -> {
      long size = sizeOf.applyAsLong(name);
      if (size < 0) {
        throw new NoSuchElementException("checkpoint #" + cp.sequence() + " has no blob \"" + name + "\"");
      }
      if (buffers == null || buffers.isEmpty()) {
        throw new IllegalArgumentException("no buffer given for blob \"" + name + "\" (" + size + " bytes)");
      }
      long room = 0;
      for (ByteBuffer b : buffers) {
        if (b.isReadOnly()) {
          throw new IllegalArgumentException("a buffer for blob \"" + name + "\" is read-only");
        }
        room += b.remaining();
      }
      if (room != size) {
        throw new IllegalArgumentException("blob \"" + name + "\" of checkpoint #" + cp.sequence() + " holds "
            + size + " bytes, but its " + buffers.size() + " buffer(s) have " + room + " bytes remaining");
      }
    });
  }

  /** Fills the buffers from the blob's channel, then reads to its end so that the channel verifies the blob. */
  public static void fill(String name, ReadableByteChannel ch, List<ByteBuffer> buffers) throws IOException {
    for (ByteBuffer b : buffers) {
      while (b.hasRemaining()) {
        if (ch.read(b) < 0) {
          throw new EOFException("blob \"" + name + "\" ended before its recorded size");
        }
      }
    }
    if (ch.read(ByteBuffer.allocate(1)) >= 0) {
      throw new IOException("blob \"" + name + "\" is longer than its recorded size");
    }
  }
}
