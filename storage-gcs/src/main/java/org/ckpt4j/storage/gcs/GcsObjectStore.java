package org.ckpt4j.storage.gcs;

import com.google.api.gax.paging.Page;
import com.google.cloud.ReadChannel;
import com.google.cloud.WriteChannel;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.Storage.BlobListOption;
import com.google.cloud.storage.Storage.BlobTargetOption;
import com.google.cloud.storage.Storage.BlobWriteOption;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.spi.backend.ObjectStore;
import org.ckpt4j.storage.gcs.GcsErrors.Op;

/**
 * The object primitives on one {@code gs://bucket/prefix}, over the Google Cloud Storage client's JSON API.
 * Create-if-absent is an insert with {@code ifGenerationMatch=0}; streamed objects go up as one multipart insert
 * when they fit in one chunk, else as a resumable upload with the same precondition, so an object appears only
 * whole, when its upload finalizes. Reads stream through the client's {@link ReadChannel}, pinned to the
 * generation found when the object was opened.
 */
final class GcsObjectStore implements ObjectStore {
  private static final String CONTENT_TYPE = "application/octet-stream";

  private final GcsSettings settings;
  private final Storage storage;
  private final GcsErrors errors;
  private final int listPageSize;

  GcsObjectStore(GcsSettings settings, Storage storage) {
    this(settings, storage, 1000);
  }

  /** With a smaller list page size, for tests of paging. */
  GcsObjectStore(GcsSettings settings, Storage storage, int listPageSize) {
    this.settings = settings;
    this.storage = storage;
    this.errors = new GcsErrors(settings, storage.getOptions().getCredentials());
    this.listPageSize = listPageSize;
  }

  @Override
  public URI uri() {
    return settings.uri;
  }

  private BlobId id(String key) {
    return BlobId.of(settings.bucket, settings.prefix + key);
  }

  private BlobInfo info(String key) {
    return BlobInfo.newBuilder(id(key)).setContentType(CONTENT_TYPE).build();
  }

  @Override
  public ObjectSink create(String key) throws IOException {
    return new Sink(key);
  }

  @Override
  public boolean putIfAbsent(String key, byte[] content) throws IOException {
    try {
      storage.create(info(key), content, BlobTargetOption.doesNotExist());
      return true;
    } catch (RuntimeException e) {
      if (GcsErrors.code(e) == 412) {
        return false; // exists; possibly written by an earlier attempt of this very call (see ObjectStore)
      }
      throw errors.translate(Op.CREATE, key, e);
    }
  }

  @Override
  public void put(String key, byte[] content) throws IOException {
    try {
      storage.create(info(key), content);
    } catch (RuntimeException e) {
      throw errors.translate(Op.REPLACE, key, e);
    }
  }

  @Override
  public Optional<byte[]> get(String key) throws IOException {
    try {
      return Optional.of(storage.readAllBytes(id(key)));
    } catch (RuntimeException e) {
      if (GcsErrors.code(e) == 404 && !GcsErrors.isMissingBucket(e)) {
        return Optional.empty();
      }
      throw errors.translate(Op.READ, key, e);
    }
  }

  @Override
  public ReadableByteChannel open(String key) throws IOException {
    return open(key, 0, Long.MAX_VALUE);
  }

  /** A generation-pinned read from {@code offset} ({@code seek}), ending after {@code length} bytes. */
  @Override
  public ReadableByteChannel open(String key, long offset, long length) throws IOException {
    if (offset < 0 || length < 0) {
      throw new IllegalArgumentException("negative range " + offset + "+" + length + " of " + key);
    }
    Blob blob;
    try {
      blob = storage.get(id(key));
    } catch (RuntimeException e) {
      throw errors.translate(Op.READ, key, e);
    }
    if (blob == null) {
      throw new NoSuchFileException(settings.uri + "/" + key, null, "no such object");
    }
    try {
      long end = length > blob.getSize() - offset ? blob.getSize() : offset + length;
      ReadChannel reader = storage.reader(BlobId.of(settings.bucket, blob.getName(), blob.getGeneration()));
      reader.setChunkSize((int) Math.min(settings.chunkSize, Math.max(64 * 1024, Math.max(0, end - offset))));
      if (offset > 0 && offset < blob.getSize()) {
        reader.seek(offset);
      }
      return new Reader(key, reader, offset, Math.max(offset, end));
    } catch (RuntimeException e) {
      throw errors.translate(Op.READ, key, e);
    }
  }

  @Override
  public List<String> list(String prefix) throws IOException {
    List<String> keys = new ArrayList<>();
    try {
      Page<Blob> page = storage.list(settings.bucket, BlobListOption.prefix(settings.prefix + prefix),
          BlobListOption.pageSize(listPageSize), BlobListOption.fields(Storage.BlobField.NAME));
      for (Blob b : page.iterateAll()) {
        keys.add(b.getName().substring(settings.prefix.length()));
      }
    } catch (RuntimeException e) {
      throw errors.translate(Op.LIST, null, e);
    }
    Collections.sort(keys); // GCS lists in byte order, which equals String order for our key alphabet
    return keys;
  }

