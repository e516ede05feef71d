package org.ckpt4j.storage.local;

import java.io.IOException;
import java.net.URI;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import org.ckpt4j.spi.StoreAccessException;
import org.ckpt4j.spi.StoreAccessException.Reason;

/** File system errors of the local store, translated into the spi's typed errors with their remedy. */
final class LocalErrors {
  private LocalErrors() {}

  static IOException translate(IOException e, Path root, URI uri, String key) {
    if (e instanceof StoreAccessException || e instanceof NoSuchFileException && key.equals(e.getMessage())) {
      return e;
    }
    String where = root + (key.isEmpty() ? "" : "/" + key);
    String msg = String.valueOf(e.getMessage());
    if (e instanceof AccessDeniedException) {
      return new StoreAccessException(uri, Reason.ACCESS_DENIED, "permission denied on " + e.getMessage()
          + "; grant the training user read/write access to the backup dir", e);
    }
    if (msg.contains("No space left") || msg.contains("out of disk space") || msg.contains("Disk quota")) {
      return new StoreAccessException(uri, Reason.NO_SPACE, "no space left writing " + where + "; free space "
          + "or choose another backup dir (the last committed checkpoint is intact)", e);
    }
    if (e instanceof NotDirectoryException || e instanceof FileAlreadyExistsException) {
      return new StoreAccessException(uri, Reason.INVALID_LOCATION, "a file stands where a directory is "
          + "needed (" + e.getMessage() + "); remove it or choose another backup dir", e);
    }
    if (e instanceof FileSystemException && msg.contains("Read-only file system")) {
      return new StoreAccessException(uri, Reason.ACCESS_DENIED, "the file system is read-only at " + where, e);
    }
    if (e instanceof java.nio.channels.ClosedByInterruptException
        || e instanceof java.io.InterruptedIOException) {
      return e;
    }
    return new StoreAccessException(uri, Reason.OTHER, "I/O error on " + where + ": " + e, e);
  }
}
