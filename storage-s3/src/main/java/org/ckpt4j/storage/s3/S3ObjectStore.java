package org.ckpt4j.storage.s3;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.URI;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.spi.backend.ObjectStore;
import org.ckpt4j.storage.s3.S3Errors.Op;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.AbortMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.ListMultipartUploadsRequest;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * The object primitives on S3, under the key prefix of one backup dir. The one atomic primitive,
 * create-if-absent, is a PutObject (or CompleteMultipartUpload) with {@code If-None-Match: *}; {@code If-Match} is
 * never used (some S3-compatible servers check it and write non-atomically). Streamed objects go up as multipart
 * uploads with parts sent in parallel from a bounded set of buffers, and come down as ranged GETs fetched ahead
 * in parallel; {@code GET ?partNumber} is never used.
 */
final class S3ObjectStore implements ObjectStore {
  private static final Logger LOG = LoggerFactory.getLogger(S3ObjectStore.class);
  private static final AtomicInteger POOLS = new AtomicInteger();
  /** How often a create-if-absent that meets a concurrent conditional write (409) is tried. */
  private static final int CONFLICT_ATTEMPTS = 6;

  final S3Settings settings;
  final S3Client client;
  final S3Errors errors;
  /** Runs part uploads and read-ahead GETs of every stream of this store; each stream bounds its own share. */
  final ExecutorService transfers;

