package org.ckpt4j.storage.gcs;

import static org.ckpt4j.spi.backend.Causes.find;
import static org.ckpt4j.spi.backend.Causes.firstLine;
import static org.ckpt4j.spi.backend.Causes.has;
import static org.ckpt4j.spi.backend.Causes.hasMessage;
import static org.ckpt4j.spi.backend.Causes.rootMessage;

import com.google.auth.Credentials;
import com.google.auth.oauth2.ComputeEngineCredentials;
import com.google.auth.oauth2.ExternalAccountCredentials;
import com.google.auth.oauth2.ServiceAccountCredentials;
import com.google.auth.oauth2.UserCredentials;
import com.google.cloud.BaseServiceException;
import com.google.cloud.NoCredentials;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.Locale;
import org.ckpt4j.spi.Redaction;
import org.ckpt4j.spi.StoreAccessException;
import org.ckpt4j.spi.StoreAccessException.Reason;
import org.ckpt4j.spi.backend.Causes;

/**
 * Translates the client's exceptions into the SPI's typed errors, by HTTP status as well as by exception type and
 * cause (the client reports transport failures as {@code StorageException} with code 0 and the I/O exception as
 * cause). Messages name the {@code gs://} URI, the operation, the object and a remedy; they are built from the
 * status, the server's reason and first message line and our own settings, never from credentials.
 */
final class GcsErrors {
  private static final String AUTH_PACKAGE = "com.google.auth.oauth2.";

  /** The operations this backend performs, with the IAM permission each needs. */
  enum Op {
    CREATE("create object", "storage.objects.create"),
    REPLACE("replace object", "storage.objects.create and storage.objects.delete"),
    READ("read object", "storage.objects.get"),
    LIST("list objects", "storage.objects.list"),
    DELETE("delete object", "storage.objects.delete");

    final String what;
    final String permission;

    Op(String what, String permission) {
      this.what = what;
      this.permission = permission;
    }
  }

  private final GcsSettings settings;
  /** The client's credentials, to name their token endpoint when it fails; may be {@code null}. */
  private final Credentials credentials;

  GcsErrors(GcsSettings settings, Credentials credentials) {
    this.settings = settings;
    this.credentials = credentials;
  }

  /** The status of a client exception somewhere in the chain, or 0. */
  static int code(Throwable e) {
    BaseServiceException s = find(e, BaseServiceException.class);
    return s == null ? 0 : s.getCode();
  }

  /** Whether a 404 says the bucket is missing (rather than the object). */
  static boolean isMissingBucket(Throwable e) {
    BaseServiceException s = find(e, BaseServiceException.class);
    return s != null && s.getCode() == 404 && String.valueOf(s.getMessage()).toLowerCase(Locale.ROOT)
        .contains("bucket");
  }