  @Override
  public void delete(String key) throws IOException {
    try {
      storage.delete(id(key)); // false when missing: fine
    } catch (RuntimeException e) {
      if (GcsErrors.code(e) == 404 && !GcsErrors.isMissingBucket(e)) {
        return;
      }
      throw errors.translate(Op.DELETE, key, e);
    }
  }

  @Override
  public Set<Capability> capabilities() {
    return EnumSet.of(Capability.CROSS_PROCESS);
  }

  @Override
  public void close() throws IOException {
    try {
      storage.close();
    } catch (Exception e) {
      throw new IOException(settings.uri + ": closing the GCS client failed: " + e, e);
    }
  }

  @Override
  public String toString() {
    return "GcsObjectStore{" + settings + "}";
  }

  /**
   * A streamed object. Up to one chunk is buffered here; if {@code finish} comes first, the object goes up in one
   * multipart insert. Beyond that the bytes go to a resumable upload whose writer buffers one chunk more, so a
   * sink holds at most two chunks. Closing without {@code finish} never finalizes the upload: the object is never
   * created and GCS discards the unfinished session (after a week).
   */
  private final class Sink implements ObjectSink {
    private final String key;
    private byte[] buffer = new byte[0];
    private int buffered;
    private WriteChannel writer;
    private boolean open = true;

    Sink(String key) {
      this.key = key;
    }

    @Override
    public int write(ByteBuffer src) throws IOException {
      if (!open) {
        throw new ClosedChannelException();
      }
      int n = src.remaining();
      if (writer == null && buffered + (long) n <= settings.chunkSize) {
        if (buffered + n > buffer.length) {
          buffer = Arrays.copyOf(buffer, (int) Math.min(settings.chunkSize,
              Math.max(buffered + (long) n, Math.max(64 * 1024, 2L * buffer.length))));
        }
        src.get(buffer, buffered, n);
        buffered += n;
        return n;
      }
      try {
        if (writer == null) {
          writer = storage.writer(info(key), BlobWriteOption.doesNotExist());
          writer.setChunkSize(settings.chunkSize);
          ByteBuffer head = ByteBuffer.wrap(buffer, 0, buffered);
          while (head.hasRemaining()) {
            writer.write(head);
          }
          buffer = new byte[0];
          buffered = 0;
        }
        while (src.hasRemaining()) {
          writer.write(src);
        }
        return n;
      } catch (IOException | RuntimeException e) {
        abandon();
        throw errors.translate(Op.CREATE, key, e);
      }
    }

    @Override
    public void finish() throws IOException {
      if (!open) {
        throw new ClosedChannelException();
      }
      try {
        if (writer == null) {
          byte[] content = buffered == buffer.length ? buffer : Arrays.copyOf(buffer, buffered);
          createSmall(content);
        } else {
          writer.close(); // finalizes the upload; the precondition is checked then
        }
      } catch (IOException | RuntimeException e) {
        throw errors.translate(Op.CREATE, key, e);
      } finally {
        abandon();
      }
    }

    /**
     * A 412 on a retried insert means an earlier attempt of this call already created the object (the key is
     * unique to this write) unless the content differs.
     */
    private void createSmall(byte[] content) throws IOException {
      try {
        storage.create(info(key), content, BlobTargetOption.doesNotExist());
      } catch (RuntimeException e) {
        if (GcsErrors.code(e) != 412) {
          throw e;
        }
        Optional<byte[]> there = get(key);
        if (there.isEmpty() || !Arrays.equals(there.get(), content)) {
          FileAlreadyExistsException x = new FileAlreadyExistsException(settings.uri + "/" + key, null,
              "another object with this name exists");
          x.initCause(e);
          throw x;
        }
      }
    }

    private void abandon() {
      open = false;
      writer = null; // never closed: the resumable session is left unfinalized, so no object appears
      buffer = new byte[0];
      buffered = 0;
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() {
      abandon();
    }
  }

  /** Streams an object's generation, translating the client's errors. */
  private final class Reader implements ReadableByteChannel {
    private final String key;
    private final ReadChannel delegate;
    private final long size;
    private long position;

    /** Reads bytes {@code start} to {@code end} (exclusive) of the object. */
    Reader(String key, ReadChannel delegate, long start, long end) {
      this.key = key;
      this.delegate = delegate;
      this.position = start;
      this.size = end;
    }

    @Override
    public int read(ByteBuffer dst) throws IOException {
      if (position >= size) {
        return delegate.isOpen() ? -1 : closed();
      }
      int limit = dst.limit();
      if (dst.remaining() > size - position) {
        dst.limit(dst.position() + (int) (size - position));
      }
      try {
        int n = delegate.read(dst);
        if (n > 0) {
          position += n;
        }
        return n;
      } catch (IOException | RuntimeException e) {
        if (e instanceof ClosedChannelException) {
          throw (ClosedChannelException) e;
        }
        throw errors.translate(Op.READ, key, e);
      } finally {
        dst.limit(limit);
      }
    }

    private int closed() throws ClosedChannelException {
      throw new ClosedChannelException();
    }

    @Override
    public boolean isOpen() {
      return delegate.isOpen();
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
