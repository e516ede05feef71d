package org.ckpt4j.spi;

import java.io.IOException;
import java.net.URI;

/**
 * Base of the typed errors a {@link CheckpointStore} raises for conditions a caller acts on. Each carries the
 * URI of the backup dir (or object) it concerns. Subclasses: {@link ForeignContentException}, {@link
 * SharedBackupDirException}, {@link FencedWriterException}, {@link CorruptCheckpointException}, {@link
 * SupersededCheckpointException}, {@link UnsupportedSchemeException}, {@link StoreAccessException}.
 */
public class CheckpointStoreException extends IOException {
  private final URI uri;

  public CheckpointStoreException(URI uri, String message) {
    this(uri, message, null);
  }

  public CheckpointStoreException(URI uri, String message, Throwable cause) {
    super(uri == null ? message : uri + ": " + message, cause);
    this.uri = uri;
  }

  /** The backup dir (or object) this error concerns; may be {@code null} when no URI could be parsed. */
  public URI uri() {
    return uri;
  }
}
