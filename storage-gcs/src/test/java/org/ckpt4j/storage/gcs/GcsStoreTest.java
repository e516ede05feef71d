package org.ckpt4j.storage.gcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.ckpt4j.storage.gcs.GcsTests.random;
import static org.ckpt4j.storage.gcs.GcsTests.readAll;

import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.Map;
import java.util.UUID;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.CheckpointWriter;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.storage.gcs.testserver.Fault;
import org.ckpt4j.storage.gcs.testserver.GcsTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code gs://} end to end: found by scheme, configured from the URI, checkpoints written and read. */
class GcsStoreTest {
  private static final String BUCKET = "store";
  private static GcsTestServer server;

  @BeforeAll
  static void start() throws Exception {
    server = GcsTestServer.start();
    server.createBucket(BUCKET);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @AfterEach
  void clear() {
    server.clearFaults();
  }

  /** Everything in the URI: the host, no credentials, fast retries, small chunks. */
  private static String uri(String prefix) {
    return "gs://" + BUCKET + "/" + prefix + "?host=" + server.host()
        + "&credentials=none&max-attempts=3&retry-delay=10ms&chunk-size=256KiB";
  }

  private static void write(CheckpointWriter w, String name, byte[] data) throws Exception {
    try (WritableByteChannel ch = w.newBlob(name)) {
      ByteBuffer b = ByteBuffer.wrap(data);
      while (b.hasRemaining()) {
        ch.write(b);
      }
    }
  }

  private static byte[] read(Checkpoint c, String name) throws Exception {
    try (ReadableByteChannel ch = c.openBlob(name)) {
      return readAll(ch, 100_000);
    }
  }

  @Test
  void gsUri_commitAndReadBack_alsoFromAReadOnlyStore() throws Exception {
    String uri = uri("e2e-" + UUID.randomUUID());
    byte[] big = random(2 * 1024 * 1024 + 3, 1);
    byte[] small = random(1000, 2);
    try (CheckpointStore store = CheckpointStores.open(uri, StoreOptions.forOwner("run-1").build())) {
      assertThat(store.capabilities()).contains(Capability.CROSS_PROCESS);
      assertThat(store.latest()).isEmpty();
      try (CheckpointWriter w = store.begin()) {
        write(w, "weights/big.bin", big);
        write(w, "optimizer.bin", small);
        w.commit(Map.of("epoch", "3"));
      }
      try (CheckpointStore reader = CheckpointStores.open(uri, StoreOptions.readOnly().build())) {
        Checkpoint c = reader.latest().orElseThrow();
        assertThat(c.metadata()).containsEntry("epoch", "3");
        assertThat(c.blobs()).containsEntry("weights/big.bin", (long) big.length);
        assertThat(read(c, "weights/big.bin")).isEqualTo(big);
        assertThat(read(c, "optimizer.bin")).isEqualTo(small);
      }
      store.delete();
    }
    assertThat(server.objectNames(BUCKET)).noneMatch(n -> n.startsWith(uri.substring(("gs://" + BUCKET + "/")
        .length(), uri.indexOf('?'))));
  }

  @Test
  void commit_whoseRecordCreateResponseIsLost_stillCommits() throws Exception {
    String uri = uri("lost-" + UUID.randomUUID());
    try (CheckpointStore store = CheckpointStores.open(uri, StoreOptions.forOwner("run-1").build())) {
      try (CheckpointWriter w = store.begin()) {
        write(w, "a.bin", random(100, 3));
        w.commit(Map.of("n", "1"));
      }
      try (CheckpointWriter w = store.begin()) {
        write(w, "a.bin", random(200, 4));
        // the next conditional insert is the commit record: it is applied, then the response is lost, so the
        // client's retry gets 412 and the protocol must recognise its own record
        server.failRequest(1, Fault.DROP_AFTER,
            l -> l.contains("uploadType=multipart") && l.contains("ifGenerationMatch=0"));
        Checkpoint c = w.commit(Map.of("n", "2"));
        assertThat(c.metadata()).containsEntry("n", "2");
      }
      assertThat(server.faultPending()).isFalse();
      assertThat(store.latest().orElseThrow().metadata()).containsEntry("n", "2");
      assertThat(read(store.latest().orElseThrow(), "a.bin")).isEqualTo(random(200, 4));
    }
  }
}