  S3ObjectStore(S3Settings settings, S3Client client) {
    this.settings = settings;
    this.client = client;
    this.errors = new S3Errors(settings, client);
    int threads = Math.max(4, 2 * settings.parallelism);
    int pool = POOLS.incrementAndGet();
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor executor = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), r -> {
          Thread t = new Thread(r, "ckpt4j-s3-" + pool + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    executor.allowCoreThreadTimeOut(true);
    this.transfers = executor;
  }

  @Override
  public URI uri() {
    return settings.uri;
  }

  /** The full S3 key of a key relative to the backup dir. */
  String key(String relative) {
    return settings.prefix + relative;
  }

  /**
   * Runs a short request to its end even if this thread is interrupted, and keeps the interrupt flag: like a
   * file system call, so that cleanup after an interrupt (deletes, aborts, the release record) still happens.
   * Only the streams (create, open) stop at an interrupt.
   */
  private <T> T shortCall(IoCall<T> call) throws IOException {
    boolean interrupted = Thread.interrupted();
    try {
      return call.run();
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  @FunctionalInterface
  private interface IoCall<T> {
    T run() throws IOException;
  }

  @Override
  public ObjectSink create(String key) throws IOException {
    return new MultipartSink(this, key);
  }

  @Override
  public boolean putIfAbsent(String key, byte[] content) throws IOException {
    return shortCall(() -> putIfAbsentUninterrupted(key, content));
  }

  private boolean putIfAbsentUninterrupted(String key, byte[] content) throws IOException {
    PutObjectRequest request = PutObjectRequest.builder().bucket(settings.bucket).key(key(key)).ifNoneMatch("*")
        .contentLength((long) content.length).build();
    for (int attempt = 1; ; attempt++) {
      try {
        client.putObject(request, RequestBody.fromBytes(content));
        return true;
      } catch (SdkException e) {
        if (S3Errors.isPreconditionFailed(e)) {
          return false;
        }
        if (S3Errors.isConditionalConflict(e) && attempt < CONFLICT_ATTEMPTS) {
          // Another conditional write of this key is in flight; its outcome decides ours.
          pause(attempt, key);
          continue;
        }
        throw errors.translate(Op.PUT_OBJECT, key, e);
      }
    }
  }

  private void pause(int attempt, String key) throws InterruptedIOException {
    try {
      Thread.sleep(20L << Math.min(attempt, 6));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException(settings.uri + ": PutObject " + key(key) + " interrupted");
    }
  }

  @Override
  public void put(String key, byte[] content) throws IOException {
    shortCall(() -> {
      putUninterrupted(key, content);
      return null;
    });
  }

  private void putUninterrupted(String key, byte[] content) throws IOException {
    try {
      client.putObject(PutObjectRequest.builder().bucket(settings.bucket).key(key(key))
          .contentLength((long) content.length).build(), RequestBody.fromBytes(content));
    } catch (SdkException e) {
      throw errors.translate(Op.PUT_OBJECT, key, e);
    }
  }

  @Override
  public Optional<byte[]> get(String key) throws IOException {
    return shortCall(() -> getUninterrupted(key));
  }

  private Optional<byte[]> getUninterrupted(String key) throws IOException {
    try {
      return Optional.of(client.getObjectAsBytes(GetObjectRequest.builder().bucket(settings.bucket).key(key(key))
          .build()).asByteArray());
    } catch (SdkException e) {
      if (S3Errors.isMissingKey(e)) {
        return Optional.empty();
      }
      throw errors.translate(Op.GET_OBJECT, key, e);
    }
  }

  @Override
  public ReadableByteChannel open(String key) throws IOException {
    return RangedReadChannel.open(this, key);
  }

  /** Ranged GETs from {@code offset}, as {@link #open(String)} reads a whole object. */
  @Override
  public ReadableByteChannel open(String key, long offset, long length) throws IOException {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("negative range " + offset + "+" + length + " of " + key);
    }
    return RangedReadChannel.open(this, key, offset, length);
  }

  /** The size of an object, or empty if there is none. */
  Optional<Long> size(String key) throws IOException {
    try {
      return Optional.of(client.headObject(HeadObjectRequest.builder().bucket(settings.bucket).key(key(key))
          .build()).contentLength());
    } catch (SdkException e) {
      if (S3Errors.isMissingKey(e)) {
        return Optional.empty();
      }
      throw errors.translate(Op.HEAD_OBJECT, key, e);
    }
  }

  @Override
  public List<String> list(String prefix) throws IOException {
    return shortCall(() -> listUninterrupted(prefix));
  }

  private List<String> listUninterrupted(String prefix) throws IOException {
    List<String> keys = new ArrayList<>();
    try {
      for (S3Object o : client.listObjectsV2Paginator(ListObjectsV2Request.builder().bucket(settings.bucket)
          .prefix(key(prefix)).build()).contents()) {
        keys.add(o.key().substring(settings.prefix.length()));
      }
    } catch (SdkException e) {
      throw errors.translate(Op.LIST_OBJECTS, null, e);
    }
    // S3 lists in UTF-8 byte order, which for the protocol's ASCII keys is String order; sort anyway for
    // S3-compatible servers that do not.
    keys.sort(null);
    return keys;
  }

  @Override
  public void delete(String key) throws IOException {
    shortCall(() -> {
      deleteUninterrupted(key);
      return null;
    });
  }

  private void deleteUninterrupted(String key) throws IOException {
    try {
      client.deleteObject(DeleteObjectRequest.builder().bucket(settings.bucket).key(key(key)).build());
    } catch (SdkException e) {
      if (S3Errors.isMissingKey(e)) {
        return; // some S3-compatible servers answer 404 where S3 answers 204
      }
      throw errors.translate(Op.DELETE_OBJECT, key, e);
    }
  }

  @Override
  public void purgeIncomplete(Predicate<String> ours) throws IOException {
    shortCall(() -> {
      purgeIncompleteUninterrupted(ours);
      return null;
    });
  }

  private void purgeIncompleteUninterrupted(Predicate<String> ours) throws IOException {
    List<MultipartUpload> uploads = new ArrayList<>();
    try {
      for (MultipartUpload u : client.listMultipartUploadsPaginator(ListMultipartUploadsRequest.builder()
          .bucket(settings.bucket).prefix(settings.prefix).build()).uploads()) {
        if (u.key().startsWith(settings.prefix) && ours.test(u.key().substring(settings.prefix.length()))) {
          uploads.add(u);
        }
      }
    } catch (SdkException e) {
      throw errors.translate(Op.LIST_MULTIPART_UPLOADS, null, e);
    }
    for (MultipartUpload u : uploads) {
      LOG.debug("{}: aborting incomplete multipart upload of {} started {}", settings.uri, u.key(), u.initiated());
      abortUpload(u.key().substring(settings.prefix.length()), u.uploadId());
    }
  }

  /** Aborts a multipart upload; one that is gone already is fine. Runs even if this thread is interrupted. */
  void abortUpload(String key, String uploadId) throws IOException {
    shortCall(() -> {
      abortUploadUninterrupted(key, uploadId);
      return null;
    });
  }

  private void abortUploadUninterrupted(String key, String uploadId) throws IOException {
    try {
      client.abortMultipartUpload(AbortMultipartUploadRequest.builder().bucket(settings.bucket).key(key(key))
          .uploadId(uploadId).build());
    } catch (SdkException e) {
      if (!S3Errors.isNoSuchUpload(e)) {
        throw errors.translate(Op.ABORT_MULTIPART_UPLOAD, key, e);
      }
    }
  }

  @Override
  public Set<Capability> capabilities() {
    return EnumSet.of(Capability.CROSS_PROCESS);
  }

  @Override
  public void close() {
    transfers.shutdownNow();
    client.close();
  }

  @Override
  public String toString() {
    return "S3ObjectStore[" + settings + "]";
  }
}
