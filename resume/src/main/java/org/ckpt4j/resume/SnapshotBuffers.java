package org.ckpt4j.resume;

import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

/**
 * The memory async saves copy their snapshots into: two sets of direct buffers, reused from save to save, so
 * that a save stalls training for one pass over the state (the copy) and the small manifest, not for an
 * allocation, a zero-fill (which {@link ByteBuffer#allocateDirect} does, a second pass) or page faults. A
 * tensor is copied straight from the memory it views into the snapshot, {@code .npy} header first; the bytes
 * are those {@link Snapshot#writeTo} streams.
 *
 * <p><b>Lifetime of a set.</b> A set handed to a background save ({@link BufferSet#handTo}) is filled again only
 * once that save is done (committed or failed): {@link #acquire} waits for it. Two sets suffice because an
 * {@link org.ckpt4j.spi.AsyncCommitter} has at most one save in flight: save N+1 is copied into the other set
 * while save N is written, and submitting N+1 waits for N, so by the time save N+2 wants N's set, N is done and
 * the wait costs nothing. The wait makes that independent of the committer. A set that was filled but not
 * handed over (the submit failed) is reused by the next save.
 *
 * <p>A set keeps one buffer per blob name, with the blob's {@code .npy} header already in place while the
 * tensor's type and shape stay the same. A buffer too small for its blob is replaced (a tensor that grew);
 * buffers of names a save no longer has are dropped. Not thread-safe: one training thread.
 */
final class SnapshotBuffers {
  private final BufferSet[] sets = {new BufferSet(0), new BufferSet(1)};
  private int next;

  /**
   * Allocates both sets for these tensors up front (the bulk of the state), so that the first saves copy into
   * memory that is already mapped instead of allocating it while training waits.
   */
  void reserve(List<Tensor> tensors) {
    for (BufferSet s : sets) {
      for (Tensor t : tensors) {
        s.slot(t.name(), t.dtype(), t.shape());
      }
    }
  }

  /**
   * The set the next snapshot goes into: the one the latest save did not take, once the save that read it
   * before is done.
   *
   * @throws InterruptedIOException if interrupted while that save is still in flight
   */
  BufferSet acquire() throws InterruptedIOException {
    BufferSet s = sets[next];
    s.awaitReader();
    return s;
  }

  /** One set of snapshot buffers, keyed by blob name. */
  final class BufferSet {
    private final int index;
    private final Map<String, Slot> slots = new HashMap<>();
    /** The save reading this set, or null. */
    private Future<?> reader;

    private BufferSet(int index) {
      this.index = index;
    }

    /**
     * Copies the snapshot into this set: each tensor's {@code .npy} header and data in one buffer, the manifest
     * last, in the order {@link Snapshot#writeTo} writes them.
     */
    Map<String, ByteBuffer> fill(Snapshot snapshot) {
      if (reader != null) {
        throw new IllegalStateException("snapshot buffers still handed to a save");
      }
      Map<String, ByteBuffer> blobs = new LinkedHashMap<>();
      for (Tensor t : snapshot.tensors()) {
        Slot slot = slot(t.name(), t.dtype(), t.shape());
        ByteBuffer data = t.data();
        ByteBuffer b = slot.buffer.clear();
        b.put(slot.dataOffset, data, data.position(), data.remaining());
        blobs.put(t.name(), b);
      }
      slots.keySet().retainAll(blobs.keySet());
      blobs.put(BlobLayout.MANIFEST, ByteBuffer.wrap(JsonCodec.prettyBytes(snapshot.manifest())));
      return blobs;
    }

    /** Marks this set as read by {@code save} until it is done; the next snapshot goes into the other set. */
    void handTo(Future<?> save) {
      reader = save;
      next = 1 - index;
    }

    /**
     * The slot of blob {@code name} for a tensor of this type and shape, its {@code .npy} header in place: kept
     * from the previous fill when the type and shape are the same (no header to format again), otherwise
     * rewritten, in a new buffer if the old one is too small.
     */
    private Slot slot(String name, DType type, long[] shape) {
      Slot slot = slots.get(name);
      if (slot != null && slot.type == type && Arrays.equals(slot.shape, shape)) {
        return slot;
      }
      ByteBuffer header = Npy.header(type, shape);
      int headerLength = header.remaining();
      long size = Npy.blobSize(type, shape);
      if (size > Integer.MAX_VALUE) {
        throw new IllegalArgumentException("blob " + name + " (" + size + " bytes) exceeds 2 GiB, the limit of "
            + "an async save's snapshot buffer");
      }
      ByteBuffer b = slot != null && slot.buffer.capacity() >= size ? slot.buffer
          : ByteBuffer.allocateDirect((int) size);
      b.clear().limit((int) size);
      b.put(header);
      slot = new Slot(b.slice(0, (int) size), type, shape.clone(), headerLength);
      slots.put(name, slot);
      return slot;
    }

    private void awaitReader() throws InterruptedIOException {
      Future<?> f = reader;
      while (f != null && !f.isDone()) {
        try {
          f.get();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while a background save still reads its snapshot");
        } catch (ExecutionException e) {
          break; // done; the committer reports the failure
        } catch (CancellationException e) {
          // A cancelled task may still be running, so this is not "done reading"; but the committer never
          // cancels a save, so this would be another caller's doing.
          throw new IllegalStateException("a background save reading the snapshot buffers was cancelled", e);
        }
      }
      reader = null;
    }
  }

  /** A blob's buffer, exactly its size, holding the {@code .npy} header for {@code type} and {@code shape}. */
  private record Slot(ByteBuffer buffer, DType type, long[] shape, int dataOffset) {}
}
