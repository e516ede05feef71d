package org.ckpt4j.storage.s3;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.NoSuchFileException;
import java.util.ArrayDeque;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import org.ckpt4j.storage.s3.S3Errors.Op;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;

/**
 * A streaming read of one object. The first part ({@code part-size} bytes) streams straight from the first GET
 * (a ranged one, which also tells the object's size); for larger objects the following parts are fetched ahead
 * with ranged GETs ({@code Range: bytes=a-b}, never {@code ?partNumber}), {@code parallelism} at a time, each
 * pinned to the first answer's ETag with {@code If-Match} so that a replaced object cannot be mixed into the
 * read. Memory: at most {@code parallelism x part size} per channel. An object deleted or replaced while it is
 * read raises {@link NoSuchFileException} from {@link #read}.
 */
final class RangedReadChannel implements ReadableByteChannel {
  private final S3ObjectStore store;
  private final String key;
  private final ResponseInputStream<GetObjectResponse> first;
  private final long firstLength;
  private final long size;
  private final String etag;
  private final ArrayDeque<Future<byte[]>> ahead = new ArrayDeque<>();
  private byte[] scratch;

  private long position;
  private long nextFetch;
  private byte[] part;
  private int partPos;
  private boolean firstOpen = true;
  private boolean closed;

  /**
   * @param start the first byte to read
   * @param firstEnd the end (exclusive) of what {@code first} streams
   * @param end the end (exclusive) of the read: the range's end or the object's, whichever comes first
   */
  private RangedReadChannel(S3ObjectStore store, String key, ResponseInputStream<GetObjectResponse> first,
      long start, long firstEnd, long end, String etag) {
    this.store = store;
    this.key = key;
    this.first = first;
    this.position = start;
    this.firstLength = firstEnd;
    this.size = end;
    this.etag = etag;
    this.nextFetch = firstEnd;
    this.firstOpen = first != null;
  }

  static RangedReadChannel open(S3ObjectStore store, String key) throws IOException {
    return open(store, key, 0, Long.MAX_VALUE);
  }

  /** Reads {@code length} bytes from {@code offset}, or fewer where the object ends. */
  static RangedReadChannel open(S3ObjectStore store, String key, long offset, long length) throws IOException {
    if (length == 0) {
      if (store.size(key).isEmpty()) {
        throw new NoSuchFileException(store.uri() + "/" + key, null, "no such object");
      }
      return new RangedReadChannel(store, key, null, offset, offset, offset, null);
    }
    GetObjectRequest.Builder request = GetObjectRequest.builder().bucket(store.settings.bucket)
        .key(store.key(key));
    ResponseInputStream<GetObjectResponse> in;
    long firstTo = offset + Math.min(length, store.settings.partSize) - 1;
    try {
      in = store.client.getObject(request.range("bytes=" + offset + "-" + firstTo).build());
    } catch (SdkException e) {
      if (!(e instanceof SdkServiceException && ((SdkServiceException) e).statusCode() == 416)) {
        throw store.errors.translate(Op.GET_OBJECT, key, e);
      }
      if (offset > 0) {
        // The object ends before the range starts: nothing to read (the caller sees the shortfall).
        return new RangedReadChannel(store, key, null, offset, offset, offset, null);
      }
      // An empty object has no byte 0: get it without a range.
      try {
        in = store.client.getObject(request.range(null).build());
      } catch (SdkException e2) {
        throw store.errors.translate(Op.GET_OBJECT, key, e2);
      }
    }
    GetObjectResponse r = in.response();
    long got = r.contentLength() == null ? -1 : r.contentLength();
    long total = totalOf(r.contentRange(), got);
    if (offset > 0 && r.contentRange() == null) {
      in.abort();
      throw new IOException(store.uri() + ": GetObject " + store.key(key) + " with Range: bytes=" + offset + "-"
          + firstTo + " answered without Content-Range; the server must support ranged GETs");
    }
    if (got < 0 || total < 0) {
      in.abort();
      throw new IOException(store.uri() + ": GetObject " + store.key(key) + ": the server sent no usable "
          + "Content-Length/Content-Range (" + r.contentRange() + ")");
    }
    long end = length > total - offset ? total : offset + length;
    RangedReadChannel channel = new RangedReadChannel(store, key, in, offset, offset + got, Math.max(offset, end),
        r.eTag());
    channel.fetchAhead();
    return channel;
  }

