package org.ckpt4j.storage.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiFunction;

/**
 * The local store's background fsyncs: the threads that force finished streamed objects and fsync directories,
 * concurrently, so that the file system can commit many in one journal transaction.
 */
final class SyncPool {
  /** Concurrent fsyncs let the file system commit many in one journal transaction. */
  private static final int SYNC_THREADS = 8;
  private final String name;
  private ExecutorService pool;

  SyncPool(String name) {
    this.name = name;
  }

  synchronized ExecutorService executor() {
    if (pool == null) {
      pool = Executors.newFixedThreadPool(SYNC_THREADS, r -> {
        Thread t = new Thread(r, "ckpt4j-local-fsync " + name);
        t.setDaemon(true);
        return t;
      });
    }
    return pool;
  }

  /** Fsyncs a directory on the pool; with {@code mayBeGone}, a directory removed meanwhile is no error. */
  CompletableFuture<Void> fsyncDir(Path dir, boolean mayBeGone) {
    return CompletableFuture.runAsync(() -> {
      try {
        DirSync.fsyncDir(dir);
      } catch (NoSuchFileException | NotDirectoryException gone) {
        if (!mayBeGone) {
          throw new UncheckedIOException(gone);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, executor());
  }

  /**
   * Waits for every fsync (keyed by the object or directory key it is for) and raises the first failure,
   * translated, with the others suppressed.
   */
  static void awaitAll(Map<String, CompletableFuture<Void>> waits,
      BiFunction<IOException, String, IOException> translate) throws IOException {
    IOException failure = null;
    for (Map.Entry<String, CompletableFuture<Void>> w : waits.entrySet()) {
      try {
        w.getValue().join();
      } catch (CompletionException e) {
        Throwable cause = e.getCause() instanceof UncheckedIOException ? e.getCause().getCause() : e.getCause();
        IOException io = cause instanceof IOException ? translate.apply((IOException) cause, w.getKey())
            : new IOException("fsync of " + w.getKey() + " failed", cause);
        if (failure == null) {
          failure = io;
        } else {
          failure.addSuppressed(io);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** Stops the threads once the queued fsyncs are done (a later fsync starts new ones). */
  synchronized void shutdown() {
    if (pool != null) {
      pool.shutdown();
      pool = null;
    }
  }
}
