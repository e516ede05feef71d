package org.ckpt4j.storage.s3;

import static org.ckpt4j.spi.backend.Causes.firstLine;
import static org.ckpt4j.spi.backend.Causes.has;
import static org.ckpt4j.spi.backend.Causes.hasNamed;
import static org.ckpt4j.spi.backend.Causes.rootMessage;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.file.NoSuchFileException;
import java.util.Locale;
import java.util.Set;
import org.ckpt4j.spi.Redaction;
import org.ckpt4j.spi.StoreAccessException;
import org.ckpt4j.spi.StoreAccessException.Reason;
import org.ckpt4j.spi.backend.Causes;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.ApiCallAttemptTimeoutException;
import software.amazon.awssdk.core.exception.ApiCallTimeoutException;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.exception.SdkServiceException;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Translates SDK exceptions into the SPI's typed errors, by HTTP status as well as by exception type and S3
 * error code, so that S3-compatible servers that answer with unusual codes still map right. Messages name the
 * backup dir's URI, the S3 operation, the key and a remedy; they are built only from the server's error code and
 * message and our own settings, never from credentials.
 */
final class S3Errors {
  private static final Set<String> DENIED = Set.of("AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch",
      "ExpiredToken", "InvalidToken", "TokenRefreshRequired", "AllAccessDisabled", "AccountProblem",
      "InvalidSecurity", "RequestTimeTooSkewed", "UnauthorizedAccess", "Forbidden");
  private static final Set<String> THROTTLING = Set.of("SlowDown", "Throttling", "ThrottlingException",
      "TooManyRequests", "TooManyRequestsException", "RequestLimitExceeded", "RequestThrottled",
      "ServiceUnavailable", "ProvisionedThroughputExceededException");
  private static final Set<String> WRONG_PLACE = Set.of("PermanentRedirect", "AuthorizationHeaderMalformed",
      "IllegalLocationConstraintException", "InvalidBucketName", "InvalidBucketState");

  /** The S3 operations this backend calls, with the IAM action each needs. */
  enum Op {
    PUT_OBJECT("PutObject", "s3:PutObject"),
    CREATE_MULTIPART_UPLOAD("CreateMultipartUpload", "s3:PutObject"),
    UPLOAD_PART("UploadPart", "s3:PutObject"),
    COMPLETE_MULTIPART_UPLOAD("CompleteMultipartUpload", "s3:PutObject"),
    GET_OBJECT("GetObject", "s3:GetObject"),
    HEAD_OBJECT("HeadObject", "s3:GetObject"),
    LIST_OBJECTS("ListObjectsV2", "s3:ListBucket"),
    DELETE_OBJECT("DeleteObject", "s3:DeleteObject"),
    ABORT_MULTIPART_UPLOAD("AbortMultipartUpload", "s3:AbortMultipartUpload"),
    LIST_MULTIPART_UPLOADS("ListMultipartUploads", "s3:ListBucketMultipartUploads");

    final String api;
    final String iamAction;

    Op(String api, String iamAction) {
      this.api = api;
      this.iamAction = iamAction;
    }
  }

  private final S3Settings settings;
  /** The endpoint the client really uses, and where it was configured, for messages. */
  private final String endpointName;

  S3Errors(S3Settings settings, S3Client client) {
    this.settings = settings;
    this.endpointName = endpointName(settings, client);
  }

  /**
   * The endpoint a client sends to: the configured one with its origin (an option, {@code AWS_ENDPOINT_URL_S3},
   * the AWS profile), else AWS S3 in the region the client was built for.
   */
  static String endpointName(S3Settings s, S3Client client) {
    if (s.endpoint.isPresent()) {
      return Redaction.redact(s.endpoint.get()) + " (" + s.endpointOrigin + ")";
    }
    String region;
    try {
      region = client.serviceClientConfiguration().region().id();
    } catch (RuntimeException e) {
      region = s.region.orElse("unknown");
    }
    return "AWS S3 in " + region + " (https://" + s.bucket + ".s3." + region + ".amazonaws.com"
        + (s.region.isPresent() ? "" : "; region from the AWS SDK's region chain, else us-east-1 following the "
        + "bucket's region") + ")";
  }

  URI uri() {
    return settings.uri;
  }

  /** Whether the exception says the object (not the bucket) does not exist. */
  static boolean isMissingKey(SdkException e) {
    if (!(e instanceof SdkServiceException) || ((SdkServiceException) e).statusCode() != 404) {
      return false;
    }
    String code = code(e);
    return code == null || code.equals("NoSuchKey") || code.equals("NotFound");
  }

  /** Whether the server refused a conditional request (412). */
  static boolean isPreconditionFailed(SdkException e) {
    return e instanceof SdkServiceException && ((SdkServiceException) e).statusCode() == 412;
  }

  /** A concurrent conditional write is in progress on the key (AWS answers 409; retry). */
  static boolean isConditionalConflict(SdkException e) {
    return e instanceof SdkServiceException && ((SdkServiceException) e).statusCode() == 409
        && "ConditionalRequestConflict".equals(code(e));
  }

  static boolean isNoSuchUpload(SdkException e) {
    return e instanceof SdkServiceException && ((SdkServiceException) e).statusCode() == 404
        && (code(e) == null || "NoSuchUpload".equals(code(e)));
  }

