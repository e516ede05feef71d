package org.ckpt4j.storage.gcs;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.ckpt4j.storage.gcs.GcsTests.random;
import static org.ckpt4j.storage.gcs.GcsTests.readAll;

import java.nio.ByteBuffer;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import org.ckpt4j.spi.backend.Capability;
import org.ckpt4j.spi.backend.ObjectStore.ObjectSink;
import org.ckpt4j.storage.gcs.testserver.Fault;
import org.ckpt4j.storage.gcs.testserver.GcsTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The object primitives of {@link GcsObjectStore}, through the real client, against the GCS test server. */
class GcsObjectStoreTest {
  private static final String BUCKET = "objects";
  private static final int CHUNK = 256 * 1024;
  private static GcsTestServer server;
  private GcsObjectStore store;
  private String prefix;

  @BeforeAll
  static void start() throws Exception {
    server = GcsTestServer.start();
    server.createBucket(BUCKET);
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @BeforeEach
  void open() throws Exception {
    prefix = "t-" + UUID.randomUUID();
    store = GcsTests.objects(server, "gs://" + BUCKET + "/" + prefix);
  }

  @AfterEach
  void close() throws Exception {
    server.clearFaults();
    store.close();
  }

  private String name(String key) {
    return prefix + "/" + key;
  }

  @Test
  void uri_isTheNormalizedBackupDir() {
    assertThat(store.uri().toString()).isEqualTo("gs://" + BUCKET + "/" + prefix);
    assertThat(store.capabilities()).containsExactly(Capability.CROSS_PROCESS);
  }

  @Test
  void putIfAbsent_createsOnce_secondCallReturnsFalseAndKeepsContent() throws Exception {
    assertThat(store.putIfAbsent("log/1", bytes("first"))).isTrue();
    assertThat(store.putIfAbsent("log/1", bytes("second"))).isFalse();
    assertThat(store.get("log/1")).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("first")));
    assertThat(server.objectNames(BUCKET)).contains(name("log/1"));
  }

  @Test
  void put_replaces_getReadsWholeOrEmpty() throws Exception {
    assertThat(store.get("meta")).isEmpty();
    store.put("meta", bytes("v1"));
    store.put("meta", bytes("v2"));
    assertThat(store.get("meta")).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("v2")));
  }

  @Test
  void create_small_oneMultipartInsert_visibleOnlyAfterFinish() throws Exception {
    byte[] data = random(10_000, 1);
    server.resetCounters();
    try (ObjectSink sink = store.create("blobs/small")) {
      sink.write(ByteBuffer.wrap(data));
      assertThat(store.list("blobs/")).isEmpty();
      sink.finish();
      assertThat(sink.isOpen()).isFalse();
    }
    assertThat(server.requestLog()).filteredOn(l -> l.startsWith("POST /upload")).hasSize(1)
        .allMatch(l -> l.contains("uploadType=multipart") && l.contains("ifGenerationMatch=0"));
    try (ReadableByteChannel in = store.open("blobs/small")) {
      assertThat(readAll(in, 1000)).isEqualTo(data);
    }
  }

  @Test
  void create_large_resumableChunks_boundedBuffers_visibleOnlyAfterFinish() throws Exception {
    byte[] data = random(3 * 1024 * 1024 + 5, 2);
    server.resetCounters();
    try (ObjectSink sink = store.create("blobs/large")) {
      for (int off = 0; off < data.length; off += 70_000) {
        sink.write(ByteBuffer.wrap(data, off, Math.min(70_000, data.length - off)));
      }
      assertThat(store.list("blobs/")).isEmpty();
      sink.finish();
    }
    List<String> log = server.requestLog();
    assertThat(log).filteredOn(l -> l.startsWith("POST /upload")).hasSize(1)
        .allMatch(l -> l.contains("uploadType=resumable") && l.contains("ifGenerationMatch=0"));
    // 3 MiB in 256 KiB chunks: at least 12 chunk PUTs, so no request carried the whole blob
    assertThat(log).filteredOn(l -> l.startsWith("PUT")).hasSizeGreaterThanOrEqualTo(12);
    assertThat(store.list("blobs/")).containsExactly("blobs/large");
    try (ReadableByteChannel in = store.open("blobs/large")) {
      assertThat(readAll(in, 100_000)).isEqualTo(data);
    }
  }

  @Test
  void create_closeWithoutFinish_neverCreatesTheObject() throws Exception {
    ObjectSink small = store.create("blobs/abandoned-small");
    small.write(ByteBuffer.wrap(random(100, 3)));
    small.close();
    int openBefore = server.openUploadSessions();
    ObjectSink large = store.create("blobs/abandoned-large");
    large.write(ByteBuffer.wrap(random(3 * CHUNK, 4)));
    large.close();
    assertThat(server.openUploadSessions()).isEqualTo(openBefore + 1); // started, never finalized
    assertThat(store.list("blobs/")).isEmpty();
    assertThatThrownBy(() -> large.write(ByteBuffer.wrap(new byte[1]))).isInstanceOf(ClosedChannelException.class);
    assertThatThrownBy(large::finish).isInstanceOf(ClosedChannelException.class);
  }

  @Test
  void create_emptyObject() throws Exception {
    try (ObjectSink sink = store.create("blobs/empty")) {
      sink.finish();
    }
    try (ReadableByteChannel in = store.open("blobs/empty")) {
      assertThat(readAll(in, 10)).isEmpty();
    }
  }

  @Test
  void open_missing_isNoSuchFile_andDeletedBeforeRead_isNoSuchFile() throws Exception {
    assertThatThrownBy(() -> store.open("nope")).isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining("gs://" + BUCKET + "/" + prefix + "/nope");
    store.put("gone", random(1000, 5));
    ReadableByteChannel in = store.open("gone");
    store.delete("gone");
    assertThatThrownBy(() -> in.read(ByteBuffer.allocate(10))).isInstanceOf(NoSuchFileException.class);
    in.close();
  }

  @Test
  void open_readsTheGenerationItOpened_evenIfReplacedMidway() throws Exception {
    store.put("pinned", bytes("old"));
    ReadableByteChannel in = store.open("pinned");
    store.put("pinned", bytes("new!"));
    // the old generation no longer exists (no versioning): the read must fail, never mix or switch content
    assertThatThrownBy(() -> readAll(in, 10)).isInstanceOf(NoSuchFileException.class);
  }

  @Test
  void list_byPrefix_acrossPages_inOrder() throws Exception {
    try (GcsObjectStore paged = GcsTests.objects(server, "gs://" + BUCKET + "/" + prefix, 7)) {
      List<String> expected = new ArrayList<>();
      for (int i = 0; i < 23; i++) {
        String key = String.format("blobs/%03d", i);
        paged.put(key, new byte[] {(byte) i});
        expected.add(key);
      }
      paged.put("other", new byte[] {1});
      server.resetCounters();
      assertThat(paged.list("blobs/")).isEqualTo(expected);
      assertThat(server.requestLog()).filteredOn(l -> l.startsWith("GET") && l.contains("/o?")).hasSize(4);
      assertThat(paged.list("")).hasSize(24).contains("other");
    }
  }

  @Test
  void list_doesNotSeeOtherPrefixes() throws Exception {
    try (GcsObjectStore sibling = GcsTests.objects(server, "gs://" + BUCKET + "/" + prefix + "x")) {
      sibling.put("a", new byte[] {1});
      store.put("a", new byte[] {2});
      assertThat(store.list("")).containsExactly("a");
      assertThat(sibling.get("a")).hasValueSatisfying(v -> assertThat(v).containsExactly(1));
    }
  }

  @Test
  void delete_isIdempotent() throws Exception {
    store.put("d", new byte[] {1});
    store.delete("d");
    store.delete("d");
    assertThat(store.get("d")).isEmpty();
  }

  @Test
  void putIfAbsent_responseLostAfterSuccess_retryReportsExistsAndObjectIsOurs() throws Exception {
    server.failRequest(1, Fault.DROP_AFTER);
    // the client retries the conditional insert; the retry finds the object the first attempt created
    assertThat(store.putIfAbsent("slot/1", bytes("mine"))).isFalse();
    assertThat(server.faultPending()).isFalse();
    assertThat(store.get("slot/1")).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("mine")));
  }

  @Test
  void create_small_responseLostAfterSuccess_finishRecognisesItsOwnObject() throws Exception {
    byte[] data = random(5000, 6);
    server.failRequest(1, Fault.SERVICE_UNAVAILABLE_AFTER, l -> l.startsWith("POST /upload"));
    try (ObjectSink sink = store.create("blobs/lost")) {
      sink.write(ByteBuffer.wrap(data));
      sink.finish();
    }
    assertThat(server.faultPending()).isFalse();
    assertThat(store.get("blobs/lost")).hasValueSatisfying(v -> assertThat(v).isEqualTo(data));
  }

  @Test
  void create_small_nameTakenByOtherContent_failsAtFinish() throws Exception {
    store.put("blobs/taken", bytes("someone else"));
    ObjectSink sink = store.create("blobs/taken");
    sink.write(ByteBuffer.wrap(bytes("mine")));
    assertThatThrownBy(sink::finish).isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
    assertThat(store.get("blobs/taken")).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("someone else")));
  }

  @Test
  void create_large_responseLostAfterFinalize_finishSucceeds() throws Exception {
    byte[] data = random(2 * CHUNK + 100, 7);
    ObjectSink sink = store.create("blobs/lost-large");
    sink.write(ByteBuffer.wrap(data));
    // the next PUT that declares the total is the finalizing one
    server.failRequest(1, Fault.DROP_AFTER, l -> l.startsWith("PUT"));
    sink.finish();
    assertThat(server.faultPending()).isFalse();
    assertThat(store.get("blobs/lost-large")).hasValueSatisfying(v -> assertThat(v).isEqualTo(data));
  }

  @Test
  void create_large_connectionDroppedMidChunk_uploadResumes() throws Exception {
    byte[] data = random(4 * CHUNK + 17, 8);
    server.failRequest(2, Fault.DROP_MID_UPLOAD, l -> l.startsWith("PUT"));
    try (ObjectSink sink = store.create("blobs/resumed")) {
      sink.write(ByteBuffer.wrap(data));
      sink.finish();
    }
    assertThat(server.faultPending()).isFalse();
    try (ReadableByteChannel in = store.open("blobs/resumed")) {
      assertThat(readAll(in, 65536)).isEqualTo(data);
    }
  }

  @Test
  void transient503_isRetried() throws Exception {
    store.put("t", bytes("x"));
    server.failRequest(1, Fault.SERVICE_UNAVAILABLE_BEFORE);
    assertThat(store.get("t")).hasValueSatisfying(v -> assertThat(v).isEqualTo(bytes("x")));
    server.failRequest(1, Fault.SERVICE_UNAVAILABLE_BEFORE);
    assertThat(store.list("")).containsExactly("t");
    server.failRequest(1, Fault.DROP_BEFORE);
    assertThat(store.putIfAbsent("u", bytes("y"))).isTrue();
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }
}
