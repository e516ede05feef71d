package org.ckpt4j.spi.internal;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.NoSuchFileException;
import org.ckpt4j.spi.CorruptCheckpointException;

/** Counts and checksums what is read; fails no later than the read that reaches the end (R4). */
final class VerifyingChannel implements ReadableByteChannel {
  private final ReadableByteChannel in;
  /** Instead of {@code in}: a local file read by position from {@code offset}, and what to close with it. */
  private final FileReads file;
  private final long offset;
  private final java.io.Closeable resources;
  private final String key;
  final long size;
  private final long crc;
  private final StoredCheckpoint owner;
  private final URI uri;
  private final Checksums sums = new Checksums();
  long read;
  boolean verified;
  private boolean closed;

  VerifyingChannel(ReadableByteChannel in, String key, long size, long crc, StoredCheckpoint owner,
      URI uri) {
    this(in, null, 0, null, key, size, crc, owner, uri);
  }

  VerifyingChannel(FileReads file, long offset, java.io.Closeable resources, String key, long size, long crc,
      StoredCheckpoint owner, URI uri) {
    this(null, file, offset, resources, key, size, crc, owner, uri);
  }

  private VerifyingChannel(ReadableByteChannel in, FileReads file, long offset, java.io.Closeable resources,
      String key, long size, long crc, StoredCheckpoint owner, URI uri) {
    this.in = in;
    this.file = file;
    this.offset = offset;
    this.resources = resources;
    this.key = key;
    this.size = size;
    this.crc = crc;
    this.owner = owner;
    this.uri = uri;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (closed) {
      throw new ClosedChannelException();
    }
    if (verified) {
      return -1;
    }
    if (file != null) {
      return readFile(dst);
    }
    int n = 0;
    try {
      // Large reads go chunk by chunk, each chunk checksummed on a helper thread while the next is read.
      do {
        int limit = dst.limit();
        int start = dst.position();
        // Chunks of an eighth of what is left (at least Checksums.CHUNK): large reads at first (a disk reads
        // large requests faster), small ones at the end, so the checksum of the last chunk costs little.
        long chunk = Math.max(Checksums.CHUNK, Math.min(Integer.MAX_VALUE, (size - read) / 8));
        dst.limit((int) Math.min(limit, start + chunk));
        int r;
        try {
          r = in.read(dst);
        } catch (NoSuchFileException e) {
          throw owner.missing(key);
        } finally {
          dst.limit(limit);
        }
        if (r <= 0) {
          n = n == 0 ? r : n;
          break;
        }
        ByteBuffer view = dst.duplicate();
        view.limit(start + r);
        view.position(start);
        sums.queue(view);
        n += r;
        read += r;
        if (read > size) {
          throw corrupt("longer than the " + size + " bytes recorded at commit");
        }
      } while (dst.hasRemaining() && read < size);
    } finally {
      sums.await();
    }
    if (n < 0 || (read == size && atEnd())) {
      verify();
      return n < 0 ? -1 : n;
    }
    return n;
  }

  /** Reads by position: the range ends at the recorded size, so only a short file is left to detect. */
  private int readFile(ByteBuffer dst) throws IOException {
    int limit = dst.limit();
    if (dst.remaining() > size - read) {
      dst.limit(dst.position() + (int) (size - read));
    }
    FileReads.Result r;
    try {
      r = file.read(dst, offset + read);
    } finally {
      dst.limit(limit);
    }
    if (r.count() > 0) {
      sums.append(r.crc(), r.count());
      read += r.count();
    }
    if (r.count() < 0 || read == size) {
      verify();
    }
    return r.count();
  }

  /** Whether the source has nothing more; reads a probe byte only when the expected size is reached. */
  private boolean atEnd() throws IOException {
    ByteBuffer probe = ByteBuffer.allocate(1);
    int n;
    do {
      n = in.read(probe);
    } while (n == 0);
    if (n > 0) {
      throw corrupt("longer than the " + size + " bytes recorded at commit");
    }
    return true;
  }

  private void verify() throws CorruptCheckpointException {
    if (read != size) {
      throw corrupt("truncated: " + read + " of " + size + " bytes");
    }
    long actual = sums.value();
    if (actual != crc) {
      throw corrupt(String.format("CRC32 mismatch: recorded %08x, read %08x", crc, actual));
    }
    verified = true;
  }

  private CorruptCheckpointException corrupt(String what) {
    return new CorruptCheckpointException(uri, key, what);
  }

  @Override
  public boolean isOpen() {
    return !closed && (in == null || in.isOpen());
  }

  @Override
  public void close() throws IOException {
    closed = true;
    if (in != null) {
      in.close();
    } else if (resources != null) {
      resources.close();
    }
  }
}