  /**
   * The typed error for a failed call. A missing key becomes {@link NoSuchFileException} naming the key; a
   * thread interrupt an {@link InterruptedIOException} (with the interrupt flag set again).
   */
  IOException translate(Op op, String key, SdkException e) {
    String what = op.api + (key == null ? "" : " " + settings.prefix + key);
    if (isInterrupt(e)) {
      return Causes.interrupted(settings.uri + ": " + what + " interrupted", e);
    }
    if (e instanceof SdkServiceException) {
      return service(op, key, what, (SdkServiceException) e);
    }
    if (e instanceof ApiCallTimeoutException || e instanceof ApiCallAttemptTimeoutException
        || has(e, SocketTimeoutException.class) || has(e, ConnectException.class)
        || has(e, NoRouteToHostException.class) || has(e, UnknownHostException.class)
        || hasNamed(e, "ConnectTimeoutException") || hasNamed(e, "NoHttpResponseException")
        || hasNamed(e, "ConnectionClosedException")) {
      return new StoreAccessException(settings.uri, Reason.UNREACHABLE, what + ": cannot reach "
          + endpointName() + " (" + rootMessage(e) + ") after " + settings.maxAttempts + " attempt(s); check that "
          + "the server is up and the endpoint (s3.endpoint, AWS_ENDPOINT_URL_S3) and network are right, or raise "
          + "s3.connect-timeout / s3.read-timeout", e);
    }
    String msg = String.valueOf(e.getMessage());
    if (e instanceof SdkClientException && msg.toLowerCase(Locale.ROOT).contains("credentials")) {
      return new StoreAccessException(settings.uri, Reason.ACCESS_DENIED, what + ": no AWS credentials found ("
          + firstLine(msg) + "); set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or ~/.aws/credentials, or "
          + "the options s3.access-key and s3.secret-key", e);
    }
    return new StoreAccessException(settings.uri, Reason.OTHER, what + " failed: " + firstLine(msg), e);
  }

  private IOException service(Op op, String key, String what, SdkServiceException e) {
    int status = e.statusCode();
    String code = code(e);
    String detail = "HTTP " + status + (code == null ? "" : " " + code) + serverMessage(e);
    if ("NoSuchBucket".equals(code) || (status == 404 && key == null && code == null)) {
      return new StoreAccessException(settings.uri, Reason.NOT_FOUND, what + ": the bucket \"" + settings.bucket
          + "\" does not exist at " + endpointName() + " (" + detail + "); create it or fix the URI", e);
    }
    if (status == 404 && key != null && isMissingKey(e)) {
      NoSuchFileException x = new NoSuchFileException(settings.uri + "/" + key, null, "no such object ("
          + detail + ")");
      x.initCause(e);
      return x;
    }
    if (status == 401 || status == 403 || (code != null && DENIED.contains(code))) {
      return new StoreAccessException(settings.uri, Reason.ACCESS_DENIED, what + ": access denied (" + detail
          + "); check the credentials (s3.access-key/s3.secret-key, AWS_ACCESS_KEY_ID, AWS_PROFILE, "
          + "~/.aws/credentials) and that the IAM policy allows " + op.iamAction + " on arn:aws:s3:::"
          + settings.bucket + (op == Op.LIST_OBJECTS || op == Op.LIST_MULTIPART_UPLOADS ? "" : "/"
          + settings.prefix + "*"), e);
    }
    if (status == 429 || status == 503 || e.isThrottlingException() || (code != null && THROTTLING.contains(code))) {
      return new StoreAccessException(settings.uri, Reason.THROTTLED, what + ": throttled by the server ("
          + detail + ") after " + settings.maxAttempts + " attempt(s); lower the request rate or raise "
          + "s3.max-attempts", e);
    }
    if (status == 301 || status == 307 || (code != null && WRONG_PLACE.contains(code))) {
      return new StoreAccessException(settings.uri, Reason.INVALID_LOCATION, what + ": the bucket cannot be "
          + "used here (" + detail + "); check the region (s3.region, AWS_REGION) and the bucket name", e);
    }
    if (status == 507 || "QuotaExceeded".equals(code) || "EntityTooLarge".equals(code)) {
      return new StoreAccessException(settings.uri, Reason.NO_SPACE, what + ": storage full (" + detail + ")", e);
    }
    return new StoreAccessException(settings.uri, Reason.OTHER, what + " failed at " + endpointName() + " ("
        + detail + ")", e);
  }

  private String endpointName() {
    return endpointName;
  }

  private static String code(SdkException e) {
    if (e instanceof AwsServiceException && ((AwsServiceException) e).awsErrorDetails() != null) {
      return ((AwsServiceException) e).awsErrorDetails().errorCode();
    }
    return null;
  }

  private static String serverMessage(SdkServiceException e) {
    if (e instanceof AwsServiceException && ((AwsServiceException) e).awsErrorDetails() != null) {
      String m = ((AwsServiceException) e).awsErrorDetails().errorMessage();
      return m == null || m.isBlank() ? "" : ": " + firstLine(m);
    }
    return "";
  }

  private static boolean isInterrupt(Throwable e) {
    return e instanceof AbortedException || has(e, InterruptedException.class)
        || (has(e, InterruptedIOException.class) && !has(e, SocketTimeoutException.class)
            && !hasNamed(e, "ConnectTimeoutException"));
  }
}
