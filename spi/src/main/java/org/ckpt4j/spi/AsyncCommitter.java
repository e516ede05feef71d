package org.ckpt4j.spi;

import java.io.Closeable;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.WritableByteChannel;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Writes checkpoints in the background, so that training blocks only for the in-memory snapshot it hands over.
 *
 * <p>At most one save is in flight: {@link #submit} first waits for the previous save to finish (it never
 * supersedes or drops one, so every submitted checkpoint is committed in order unless it fails). Crash safety
 * is the store's: {@code latest()} moves only when a background commit has made the data durable, so a crash
 * while a save is in flight leaves the previous checkpoint as latest (contract R3).
 *
 * <p>A failed background save is reported by the next {@link #submit}, {@link #await()} or {@link #close()}, which
 * throw its exception; the store's latest checkpoint is then still the last one that succeeded.
 */
public final class AsyncCommitter implements Closeable {
  private final CheckpointStore store;
  private final ExecutorService worker;
  private Future<Checkpoint> inFlight;
  private Checkpoint lastCommitted;
  private boolean closed;

  /** Saves to {@code store} on one background thread; the caller still owns and closes the store. */
  public AsyncCommitter(CheckpointStore store) {
    this.store = Objects.requireNonNull(store, "store");
    this.worker = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "ckpt4j-async-save " + Redaction.redact(store.uri()));
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Waits for the previous save, then starts writing {@code blobs} and committing them with {@code metadata}.
   * The buffers (from position to limit) are owned by the committer until the save completes: pass copies
   * (the snapshot), never buffers training will modify.
   *
   * @throws IOException the failure of the previous save, if it failed (this checkpoint is then not started)
   */
  public synchronized Future<Checkpoint> submit(Map<String, ByteBuffer> blobs, Map<String, String> metadata)
      throws IOException {
    if (closed) {
      throw new IllegalStateException("this AsyncCommitter is closed");
    }
    for (String name : blobs.keySet()) {
      BlobNames.validate(name);
    }
    await();
    Map<String, ByteBuffer> snapshot = new LinkedHashMap<>(blobs);
    Map<String, String> meta = Map.copyOf(metadata);
    inFlight = worker.submit(() -> write(snapshot, meta));
    return inFlight;
  }

  private Checkpoint write(Map<String, ByteBuffer> blobs, Map<String, String> metadata) throws IOException {
    try (CheckpointWriter w = store.begin()) {
      for (Map.Entry<String, ByteBuffer> e : blobs.entrySet()) {
        ByteBuffer b = e.getValue().duplicate();
        try (WritableByteChannel ch = w.newBlob(e.getKey())) {
          while (b.hasRemaining()) {
            ch.write(b);
          }
        }
      }
      return w.commit(metadata);
    }
  }

  /**
   * Waits for the save in flight, if any.
   *
   * @return the last checkpoint committed through this committer
   * @throws IOException the failure of the save in flight (reported once)
   */
  public synchronized Optional<Checkpoint> await() throws IOException {
    Future<Checkpoint> f = inFlight;
    inFlight = null;
    if (f != null) {
      try {
        lastCommitted = f.get();
      } catch (InterruptedException e) {
        inFlight = f;
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for a background save of "
            + Redaction.redact(store.uri()));
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof IOException) {
          throw (IOException) cause;
        }
        if (cause instanceof RuntimeException) {
          throw (RuntimeException) cause;
        }
        throw new IOException("background save to " + Redaction.redact(store.uri()) + " failed", cause);
      }
    }
    return Optional.ofNullable(lastCommitted);
  }

  /** Whether a save is in flight. */
  public synchronized boolean busy() {
    return inFlight != null && !inFlight.isDone();
  }

  /** Waits for the save in flight, then stops the background thread; reports that save's failure. */
  @Override
  public synchronized void close() throws IOException {
    if (closed) {
      return;
    }
    try {
      await();
    } finally {
      closed = true;
      worker.shutdown();
    }
  }
}
