package org.ckpt4j.trainer;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointWriter;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.backend.Capability;

/**
 * A forwarding store that reads back every checkpoint right after it is committed (so that each save's content
 * can be compared, although the store keeps only the latest), and can hold a blob write halfway through.
 */
final class RecordingStore implements CheckpointStore {
  /** Called by a blob channel before each write: may block (e.g. to hold a save in the middle of a blob). */
  interface WriteHook {
    void beforeWrite(int checkpoint, String blob, int call) throws IOException;
  }

  private final CheckpointStore delegate;
  private final WriteHook hook;
  private int begun;
  /** Per committed checkpoint: its metadata under "@metadata", then each blob (see {@link #describe}). */
  final List<Map<String, String>> committed = new CopyOnWriteArrayList<>();

  RecordingStore(CheckpointStore delegate, WriteHook hook) {
    this.delegate = delegate;
    this.hook = hook;
  }

  /** A blob as text: the manifest itself (readable in a failure), any other blob by size and SHA-256. */
  static String describe(String name, byte[] bytes) {
    if (name.endsWith(".json")) {
      return new String(bytes, StandardCharsets.UTF_8);
    }
    try {
      return bytes.length + " bytes, sha256=" + HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public URI uri() {
    return delegate.uri();
  }

  @Override
  public StoreOptions options() {
    return delegate.options();
  }

  @Override
  public Set<Capability> capabilities() {
    return delegate.capabilities();
  }

  @Override
  public synchronized CheckpointWriter begin() throws IOException {
    CheckpointWriter w = delegate.begin();
    int index = begun++;
    return new CheckpointWriter() {
      @Override
      public WritableByteChannel newBlob(String name) throws IOException {
        WritableByteChannel ch = w.newBlob(name);
        return new WritableByteChannel() {
          private int calls;

          @Override
          public int write(ByteBuffer src) throws IOException {
            hook.beforeWrite(index, name, calls++);
            if (calls == 1 && src.remaining() > 1) { // the first call writes half: the rest comes in a second call
              ByteBuffer half = src.duplicate();
              half.limit(src.position() + src.remaining() / 2);
              int n = ch.write(half);
              src.position(src.position() + n);
              return n;
            }
            return ch.write(src);
          }

          @Override
          public boolean isOpen() {
            return ch.isOpen();
          }

          @Override
          public void close() throws IOException {
            ch.close();
          }
        };
      }

      @Override
      public Checkpoint commit(Map<String, String> metadata) throws IOException {
        Checkpoint cp = w.commit(metadata);
        Map<String, String> content = new LinkedHashMap<>();
        content.put("@metadata", cp.metadata().toString());
        for (String name : cp.blobs().keySet()) {
          try (InputStream in = Channels.newInputStream(cp.openBlob(name))) {
            content.put(name, describe(name, in.readAllBytes()));
          }
        }
        committed.add(content);
        return cp;
      }

      @Override
      public void close() throws IOException {
        w.close();
      }
    };
  }

  @Override
  public Optional<Checkpoint> latest() throws IOException {
    return delegate.latest();
  }

  @Override
  public Optional<Checkpoint> previous() throws IOException {
    return delegate.previous();
  }

  @Override
  public void delete() throws IOException {
    delegate.delete();
  }

  @Override
  public void close() throws IOException {
    delegate.close();
  }
}
