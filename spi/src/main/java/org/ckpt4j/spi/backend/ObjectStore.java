package org.ckpt4j.spi.backend;

import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStoreException;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreAccessException;
import org.ckpt4j.spi.internal.RangeChannel;

/**
 * The object-storage primitives the checkpoint protocol needs, relative to one backup dir. A backend maps
 * these onto its storage and gets the whole {@link CheckpointStore} contract from
 * {@link CheckpointStores#overObjects(ObjectStore, StoreOptions)}.
 *
 * <p>Keys are {@code /}-separated, relative to the backup dir, never start with {@code /}, and use only
 * {@code [A-Za-z0-9._/-]}. Every operation is durable when it returns (a process crash loses nothing that
 * returned; see {@link Capability#POWER_LOSS_DURABLE}), except that a streamed object may become durable only at
 * {@link #sync}. Missing objects raise
 * {@link java.nio.file.NoSuchFileException} with the key; other storage errors are translated to
 * {@link StoreAccessException} (or another {@link CheckpointStoreException}) naming the URI.
 *
 * <h2>Small API</h2>
 * No rename, no compare-and-swap of an existing object, no append. The one atomic primitive is
 * {@link #putIfAbsent}: create-if-absent on a new key, which S3 ({@code If-None-Match: *}), GCS
 * ({@code ifGenerationMatch=0}) and file systems ({@code link(2)}) provide.
 */
public interface ObjectStore extends Closeable {

  /** The backup dir's URI (for error messages). */
  URI uri();

  /**
   * Starts streaming a new object. Once {@link ObjectSink#finish()} returns, the object is whole; it is
   * durable then too, unless the backend defers durability to {@link #sync}. Before that it may be listed,
   * even partially (the protocol never reads a streamed object before a commit record names it). Closing the
   * sink without {@code finish} discards it. The key is unique to this write (the protocol never overwrites
   * streamed objects).
   */
  ObjectSink create(String key) throws IOException;

  /**
   * Makes finished streamed objects durable. The protocol calls it once per commit, with every pack object of
   * the checkpoint, before it publishes the commit record. The default does nothing, for backends whose
   * {@code finish} is durable already; the local backend fsyncs in the background (during the write and from
   * {@code finish}) and waits here, so that several packs cost far less than one fsync each in a row.
   *
   * @throws IOException if any of them could not be made durable (the commit then fails)
   */
  default void sync(java.util.Collection<String> keys) throws IOException {}

  /**
   * Creates a small object only if no object has the key, atomically even against other processes.
   *
   * @return true if this call created it; false if an object with the key existed. A backend whose client
   *     retries may return false although an earlier attempt of this very call created it: the protocol
   *     tells the cases apart by reading the object back, so a backend need not.
   */
  boolean putIfAbsent(String key, byte[] content) throws IOException;

  /** Creates or replaces a small object; readers see the old or the new content, whole. */
  void put(String key, byte[] content) throws IOException;

  /** Reads a small object whole, or empty if it does not exist. */
  Optional<byte[]> get(String key) throws IOException;

  /**
   * Reads at most the first {@code limit} bytes of an object, or empty if it does not exist. The protocol reads
   * its records and the marker with this (with a limit one byte above the largest it accepts), so an object of any
   * size in their place costs at most that much memory and is reported as corrupt. The default reads through
   * {@link #open(String, long, long)}, so a decorator that changes what reads return changes this too; a backend
   * may override it when one request is cheaper.
   *
   * @throws IllegalArgumentException if {@code limit} is negative
   */
  default Optional<byte[]> getAtMost(String key, int limit) throws IOException {
    if (limit < 0) {
      throw new IllegalArgumentException("negative limit " + limit + " for " + key);
    }
    ReadableByteChannel in;
    try {
      in = open(key, 0, limit);
    } catch (java.nio.file.NoSuchFileException e) {
      return Optional.empty();
    }
    try (ReadableByteChannel ch = in) {
      ByteBuffer buf = ByteBuffer.allocate(Math.min(limit, 8 * 1024));
      while (true) {
        if (!buf.hasRemaining()) {
          if (buf.capacity() >= limit) {
            break;
          }
          ByteBuffer bigger = ByteBuffer.allocate((int) Math.min(limit, 2L * buf.capacity()));
          buf.flip();
          bigger.put(buf);
          buf = bigger;
        }
        if (ch.read(buf) < 0) {
          break;
        }
      }
      byte[] out = new byte[buf.position()];
      buf.flip().get(out);
      return Optional.of(out);
    } catch (java.nio.file.NoSuchFileException e) {
      return Optional.empty(); // deleted between open and read
    }
  }

