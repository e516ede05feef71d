package org.ckpt4j.resume;

import java.io.IOException;
import org.ckpt4j.spi.AsyncCommitter;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.Redaction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * How one fit's backups are written: synchronously, streaming the captured tensors; or asynchronously, copied
 * into {@link SnapshotBuffers} and committed by an {@link AsyncCommitter} while training goes on. Counts what it
 * committed. One per fit, on the training thread.
 */
final class Saves {
  private static final Logger LOG = LoggerFactory.getLogger(Saves.class);
  private final CheckpointStore store;
  private final Capture capture;
  private final boolean async;
  private AsyncCommitter committer;
  private SnapshotBuffers snapshots;
  private int written;
  private Checkpoint lastSaved;

  Saves(CheckpointStore store, Capture capture, boolean async) {
    this.store = store;
    this.capture = capture;
    this.async = async;
  }

  /**
   * Prepares an async save's memory and committer when the fit begins, not at the first saves, so that no save
   * stalls training for more than the others.
   */
  void prepare(ResumableRun run) {
    committer = new AsyncCommitter(store);
    snapshots = new SnapshotBuffers();
    snapshots.reserve(run.tensors());
    capture.prepare();
  }

  /** Saves the run's current state. */
  void save(TrainingPosition p) throws IOException {
    Snapshot snapshot = capture.capture();
    if (async) {
      if (committer == null) {
        committer = new AsyncCommitter(store);
      }
      if (snapshots == null) {
        snapshots = new SnapshotBuffers();
      }
      // the copy of this save overlaps the write of the previous one, which submit then waits for
      SnapshotBuffers.BufferSet set = snapshots.acquire();
      set.handTo(committer.submit(set.fill(snapshot), snapshot.metadata()));
    } else {
      Checkpoint cp = snapshot.writeTo(store);
      lastSaved = cp;
      LOG.debug("{}: saved checkpoint #{} at epoch {}, batch {}", Redaction.redact(store.uri()), cp.sequence(),
          p.epoch(), p.batch());
    }
    written++;
  }

  /** Waits for a background save in flight; a failed one is thrown here. */
  void await() throws IOException {
    if (committer != null) {
      committer.await();
    }
  }

  /** Waits for a background save in flight and stops the committer; a failure is logged, not thrown. */
  void close() {
    AsyncCommitter c = committer;
    committer = null;
    snapshots = null;
    if (c != null) {
      try {
        c.close();
      } catch (IOException | RuntimeException e) {
        LOG.warn("{}: the last background save failed: {}", Redaction.redact(store.uri()), e.toString());
      }
    }
  }

  int written() {
    return written;
  }

  Checkpoint lastSaved() {
    return lastSaved;
  }
}
