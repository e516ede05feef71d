package org.ckpt4j.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.CheckpointWriter;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.backend.ForwardingObjectStore;
import org.ckpt4j.spi.backend.ObjectStore;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Object;

/** {@code s3://} end to end: found by scheme, configured from the URI, checkpoints written and read on S3Proxy. */
class S3StoreTest {
  private static final String BUCKET = "store";
  private static final int MIB = 1 << 20;

  @TempDir
  static Path data;
  static S3TestServer server;

  @BeforeAll
  static void startServer() throws Exception {
    server = S3TestServer.start(data).createBucket(BUCKET);
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  /** Endpoint in the URI, credentials in the options (they are refused in URIs). */
  private static String uri(String prefix) {
    return "s3://" + BUCKET + "/" + prefix + "?endpoint=" + server.endpoint() + "&part-size=5MiB";
  }

  private static StoreOptions.Builder credentials(StoreOptions.Builder b) {
    return b.property("s3.access-key", server.accessKey).property("s3.secret-key", server.secretKey)
        .property("s3.region", "us-east-1");
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] read(Checkpoint c, String blob) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    try (ReadableByteChannel in = c.openBlob(blob)) {
      ByteBuffer buf = ByteBuffer.allocate(1 << 16);
      while (in.read(buf) >= 0) {
        buf.flip();
        out.write(buf.array(), 0, buf.limit());
        buf.clear();
      }
    }
    return out.toByteArray();
  }

  private static void write(CheckpointWriter w, String blob, byte[] content) throws IOException {
    try (WritableByteChannel out = w.newBlob(blob)) {
      for (int off = 0; off < content.length; off += MIB) {
        out.write(ByteBuffer.wrap(content, off, Math.min(MIB, content.length - off)));
      }
    }
  }

  private static List<String> keys(String prefix) {
    return server.client().listObjectsV2Paginator(b -> b.bucket(BUCKET).prefix(prefix)).contents().stream()
        .map(S3Object::key).collect(Collectors.toList());
  }

  private static List<MultipartUpload> uploads(String prefix) {
    return server.client().listMultipartUploads(b -> b.bucket(BUCKET).prefix(prefix)).uploads();
  }

  @Test
  void commitThenReadBack_throughTheS3Scheme() throws IOException {
    byte[] weights = random(12 * MIB + 7, 1);
    byte[] small = random(1000, 2);
    String uri = uri("e2e");
    try (CheckpointStore store = CheckpointStores.open(uri, credentials(StoreOptions.forOwner("run-1")).build())) {
      assertThat(store.uri().getScheme()).isEqualTo("s3");
      assertThat(store.capabilities()).contains(org.ckpt4j.spi.backend.Capability.CROSS_PROCESS);
      assertThat(store.latest()).isEmpty();
      try (CheckpointWriter w = store.begin()) {
        write(w, "weights.npy", weights);
        write(w, "meta/small.bin", small);
        w.commit(Map.of("epoch", "1"));
      }
      // another store, read-only, sees it whole
      try (CheckpointStore reader = CheckpointStores.open(uri, credentials(StoreOptions.readOnly()).build())) {
        Checkpoint c = reader.latest().orElseThrow();
        assertThat(c.metadata()).containsEntry("epoch", "1");
        assertThat(c.blobs()).containsEntry("weights.npy", (long) weights.length);
        assertThat(read(c, "weights.npy")).isEqualTo(weights);
        assertThat(read(c, "meta/small.bin")).isEqualTo(small);
      }
      // a second commit removes the first one's data
      try (CheckpointWriter w = store.begin()) {
        write(w, "weights.npy", small);
        w.commit(Map.of("epoch", "2"));
      }
      assertThat(keys("e2e/data/")).hasSize(1).allMatch(k -> k.endsWith(".pack-00000"));
      store.delete();
    }
    assertThat(keys("e2e/")).isEmpty();
    assertThat(uploads("e2e/")).isEmpty();
  }

  @Test
  void abandonedWriter_leavesNoMultipartUploadBehind() throws IOException {
    try (CheckpointStore store = CheckpointStores.open(uri("abandoned"), credentials(StoreOptions.forOwner("run-2"))
        .build())) {
      CheckpointWriter w = store.begin();
      WritableByteChannel out = w.newBlob("weights.npy");
      out.write(ByteBuffer.wrap(random(11 * MIB, 3)));
      assertThat(uploads("abandoned/")).hasSize(1);
      w.close();
      assertThat(uploads("abandoned/")).isEmpty();
      assertThat(store.latest()).isEmpty();
    }
  }

  @Test
  void uploadsOfACrashedWriter_areAbortedByTheNextOpen() throws Exception {
    String uri = uri("crashed");
    StoreOptions options = credentials(StoreOptions.forOwner("run-3")).leaseTimeout(Duration.ofMillis(300))
        .build();
    // A writer that "dies": its sinks and its store never clean up, as after a SIGKILL.
    Crashing crashing = new Crashing(S3StoreProvider.objects(URI.create(uri), options));
    CheckpointStore doomed = CheckpointStores.overObjects(crashing, options);
    CheckpointWriter w = doomed.begin();
    w.newBlob("weights.npy").write(ByteBuffer.wrap(random(11 * MIB, 4)));
    assertThat(uploads("crashed/")).hasSize(1);
    crashing.dead = true;
    try {
      doomed.close(); // cannot release: the process is gone
    } catch (IOException expected) {
      // as after a SIGKILL, nothing was cleaned up
    }
    // a foreign upload under the prefix is not ours to abort
    server.client().createMultipartUpload(b -> b.bucket(BUCKET).key("crashed/data/not-ours.bin"));

    try (CheckpointStore restarted = CheckpointStores.open(uri, options)) {
      assertThat(restarted.latest()).isEmpty();
      assertThat(uploads("crashed/")).extracting(MultipartUpload::key).containsExactly("crashed/data/not-ours.bin");
    } finally {
      MultipartUpload u = uploads("crashed/").get(0);
      server.client().abortMultipartUpload(b -> b.bucket(BUCKET).key(u.key()).uploadId(u.uploadId()));
    }
  }

  /** Forwards until {@code dead}; then every call fails and nothing is cleaned up. */
  private static final class Crashing extends ForwardingObjectStore {
    volatile boolean dead;

    Crashing(ObjectStore delegate) {
      super(delegate);
    }

    private void check() throws IOException {
      if (dead) {
        throw new IOException("process killed");
      }
    }

    @Override
    public ObjectSink create(String key) throws IOException {
      ObjectSink sink = super.create(key);
      return new ObjectSink() {
        @Override
        public int write(ByteBuffer src) throws IOException {
          check();
          return sink.write(src);
        }

        @Override
        public boolean isOpen() {
          return !dead && sink.isOpen();
        }

        @Override
        public void finish() throws IOException {
          check();
          sink.finish();
        }

        @Override
        public void close() throws IOException {
          if (!dead) {
            sink.close();
          }
        }
      };
    }

    @Override
    public boolean putIfAbsent(String key, byte[] content) throws IOException {
      check();
      return super.putIfAbsent(key, content);
    }

    @Override
    public void put(String key, byte[] content) throws IOException {
      check();
      super.put(key, content);
    }

    @Override
    public void delete(String key) throws IOException {
      check();
      super.delete(key);
    }

    @Override
    public void purgeIncomplete(java.util.function.Predicate<String> ours) throws IOException {
      check();
      super.purgeIncomplete(ours);
    }
  }
}
