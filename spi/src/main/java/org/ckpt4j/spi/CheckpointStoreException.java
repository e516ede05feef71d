package org.ckpt4j.spi;

import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;

/**
 * Base of the typed errors a {@link CheckpointStore} raises for conditions a caller acts on. Each carries the
 * URI of the backup dir (or object) it concerns. Subclasses: {@link ForeignContentException}, {@link
 * SharedBackupDirException}, {@link FencedWriterException}, {@link CorruptCheckpointException}, {@link
 * SupersededCheckpointException}, {@link UnsupportedSchemeException}, {@link StoreAccessException}.
 *
 * <p>Credentials never reach the message or {@link #uri()}: the URI's user info and secret-like query
 * parameters, in the URI and anywhere in the message text, are replaced by {@code ***} ({@link Redaction}).
 */
public class CheckpointStoreException extends IOException {
  /** The redacted URI, or {@code null}. */
  private final URI uri;

  /**
   * An error about {@code uri}, without a cause.
   *
   * @param uri the backup dir or object concerned, or {@code null}; printed redacted
   * @param message what went wrong and the remedy; redacted too
   */
  public CheckpointStoreException(URI uri, String message) {
    this(uri, message, null);
  }

  /**
   * An error about {@code uri} caused by {@code cause}.
   *
   * @param uri the backup dir or object concerned, or {@code null}; printed redacted
   * @param message what went wrong and the remedy; redacted too
   * @param cause the underlying failure, or {@code null}
   */
  public CheckpointStoreException(URI uri, String message, Throwable cause) {
    super(Redaction.redact(uri == null ? message : uri + ": " + message), cause);
    this.uri = redacted(uri);
  }

  /** The URI with its credentials masked; the same URI when it has none; {@code null} if it cannot be shown. */
  private static URI redacted(URI uri) {
    if (uri == null) {
      return null;
    }
    String shown = Redaction.redact(uri);
    if (shown.equals(uri.toString())) {
      return uri;
    }
    try {
      return new URI(shown);
    } catch (URISyntaxException e) {
      return null;
    }
  }

  /**
   * The backup dir (or object) this error concerns, with any user info and secret-like query parameter values
   * replaced by {@code ***}; {@code null} when no URI could be parsed.
   *
   * @return the redacted URI, or {@code null}
   */
  public URI uri() {
    return uri;
  }
}