  /** Opens an object for streaming reads. @throws java.nio.file.NoSuchFileException if absent */
  ReadableByteChannel open(String key) throws IOException;

  /**
   * Opens {@code length} bytes of an object from byte {@code offset} for streaming reads (the protocol stores
   * the blobs of a checkpoint one after another in a few objects, and reads each blob by its range). The
   * channel ends after {@code length} bytes, or earlier where the object ends (the caller counts bytes and
   * reports a truncated object). The default opens the whole object and skips {@code offset} bytes: correct
   * for any backend, but a backend with ranged reads should override it.
   *
   * @throws java.nio.file.NoSuchFileException if absent
   */
  default ReadableByteChannel open(String key, long offset, long length) throws IOException {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("negative range " + offset + "+" + length + " of " + key);
    }
    ReadableByteChannel whole = open(key);
    try {
      ByteBuffer skip = ByteBuffer.allocate((int) Math.min(offset, 64 * 1024));
      for (long left = offset; left > 0; ) {
        skip.clear().limit((int) Math.min(skip.capacity(), left));
        int n = whole.read(skip);
        if (n < 0) {
          break;
        }
        left -= n;
      }
    } catch (IOException | RuntimeException e) {
      whole.close();
      throw e;
    }
    return new RangeChannel(whole, length);
  }

  /**
   * For a backend whose objects are files on this machine: the object opened read-only as a {@link
   * java.nio.channels.FileChannel}, which the protocol reads with positional reads from two threads at once, each
   * checksumming what it read while the bytes are still in its core's cache (a verified restore then keeps up
   * with a plain read of the file). The default is empty, and objects are read with {@link #open(String, long,
   * long)}; a decorator that changes what reads return must leave it empty too, which is why {@link
   * ForwardingObjectStore} does not forward it.
   *
   * @throws java.nio.file.NoSuchFileException if absent
   */
  default Optional<java.nio.channels.FileChannel> openFile(String key) throws IOException {
    return Optional.empty();
  }

  /** Keys of all visible objects starting with {@code prefix} ({@code ""} for all), in ascending order. */
  List<String> list(String prefix) throws IOException;

  /** Deletes an object; deleting a missing object is not an error. */
  void delete(String key) throws IOException;

  /**
   * Removes incomplete writes this backend left behind for keys the predicate accepts (S3 multipart uploads,
   * temporary files of a killed process). Called by the protocol once it holds the claim on the backup dir, so
   * no live writer of this backup dir exists. The default does nothing.
   */
  default void purgeIncomplete(Predicate<String> ours) throws IOException {}

  /**
   * How large a pack object this backend prefers: a checkpoint's blobs go one after another into a pack until it
   * holds this many bytes (then the next blob starts a new one). The default, 64 MiB, keeps each pack's
   * finishing step (an S3 CompleteMultipartUpload, say) small; a local file system prefers one file per
   * checkpoint of large tensors, which the disk then reads ahead front to back.
   */
  default long packSize() {
    return 64L << 20;
  }

  /** What this backend guarantees beyond the required rules; the default is none. */
  default Set<Capability> capabilities() {
    return Set.of();
  }

  /** Releases clients and threads; does not delete anything. */
  @Override
  default void close() throws IOException {}

  /** A streamed object being written. */
  interface ObjectSink extends WritableByteChannel {
    /** Makes the object visible, whole and durable. The sink is closed afterwards. */
    void finish() throws IOException;

    /** Discards the object unless {@link #finish()} returned. Idempotent. */
    @Override
    void close() throws IOException;
  }
}
