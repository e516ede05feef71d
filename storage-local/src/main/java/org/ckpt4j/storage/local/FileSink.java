package org.ckpt4j.storage.local;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.ckpt4j.spi.backend.ObjectStore.ObjectSink;

/**
 * A streamed object, written straight into its file (no rename: the protocol never reads a blob before a commit
 * record names it). {@link #finish} starts the fsync on the store's sync pool and returns; the store's
 * {@code sync} waits for it, so that the fsyncs of many blobs overlap each other and the writing of the next.
 */
final class FileSink implements ObjectSink {
  /**
   * A streamed object starts writeback of what it has written so far each time this much more was written (an
   * {@code fdatasync} on a background thread, while the caller goes on writing), so that the disk works during
   * the write instead of only at the final fsync.
   */
  static final long EARLY_FLUSH_STEP = 8 << 20;
  /**
   * No head start before the object holds this much: in a smaller one it would overlap only the writing of a
   * few more MiB (milliseconds) and cost a flush of its own that the final fsync then waits for (a 16 MiB
   * checkpoint made two data flushes instead of one; docs/benchmarks.md, "Round 2").
   */
  static final long FIRST_EARLY_FLUSH = 32 << 20;

  private final LocalObjectStore store;
  private final FileChannel ch;
  private final Path target;
  private final String key;
  private boolean done;
  /** Bytes written since the last early flush started. */
  private long unflushed;
  /** Bytes written in all. */
  private long written;
  /** The early flush in flight (or the last one). */
  private CompletableFuture<Void> flushing = CompletableFuture.completedFuture(null);

  FileSink(LocalObjectStore store, FileChannel ch, Path target, String key) {
    this.store = store;
    this.ch = ch;
    this.target = target;
    this.key = key;
  }

  @Override
  public int write(ByteBuffer src) throws IOException {
    int n;
    try {
      n = ch.write(src);
    } catch (IOException e) {
      throw store.translate(e, key);
    }
    unflushed += n;
    written += n;
    if (written >= FIRST_EARLY_FLUSH && unflushed >= EARLY_FLUSH_STEP && flushing.isDone()) {
      unflushed = 0;
      flushing = CompletableFuture.runAsync(() -> {
        try {
          ch.force(false);
        } catch (IOException e) {
          // Only a head start: the final fsync at finish reports any failure.
        }
      }, store.syncPool());
    }
    return n;
  }

  @Override
  public boolean isOpen() {
    return ch.isOpen();
  }

  @Override
  public void finish() throws IOException {
    if (done) {
      throw new java.nio.channels.ClosedChannelException();
    }
    done = true;
    store.pending(key, flushing.thenRunAsync(() -> {
      try (FileChannel c = ch) {
        c.force(true);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }, store.syncPool()));
  }

  @Override
  public void close() throws IOException {
    if (!done) {
      done = true;
      flushing.exceptionally(e -> null).join();
      ch.close();
      Files.deleteIfExists(target);
    }
  }
}
