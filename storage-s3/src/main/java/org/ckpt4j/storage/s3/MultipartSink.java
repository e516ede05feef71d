package org.ckpt4j.storage.s3;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.ckpt4j.spi.StoreAccessException;
import org.ckpt4j.spi.backend.ObjectStore;
import org.ckpt4j.storage.s3.S3Errors.Op;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;

/**
 * A streamed object: buffered up to one part, then sent as a multipart upload whose parts go up in parallel,
 * at most {@code parallelism} at a time, so memory stays below {@code (parallelism + 1) x part size} whatever
 * the object's size. An object smaller than one part is a single PutObject. Both end with
 * {@code If-None-Match: *}, so an object is never overwritten. Closing without {@link #finish()}, or any
 * failure, aborts the multipart upload; uploads of a killed process are aborted by
 * {@link S3ObjectStore#purgeIncomplete} on a later open.
 *
 * <p>Part sizes double every 1000 parts (up to 1 GiB), so that S3's limit of 10,000 parts allows objects of
 * about 4 TiB with 8 MiB parts. Written by one thread at a time (the caller's); parts upload on the store's
 * transfer pool.
 */
final class MultipartSink implements ObjectStore.ObjectSink {
  private static final Logger LOG = LoggerFactory.getLogger(MultipartSink.class);
  private static final int FIRST_BUFFER = 64 * 1024;
  private static final String BINARY = "application/octet-stream";

  private final S3ObjectStore store;
  private final String key;
  private final int parallelism;
  private final Semaphore permits;
  private final ArrayDeque<byte[]> spare = new ArrayDeque<>();
  private final List<Future<CompletedPart>> parts = new ArrayList<>();

  private byte[] buffer;
  private int length;
  /** Part buffers allocated by this sink (for tests: at most parallelism + 1 while the part size is constant). */
  private int allocated;
  private long total;
  private String uploadId;
  private boolean closed;
  private boolean finished;
  private volatile boolean aborting;
  private volatile Throwable partFailure;

  MultipartSink(S3ObjectStore store, String key) {
    this.store = store;
    this.key = key;
    this.parallelism = store.settings.parallelism;
    this.permits = new Semaphore(parallelism);
  }

  private int partSize(int partNumber) {
    return partSize(store.settings.partSize, partNumber);
  }

  /** The size of part {@code partNumber} (1-based): {@code base}, doubled every 1000 parts, at most 1 GiB. */
  static int partSize(long base, int partNumber) {
    long size = base << Math.min(20, (partNumber - 1) / 1000);
    return (int) Math.min(Math.max(size, base), S3Settings.MAX_PART_SIZE);
  }

  @Override
  public synchronized int write(ByteBuffer src) throws IOException {
    checkWritable();
    int n = src.remaining();
    while (src.hasRemaining()) {
      int target = partSize(parts.size() + 1);
      if (buffer == null) {
        buffer = parts.isEmpty() ? new byte[Math.min(FIRST_BUFFER, target)] : takeBuffer(target);
        allocated += parts.isEmpty() ? 1 : 0;
      } else if (length == buffer.length && buffer.length < target) {
        buffer = Arrays.copyOf(buffer, (int) Math.min((long) buffer.length * 2, target));
      }
      int chunk = Math.min(src.remaining(), buffer.length - length);
      src.get(buffer, length, chunk);
      length += chunk;
      total += chunk;
      if (length == target) {
        sendPart();
      }
    }
    return n;
  }

  private byte[] takeBuffer(int size) {
    synchronized (spare) {
      byte[] b = spare.poll();
      if (b != null && b.length == size) {
        return b;
      }
      allocated++;
      return new byte[size];
    }
  }

  private void checkWritable() throws IOException {
    if (closed) {
      throw new ClosedChannelException();
    }
    Throwable failed = partFailure;
    if (failed != null) {
      close();
      throw asIOException(failed);
    }
  }

  /** Hands the full buffer to the transfer pool, waiting while {@code parallelism} parts are in flight. */
  private void sendPart() throws IOException {
    try {
      if (uploadId == null) {
        uploadId = store.client.createMultipartUpload(CreateMultipartUploadRequest.builder()
            .bucket(store.settings.bucket).key(store.key(key)).contentType(BINARY).build()).uploadId();
        LOG.debug("{}: multipart upload of {} started", store.uri(), key);
      }
    } catch (SdkException e) {
      IOException x = store.errors.translate(Op.CREATE_MULTIPART_UPLOAD, key, e);
      close();
      throw x;
    }
    try {
      permits.acquire();
    } catch (InterruptedException e) {
      close();
      Thread.currentThread().interrupt();
      throw new ClosedByInterruptException();
    }
    byte[] part = buffer;
    int size = length;
    int number = parts.size() + 1;
    buffer = null;
    length = 0;
    try {
      parts.add(store.transfers.submit(() -> uploadPart(number, part, size)));
    } catch (RejectedExecutionException e) {
      permits.release();
      close();
      throw new StoreAccessException(store.uri(), StoreAccessException.Reason.OTHER, "cannot upload "
          + store.key(key) + ": the store was closed", e);
    }
  }

