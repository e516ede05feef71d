package org.ckpt4j.storage.s3;

import java.io.InputStream;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.ckpt4j.tck.TransportFaults;
import org.gaul.s3proxy.blobstore.BlobStore;
import org.gaul.s3proxy.blobstore.ForwardingBlobStore;
import org.gaul.s3proxy.blobstore.domain.MultipartUpload;
import software.amazon.awssdk.awscore.exception.AwsErrorDetails;
import software.amazon.awssdk.core.ResponseInputStream;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.CompleteMultipartUploadResponse;
import software.amazon.awssdk.services.s3.model.CreateMultipartUploadRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectRequest;
import software.amazon.awssdk.services.s3.model.DeleteObjectResponse;
import software.amazon.awssdk.services.s3.model.GetObjectRequest;
import software.amazon.awssdk.services.s3.model.GetObjectResponse;
import software.amazon.awssdk.services.s3.model.HeadObjectRequest;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Request;
import software.amazon.awssdk.services.s3.model.ListObjectsV2Response;
import software.amazon.awssdk.services.s3.model.PutObjectRequest;
import software.amazon.awssdk.services.s3.model.PutObjectResponse;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.UploadPartRequest;
import software.amazon.awssdk.services.s3.model.UploadPartResponse;

/**
 * The TCK's transport fault hook on the server side: S3Proxy's storage, failing the N-th storage call of the
 * object API either before it is applied or after (the server answers HTTP 500 InternalError although the write
 * happened: a lost response). The client's retries then meet the consequences, e.g. a create-if-absent whose retry finds its
 * own object ("I already won").
 */
final class FaultyBlobStore extends ForwardingBlobStore implements TransportFaults {
  private final AtomicLong requests = new AtomicLong();
  private volatile long armedAt = -1;
  private volatile Kind armedKind;
  private final AtomicLong injected = new AtomicLong();

  FaultyBlobStore(BlobStore delegate) {
    super(delegate);
  }

  @Override
  public long requests() {
    return requests.get();
  }

  @Override
  public synchronized void failRequest(long n, Kind kind) {
    armedKind = kind;
    armedAt = requests.get() + n;
  }

  @Override
  public synchronized void disarm() {
    armedAt = -1;
    armedKind = null;
    requests.set(0);
  }

  /** Faults injected so far. */
  @Override
  public long injected() {
    return injected.get();
  }

  private Kind take(long n) {
    synchronized (this) {
      if (n != armedAt) {
        return null;
      }
      armedAt = -1;
      injected.incrementAndGet();
      return armedKind;
    }
  }

  private <T> T call(String what, Supplier<T> op) {
    long n = requests.incrementAndGet();
    Kind kind = take(n);
    if (kind == Kind.FAIL_BEFORE) {
      throw internalError("tck transport fault: " + what + " (request #" + n + ") failed before it was applied");
    }
    T result = op.get();
    if (kind == Kind.LOSE_RESPONSE) {
      if (result instanceof AutoCloseable) {
        try {
          ((AutoCloseable) result).close();
        } catch (Exception e) {
          // the response is dropped anyway
        }
      }
      throw internalError("tck transport fault: " + what + " (request #" + n + ") was applied, then its "
          + "response lost");
    }
    return result;
  }

  /** S3Proxy answers an AwsServiceException with its status and code: HTTP 500 InternalError, which clients retry. */
  private static S3Exception internalError(String message) {
    return (S3Exception) S3Exception.builder().statusCode(500).message(message)
        .awsErrorDetails(AwsErrorDetails.builder().errorCode("InternalError").errorMessage(message).build())
        .build();
  }

  @Override
  public ListObjectsV2Response list(ListObjectsV2Request request) {
    return call("list", () -> super.list(request));
  }

  @Override
  public PutObjectResponse putBlob(PutObjectRequest request, InputStream in) {
    return call("putBlob " + request.key(), () -> super.putBlob(request, in));
  }

  @Override
  public HeadObjectResponse blobMetadata(HeadObjectRequest request) {
    return call("blobMetadata " + request.key(), () -> super.blobMetadata(request));
  }

  @Override
  public ResponseInputStream<GetObjectResponse> getBlob(GetObjectRequest request) {
    return call("getBlob " + request.key(), () -> super.getBlob(request));
  }

  @Override
  public DeleteObjectResponse removeBlob(DeleteObjectRequest request) {
    return call("removeBlob " + request.key(), () -> super.removeBlob(request));
  }

  @Override
  public MultipartUpload initiateMultipartUpload(CreateMultipartUploadRequest request) {
    return call("initiateMultipartUpload " + request.key(), () -> super.initiateMultipartUpload(request));
  }

  @Override
  public UploadPartResponse uploadMultipartPart(MultipartUpload upload, UploadPartRequest request, InputStream in) {
    return call("uploadMultipartPart " + request.key(), () -> super.uploadMultipartPart(upload, request, in));
  }

  @Override
  public CompleteMultipartUploadResponse completeMultipartUpload(MultipartUpload upload,
      CompleteMultipartUploadRequest request) {
    return call("completeMultipartUpload " + request.key(), () -> super.completeMultipartUpload(upload, request));
  }

  @Override
  public void abortMultipartUpload(MultipartUpload upload) {
    call("abortMultipartUpload", () -> {
      super.abortMultipartUpload(upload);
      return null;
    });
  }

  @Override
  public List<software.amazon.awssdk.services.s3.model.MultipartUpload> listMultipartUploads(String bucket) {
    return call("listMultipartUploads", () -> super.listMultipartUploads(bucket));
  }
}