  /**
   * The typed error for a failed call on {@code key} ({@code null} for bucket-level calls). A missing object
   * becomes {@link NoSuchFileException}, a failed create-if-absent {@link FileAlreadyExistsException}, a thread
   * interrupt {@link InterruptedIOException} (with the interrupt flag set again).
   */
  IOException translate(Op op, String key, Throwable e) {
    String what = op.what + (key == null ? "" : " " + settings.prefix + key);
    if (isInterrupt(e)) {
      return Causes.interrupted(settings.uri + ": " + what + " interrupted", e);
    }
    BaseServiceException s = find(e, BaseServiceException.class);
    int code = s == null ? 0 : s.getCode();
    String detail = "HTTP " + code + (s == null || s.getReason() == null ? "" : " " + s.getReason())
        + serverMessage(s);
    if (code == 404 && (key == null || op == Op.LIST || isMissingBucket(e))) {
      return new StoreAccessException(settings.uri, Reason.NOT_FOUND, what + ": the bucket \"" + settings.bucket
          + "\" does not exist at " + settings.endpointName() + " (" + detail + "); create it or fix the URI", e);
    }
    if (code == 404) {
      NoSuchFileException x = new NoSuchFileException(settings.uri + "/" + key, null, "no such object (" + detail
          + ")");
      x.initCause(e);
      return x;
    }
    if (code == 412) {
      FileAlreadyExistsException x = new FileAlreadyExistsException(settings.uri + "/" + key, null,
          "precondition failed: the object exists or changed (" + detail + ")");
      x.initCause(e);
      return x;
    }
    if (code == 401 || code == 403) {
      return new StoreAccessException(settings.uri, Reason.ACCESS_DENIED, what + ": access denied (" + detail
          + ")" + (credentials instanceof NoCredentials ? ", requests were sent WITHOUT credentials (anonymous: "
          + "gs.credentials=none or no Application Default Credentials found)" : "") + "; check the credentials (Application Default Credentials: GOOGLE_APPLICATION_CREDENTIALS, gcloud "
          + "auth application-default login, the metadata server; or gs.credentials=none for test servers) and "
          + "that the principal has " + op.permission + " on bucket " + settings.bucket, e);
    }
    if (code == 429 || code == 503) {
      return new StoreAccessException(settings.uri, Reason.THROTTLED, what + ": throttled by the server ("
          + detail + ") after " + settings.maxAttempts + " attempt(s); lower the request rate or raise "
          + "gs.max-attempts / gs.retry-delay", e);
    }
    boolean transport = has(e, ConnectException.class) || has(e, UnknownHostException.class)
        || has(e, NoRouteToHostException.class) || has(e, SocketTimeoutException.class)
        || has(e, SocketException.class) || hasMessage(e, "unexpected end of file");
    if (transport && fromAuthLibrary(e)) {
      // The credentials' token request failed before any request reached the storage host.
      return new StoreAccessException(settings.uri, Reason.UNREACHABLE, what + ": cannot get an access token: cannot "
          + "reach the token endpoint " + tokenEndpoint() + " (" + rootMessage(e) + "); check the network and the credentials "
          + "(GOOGLE_APPLICATION_CREDENTIALS, gcloud auth application-default login, the metadata server), or set "
          + "gs.credentials=none for a test server", e);
    }
    if (code == 0 && transport) {
      return new StoreAccessException(settings.uri, Reason.UNREACHABLE, what + ": cannot reach "
          + settings.endpointName() + " (" + rootMessage(e) + ") after " + settings.maxAttempts + " attempt(s); "
          + "check that the server is up and the host (gs.host, STORAGE_EMULATOR_HOST) and network are right, or "
          + "raise gs.connect-timeout / gs.read-timeout", e);
    }
    if (code == 400 && s != null && "invalid".equals(s.getReason()) && key == null) {
      return new StoreAccessException(settings.uri, Reason.INVALID_LOCATION, what + ": the server rejected the "
          + "bucket or prefix (" + detail + ")", e);
    }
    return new StoreAccessException(settings.uri, Reason.OTHER, what + " failed (" + (s == null ? rootMessage(e)
        : detail) + ")", e);
  }

  /**
   * Whether the failure happened inside the auth library (a token request), not in a storage request: some
   * exception in the chain is the library's own or was thrown from its code.
   */
  static boolean fromAuthLibrary(Throwable e) {
    for (Throwable t : Causes.chain(e)) {
      if (t.getClass().getName().startsWith(AUTH_PACKAGE)) {
        return true;
      }
      for (StackTraceElement frame : t.getStackTrace()) {
        if (frame.getClassName().startsWith(AUTH_PACKAGE)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Where the credentials get their tokens from, as far as the auth library tells. */
  String tokenEndpoint() {
    URI uri = null;
    if (credentials instanceof UserCredentials) {
      uri = ((UserCredentials) credentials).toBuilder().getTokenServerUri();
    } else if (credentials instanceof ServiceAccountCredentials) {
      uri = ((ServiceAccountCredentials) credentials).getTokenServerUri();
    } else if (credentials instanceof ExternalAccountCredentials) {
      String url = ((ExternalAccountCredentials) credentials).getTokenUrl();
      return url == null ? "of the external account credentials" : Redaction.redact(url);
    } else if (credentials instanceof ComputeEngineCredentials) {
      return "(the metadata server) " + Redaction.redact(ComputeEngineCredentials.getTokenServerEncodedUrl());
    }
    if (uri != null) {
      return Redaction.redact(uri);
    }
    return "of " + (credentials == null ? "Application Default Credentials" : credentials.getClass().getSimpleName());
  }

  private static String serverMessage(BaseServiceException s) {
    if (s == null || s.getMessage() == null || s.getMessage().isBlank()) {
      return "";
    }
    return ": " + firstLine(s.getMessage());
  }

  private static boolean isInterrupt(Throwable e) {
    return has(e, InterruptedException.class) || has(e, ClosedByInterruptException.class)
        || (has(e, InterruptedIOException.class) && !has(e, SocketTimeoutException.class));
  }
}