  private CompletedPart uploadPart(int number, byte[] part, int size) throws IOException {
    try {
      if (aborting || partFailure != null) {
        throw new InterruptedIOException("upload aborted");
      }
      String etag = store.client.uploadPart(UploadPartRequest.builder().bucket(store.settings.bucket)
              .key(store.key(key)).uploadId(uploadId).partNumber(number).contentLength((long) size).build(),
          RequestBody.fromContentProvider(() -> new ByteArrayInputStream(part, 0, size), size, BINARY)).eTag();
      return CompletedPart.builder().partNumber(number).eTag(etag).build();
    } catch (IOException | RuntimeException e) {
      IOException x = e instanceof SdkException ? store.errors.translate(Op.UPLOAD_PART, key, (SdkException) e)
          : e instanceof IOException ? (IOException) e : new IOException(e);
      if (partFailure == null) {
        partFailure = x;
      }
      throw x;
    } finally {
      synchronized (spare) {
        if (spare.size() < parallelism) {
          spare.push(part);
        }
      }
      permits.release();
    }
  }

  @Override
  public synchronized boolean isOpen() {
    return !closed;
  }

  @Override
  public synchronized void finish() throws IOException {
    checkWritable();
    boolean ok = false;
    try {
      if (uploadId == null) {
        putWhole();
      } else {
        if (length > 0) {
          sendPart();
        }
        complete(awaitParts());
      }
      ok = true;
      finished = true;
    } finally {
      if (!ok) {
        close();
      }
      closed = true;
      buffer = null;
    }
  }

  private void putWhole() throws IOException {
    byte[] content = buffer == null ? new byte[0] : buffer;
    int size = length;
    try {
      store.client.putObject(PutObjectRequest.builder().bucket(store.settings.bucket).key(store.key(key))
              .ifNoneMatch("*").contentType(BINARY).contentLength((long) size).build(),
          RequestBody.fromContentProvider(() -> new ByteArrayInputStream(content, 0, size), size, BINARY));
    } catch (SdkException e) {
      if (!S3Errors.isPreconditionFailed(e)) {
        throw store.errors.translate(Op.PUT_OBJECT, key, e);
      }
      checkOwnRetry(e);
    }
  }

  private List<CompletedPart> awaitParts() throws IOException {
    List<CompletedPart> done = new ArrayList<>(parts.size());
    for (Future<CompletedPart> f : parts) {
      try {
        done.add(f.get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new ClosedByInterruptException();
      } catch (ExecutionException e) {
        throw asIOException(e.getCause());
      }
    }
    return done;
  }

  private void complete(List<CompletedPart> done) throws IOException {
    try {
      store.client.completeMultipartUpload(CompleteMultipartUploadRequest.builder().bucket(store.settings.bucket)
          .key(store.key(key)).uploadId(uploadId).ifNoneMatch("*")
          .multipartUpload(m -> m.parts(done)).build());
      LOG.debug("{}: multipart upload of {} completed: {} bytes in {} parts", store.uri(), key, total,
          done.size());
    } catch (SdkException e) {
      if (!S3Errors.isPreconditionFailed(e)) {
        throw store.errors.translate(Op.COMPLETE_MULTIPART_UPLOAD, key, e);
      }
      checkOwnRetry(e);
    }
  }

  /**
   * {@code If-None-Match: *} failed: the key is unique to this write, so the object there is this very write
   * when the SDK retried a request whose first answer was lost. Its size tells; anything else is an error.
   */
  private void checkOwnRetry(SdkException e) throws IOException {
    Optional<Long> size = store.size(key);
    if (size.isPresent() && size.get() == total) {
      LOG.debug("{}: {} exists with the size written: a retried request of this write succeeded", store.uri(),
          key);
      return;
    }
    throw new StoreAccessException(store.uri(), StoreAccessException.Reason.OTHER, "cannot create "
        + store.key(key) + ": another object with this key appeared while it was written (HTTP 412)", e);
  }

  @Override
  public synchronized void close() {
    if (finished || aborting) {
      closed = true;
      return;
    }
    closed = true;
    aborting = true;
    buffer = null;
    if (uploadId == null) {
      return;
    }
    // Abort once the parts in flight are done (an abort racing a part upload can leave the part behind).
    // An interrupted caller still aborts: the flag is cleared for the requests and set again afterwards.
    boolean interrupted = Thread.interrupted();
    int acquired = 0;
    try {
      long deadline = System.nanoTime() + 2 * store.settings.readTimeout.toNanos() + TimeUnit.SECONDS.toNanos(10);
      while (acquired == 0) {
        try {
          acquired = permits.tryAcquire(parallelism, Math.max(0, deadline - System.nanoTime()),
              TimeUnit.NANOSECONDS) ? parallelism : -1;
        } catch (InterruptedException e) {
          interrupted = true;
        }
      }
      store.abortUpload(key, uploadId);
      LOG.debug("{}: multipart upload of {} aborted", store.uri(), key);
    } catch (IOException e) {
      LOG.warn("{}: could not abort the multipart upload of {} ({}); a later open removes it", store.uri(),
          store.key(key), e.getMessage());
    } finally {
      if (acquired > 0) {
        permits.release(acquired);
      }
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  synchronized int buffersAllocated() {
    return allocated;
  }

  private static IOException asIOException(Throwable t) {
    return t instanceof IOException ? (IOException) t : new IOException(t);
  }

  @Override
  public String toString() {
    return "MultipartSink[" + store.uri() + " " + key + ", " + total + " bytes, " + parts.size() + " parts]";
  }
}
