package org.ckpt4j.spi;

import java.net.URI;

/**
 * The storage behind a backup dir cannot be used as asked. Backends translate their own errors (SDK
 * exceptions, HTTP statuses, file system errors) into this type at their boundary. Messages never contain
 * credential material.
 */
public final class StoreAccessException extends CheckpointStoreException {
  /** Why the storage could not be used. */
  public enum Reason {
    /** The bucket, container or parent directory does not exist. */
    NOT_FOUND,
    /** Missing permission or bad credentials (HTTP 401/403, EACCES). */
    ACCESS_DENIED,
    /** The server could not be reached or timed out. */
    UNREACHABLE,
    /** The server throttled requests (HTTP 429/503) beyond the configured retries. */
    THROTTLED,
    /** The storage is full (ENOSPC, quota). */
    NO_SPACE,
    /** The location is not usable as a backup dir (a file where a directory is expected, a bad name). */
    INVALID_LOCATION,
    /** Any other failure of the storage. */
    OTHER
  }

  /** Why the storage could not be used. */
  private final Reason reason;

  /**
   * The storage behind {@code uri} cannot be used.
   *
   * @param uri the backup dir
   * @param reason why, for callers that act on it
   * @param message what failed, with the remedy; never credentials
   * @param cause the backend's own error, or {@code null}
   */
  public StoreAccessException(URI uri, Reason reason, String message, Throwable cause) {
    super(uri, message, cause);
    this.reason = reason;
  }

  /**
   * Why the storage could not be used.
   *
   * @return the reason
   */
  public Reason reason() {
    return reason;
  }
}