  /** The object's size from {@code bytes a-b/size}; without a range (the server sent it all), the length. */
  private static long totalOf(String contentRange, long length) {
    if (contentRange == null) {
      return length;
    }
    int slash = contentRange.lastIndexOf('/');
    try {
      return Long.parseLong(contentRange.substring(slash + 1).trim());
    } catch (NumberFormatException e) {
      return -1;
    }
  }

  /** Keeps {@code parallelism} ranged GETs in flight ahead of the reader. */
  private void fetchAhead() throws IOException {
    while (ahead.size() < store.settings.parallelism && nextFetch < size) {
      long from = nextFetch;
      long to = Math.min(size, from + store.settings.partSize) - 1;
      nextFetch = to + 1;
      try {
        ahead.add(store.transfers.submit(() -> fetch(from, to)));
      } catch (RejectedExecutionException e) {
        throw new ClosedChannelException();
      }
    }
  }

  private byte[] fetch(long from, long to) throws IOException {
    GetObjectRequest.Builder request = GetObjectRequest.builder().bucket(store.settings.bucket)
        .key(store.key(key)).range("bytes=" + from + "-" + to);
    if (etag != null) {
      request.ifMatch(etag);
    }
    int expected = (int) (to - from + 1);
    try (ResponseInputStream<GetObjectResponse> in = store.client.getObject(request.build())) {
      byte[] bytes = in.readNBytes(expected);
      if (bytes.length != expected || in.read() != -1) {
        throw new NoSuchFileException(store.uri() + "/" + key, null, "object changed while read: bytes " + from
            + "-" + to + " came back with " + bytes.length + (bytes.length == expected ? "+" : "") + " bytes");
      }
      return bytes;
    } catch (SdkException e) {
      if (S3Errors.isPreconditionFailed(e)) {
        throw new NoSuchFileException(store.uri() + "/" + key, null, "object replaced while read (ETag changed)");
      }
      throw store.errors.translate(Op.GET_OBJECT, key, e);
    }
  }

  @Override
  public synchronized int read(ByteBuffer dst) throws IOException {
    if (closed) {
      throw new ClosedChannelException();
    }
    if (position >= size) {
      closeFirst();
      return -1;
    }
    if (!dst.hasRemaining()) {
      return 0;
    }
    int n = position < firstLength ? readFirst(dst) : readAhead(dst);
    position += n;
    return n;
  }

  private int readFirst(ByteBuffer dst) throws IOException {
    int want = (int) Math.min(dst.remaining(), firstLength - position);
    int n;
    try {
      if (dst.hasArray()) {
        n = first.read(dst.array(), dst.arrayOffset() + dst.position(), want);
        if (n > 0) {
          dst.position(dst.position() + n);
        }
      } else {
        if (scratch == null) {
          scratch = new byte[64 * 1024];
        }
        n = first.read(scratch, 0, Math.min(want, scratch.length));
        if (n > 0) {
          dst.put(scratch, 0, n);
        }
      }
    } catch (SdkException e) {
      throw store.errors.translate(Op.GET_OBJECT, key, e);
    }
    if (n < 0) {
      throw new NoSuchFileException(store.uri() + "/" + key, null, "object ended after " + position + " of "
          + size + " bytes (changed while read?)");
    }
    if (position + n == firstLength) {
      closeFirst();
    }
    return n;
  }

  private int readAhead(ByteBuffer dst) throws IOException {
    if (part == null || partPos == part.length) {
      Future<byte[]> next = ahead.poll();
      if (next == null) {
        throw new IllegalStateException("no part fetched for position " + position);
      }
      try {
        part = next.get();
      } catch (InterruptedException e) {
        close();
        Thread.currentThread().interrupt();
        throw new ClosedByInterruptException();
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        throw cause instanceof IOException ? (IOException) cause : new IOException(cause);
      }
      partPos = 0;
      fetchAhead();
    }
    int n = Math.min(dst.remaining(), part.length - partPos);
    dst.put(part, partPos, n);
    partPos += n;
    return n;
  }

  private void closeFirst() {
    if (firstOpen && first != null) {
      firstOpen = false;
      if (position < firstLength) {
        first.abort(); // do not drain the rest of an unread body
      }
      try {
        first.close();
      } catch (IOException | RuntimeException e) {
        // the connection is discarded either way
      }
    }
  }

  @Override
  public synchronized boolean isOpen() {
    return !closed;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    closeFirst();
    for (Future<byte[]> f : ahead) {
      f.cancel(true);
    }
    ahead.clear();
    part = null;
  }
}
