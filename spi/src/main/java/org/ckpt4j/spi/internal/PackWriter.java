package org.ckpt4j.spi.internal;

import static org.ckpt4j.spi.internal.Layout.MAX_PACKS;
import static org.ckpt4j.spi.internal.Layout.packKey;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.ckpt4j.spi.BlobNames;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointWriter;
import org.ckpt4j.spi.backend.ObjectStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writing one checkpoint (docs/contract.md, "Protocol"): blobs stream into pack objects
 * {@code data/<id>.pack-<n>}, each checksummed as written; a pack past the backend's pack size takes no more blobs, and a
 * blob written while every pack is busy opens a new one. {@link #commit} builds the commit record and hands it to
 * the store, which publishes it ({@code ObjectCheckpointStore#commit}); an abandoned writer deletes its finished
 * packs when aborted, and keeps them when a commit's outcome is unknown (the next commit or open removes them).
 */
final class PackWriter implements CheckpointWriter {
  private static final Logger LOG = LoggerFactory.getLogger(PackWriter.class);
  private static final int MAX_METADATA_CHARS = 64 * 1024;

  private final ObjectCheckpointStore store;
  private final ObjectStore objects;
  private final URI uri;
  private final long packRoll;
  private final String owner;
  private final String nonce = Layout.newNonce();
  /** The checkpoint's id, which names its packs and ties them to the store (Layout.tag). */
  final String id;
  private final Map<String, BlobChannel> blobs = new LinkedHashMap<>();
  private final List<Pack> packs = new ArrayList<>();
  private boolean done;

  PackWriter(ObjectCheckpointStore store, ObjectStore objects, String storeId, long packRoll, String owner) {
    this.store = store;
    this.objects = objects;
    this.uri = objects.uri();
    this.packRoll = packRoll;
    this.owner = owner;
    this.id = nonce + "-" + Layout.tag(storeId, nonce);
  }

  @Override
  public synchronized WritableByteChannel newBlob(String name) throws IOException {
    BlobNames.validate(name);
    if (done) {
      throw new IllegalStateException("this writer was already committed or closed");
    }
    if (blobs.containsKey(name)) {
      throw new IllegalArgumentException("blob \"" + name + "\" was already written in this checkpoint");
    }
    Pack pack = null;
    for (Pack p : packs) {
      if (!p.busy && p.sink != null && !p.finished && p.failure == null && p.size < p.roll) {
        pack = p;
        break;
      }
    }
    if (pack == null) {
      if (packs.size() >= MAX_PACKS) {
        throw new IllegalStateException("more than " + MAX_PACKS + " blobs written concurrently");
      }
      int index = packs.size();
      pack = new Pack(index, packKey(id, true, index), packRoll);
      pack.sink = objects.create(pack.key);
      packs.add(pack);
    }
    pack.busy = true;
    BlobChannel blob = new BlobChannel(this, name, pack);
    blobs.put(name, blob);
    return blob;
  }

  /** Finishes every pack not finished yet; the first failure fails the commit. */
  synchronized void finishPacks() throws IOException {
    for (Pack p : packs) {
      if (p.failure != null) {
        throw new IOException("a blob of " + p.key + " failed while being written; nothing was committed",
            p.failure);
      }
      if (!p.finished) {
        p.finish();
      }
    }
  }

  synchronized List<String> packKeys() {
    List<String> keys = new ArrayList<>();
    for (Pack p : packs) {
      keys.add(p.key);
    }
    return keys;
  }

  @Override
  public Checkpoint commit(Map<String, String> metadata) throws IOException {
    Content rec;
    synchronized (this) {
      if (done) {
        throw new IllegalStateException("this writer was already committed or closed");
      }
      rec = commitRecord(metadata);
    }
    boolean ok = false;
    try {
      Checkpoint cp = store.commit(this, rec);
      ok = true;
      return cp;
    } finally {
      if (!ok) {
        // The outcome of a failed commit may be unknown: keep its blobs (a commit record may name them);
        // the next commit or open removes them if unreferenced.
        abandon(false);
      }
    }
  }

  /** @throws IllegalStateException naming the backend if its preferred pack size is not positive */
  static void checkPackSize(ObjectStore objects) {
    long size = objects.packSize();
    if (size <= 0) {
      throw new IllegalStateException(objects.getClass().getName() + " (for " + objects.uri() + ") returned pack "
          + "size " + size + "; ObjectStore.packSize() must be positive");
    }
  }

  /**
   * What this writer's commit record holds besides what the store adds (its header, the commit time).
   *
   * @param blobs in the order written
   */
  record Content(String owner, Map<String, String> metadata, Map<String, BlobEntry> blobs) {}

  private Content commitRecord(Map<String, String> metadata) throws IOException {
    int chars = 0;
    Map<String, String> meta = new TreeMap<>();
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      chars += e.getKey().length() + e.getValue().length();
      meta.put(e.getKey(), e.getValue());
    }
    if (chars > MAX_METADATA_CHARS) {
      throw new IllegalArgumentException("metadata has " + chars + " characters, more than "
          + MAX_METADATA_CHARS + "; store large data as a blob");
    }
    Map<String, BlobEntry> table = new LinkedHashMap<>();
    for (BlobChannel b : blobs.values()) {
      if (b.failure != null) {
        throw new IOException("blob \"" + b.name + "\" failed while being written; nothing was committed",
            b.failure);
      }
      if (!b.closed) {
        throw new IllegalStateException("blob \"" + b.name + "\" is still open; close its channel before "
            + "commit");
      }
      table.put(b.name, new BlobEntry(b.size, b.sums.value() & 0xffffffffL, b.pack.index, b.offset));
    }
    return new Content(owner, meta, table);
  }

  /** Aborts: discards unfinished packs and deletes finished ones (nothing references them). */
  @Override
  public void close() throws IOException {
    abandon(true);
  }

  private void abandon(boolean deleteFinished) {
    List<Pack> toRemove;
    synchronized (this) {
      if (done) {
        return;
      }
      done = true;
      for (BlobChannel b : blobs.values()) {
        b.discard();
      }
      toRemove = new ArrayList<>(packs);
    }
    store.writerClosed(this);
    for (Pack p : toRemove) {
      boolean finished = p.discard();
      if (finished && deleteFinished) {
        try {
          objects.delete(p.key);
        } catch (IOException | RuntimeException e) {
          LOG.debug("{}: abort could not delete {} ({}); the next commit or open removes it", uri, p.key,
              e.toString());
        }
      }
    }
  }

  synchronized void markCommitted() {
    done = true;
  }

  /** One pack object being written: blobs one after another; guarded by the writer's lock. */
  static final class Pack {
    final int index;
    final String key;
    /** The size past which this pack takes no more blobs. */
    final long roll;
    ObjectStore.ObjectSink sink;
    long size;
    /** A blob channel is streaming into this pack. */
    boolean busy;
    boolean finished;
    Throwable failure;

    Pack(int index, String key, long roll) {
      this.index = index;
      this.key = key;
      this.roll = roll;
    }

    void finish() throws IOException {
      try {
        sink.finish();
        finished = true;
      } catch (IOException | RuntimeException e) {
        failure = e;
        sink.close();
        throw e;
      }
    }

    /** Closes the sink unless finished; returns whether the pack had been finished (is visible). */
    boolean discard() {
      if (!finished) {
        try {
          sink.close();
        } catch (IOException | RuntimeException e) {
          LOG.debug("discarding {}: {}", key, e.toString());
        }
      }
      return finished;
    }
  }

  /** A blob streaming into its pack from {@link #offset}; the pack is its own until it is closed. */
  static final class BlobChannel implements WritableByteChannel {
    final Object writerLock;
    final String name;
    final Pack pack;
    final long offset;
    final Checksums sums = new Checksums();
    long size;
    boolean closed;
    Throwable failure;

    BlobChannel(Object writerLock, String name, Pack pack) {
      this.writerLock = writerLock;
      this.name = name;
      this.pack = pack;
      this.offset = pack.size;
    }

    @Override
    public synchronized int write(ByteBuffer src) throws IOException {
      if (closed) {
        throw new ClosedChannelException();
      }
      int n = 0;
      try {
        // Large writes go chunk by chunk, each chunk checksummed on a helper thread while it is written.
        do {
          ByteBuffer piece = src.duplicate();
          piece.limit(Math.min(src.limit(), src.position() + Checksums.CHUNK));
          int start = piece.position();
          int w = pack.sink.write(piece);
          if (w <= 0) {
            break;
          }
          ByteBuffer view = src.duplicate();
          view.limit(start + w);
          sums.queue(view);
          src.position(start + w);
          n += w;
        } while (src.hasRemaining() && n >= Checksums.CHUNK);
      } catch (IOException | RuntimeException e) {
        failure = e;
        throw e;
      } finally {
        sums.await();
        size += n;
      }
      return n;
    }

    @Override
    public synchronized boolean isOpen() {
      return !closed;
    }

    /**
     * Completes the blob and frees its pack for the next blob (finishing the pack if it is full), unless a
     * write failed: then the pack is spoiled (the commit will fail).
     */
    @Override
    public void close() throws IOException {
      synchronized (writerLock) {
        synchronized (this) {
          if (closed) {
            return;
          }
          closed = true;
          pack.size += size;
          pack.busy = false;
          if (failure != null) {
            pack.failure = failure;
            return;
          }
          if (pack.size >= pack.roll && !pack.finished && pack.failure == null) {
            try {
              pack.finish();
            } catch (IOException | RuntimeException e) {
              failure = e;
              throw e;
            }
          }
        }
      }
    }

    /** Marks the blob closed without completing it (the writer is being abandoned). */
    synchronized void discard() {
      closed = true;
    }
  }
}
