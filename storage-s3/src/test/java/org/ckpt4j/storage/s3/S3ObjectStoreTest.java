package org.ckpt4j.storage.s3;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.backend.ObjectStore.ObjectSink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.S3Object;

/** The object primitives against a real S3-compatible server (S3Proxy on loopback). */
class S3ObjectStoreTest {
  private static final String BUCKET = "primitives";
  private static final int MIB = 1 << 20;

  @TempDir
  static Path data;
  static S3TestServer server;

  private S3ObjectStore store;
  private String prefix;

  @BeforeAll
  static void startServer() throws Exception {
    server = S3TestServer.start(data).createBucket(BUCKET);
  }

  @AfterAll
  static void stopServer() throws Exception {
    server.close();
  }

  @BeforeEach
  void openStore(TestInfo test) throws IOException {
    prefix = "runs/" + test.getTestMethod().orElseThrow().getName();
    store = open(prefix, 4);
  }

  private S3ObjectStore open(String prefix, int parallelism) throws IOException {
    StoreOptions options = server.configure(StoreOptions.forOwner("test"))
        .property("s3.part-size", "5MiB").property("s3.parallelism", String.valueOf(parallelism)).build();
    return server.objects("s3://" + BUCKET + "/" + prefix, options);
  }

  @AfterEach
  void closeStore() {
    store.close();
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static void write(ObjectSink sink, byte[] content, int chunk) throws IOException {
    for (int off = 0; off < content.length; off += chunk) {
      sink.write(ByteBuffer.wrap(content, off, Math.min(chunk, content.length - off)));
    }
  }

  private static byte[] readAll(ReadableByteChannel in, int bufferSize) throws IOException {
    java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
    ByteBuffer buf = ByteBuffer.allocate(bufferSize);
    while (in.read(buf) >= 0) {
      buf.flip();
      out.write(buf.array(), 0, buf.limit());
      buf.clear();
    }
    return out.toByteArray();
  }

  private List<MultipartUpload> uploads() {
    return server.client().listMultipartUploads(b -> b.bucket(BUCKET)).uploads();
  }

  @Test
  void putIfAbsent_createsOnce_secondCallReturnsFalseAndKeepsFirstContent() throws IOException {
    assertThat(store.putIfAbsent("log/1.json", "first".getBytes(StandardCharsets.UTF_8))).isTrue();
    assertThat(store.putIfAbsent("log/1.json", "second".getBytes(StandardCharsets.UTF_8))).isFalse();
    assertThat(store.get("log/1.json")).hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8))
        .isEqualTo("first"));
  }

  @Test
  void putIfAbsent_contended_exactlyOneWinner() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int round = 0; round < 10; round++) {
        String key = "race/" + round;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          byte[] content = ("writer " + t).getBytes(StandardCharsets.UTF_8);
          results.add(pool.submit(() -> {
            go.await();
            return store.putIfAbsent(key, content);
          }));
        }
        go.countDown();
        int winners = 0;
        for (Future<Boolean> f : results) {
          winners += f.get() ? 1 : 0;
        }
        assertThat(winners).as("winners of round %d", round).isEqualTo(1);
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void put_replacesWholeObject() throws IOException {
    store.put("lease/1.json", "one".getBytes(StandardCharsets.UTF_8));
    store.put("lease/1.json", "two!".getBytes(StandardCharsets.UTF_8));
    assertThat(store.get("lease/1.json")).hasValueSatisfying(b -> assertThat(b).isEqualTo(
        "two!".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void missingObject_getIsEmpty_openThrowsNoSuchFileNamingKey() throws IOException {
    assertThat(store.get("nope")).isEmpty();
    assertThatThrownBy(() -> store.open("data/nope")).isInstanceOf(NoSuchFileException.class)
        .hasMessageContaining("s3://" + BUCKET + "/" + prefix + "/data/nope");
  }

  @Test
  void create_smallObject_isSinglePutAndReadsBack() throws IOException {
    byte[] content = random(100_000, 1);
    try (ObjectSink sink = store.create("data/small.bin")) {
      write(sink, content, 7_777);
      assertThat(store.list("data/")).as("not visible before finish").isEmpty();
      sink.finish();
    }
    assertThat(uploads()).isEmpty();
    try (ReadableByteChannel in = store.open("data/small.bin")) {
      assertThat(readAll(in, 4096)).isEqualTo(content);
    }
  }

  @Test
  void create_emptyObject_readsBackEmpty() throws IOException {
    try (ObjectSink sink = store.create("data/empty.bin")) {
      sink.finish();
    }
    try (ReadableByteChannel in = store.open("data/empty.bin")) {
      assertThat(readAll(in, 16)).isEmpty();
    }
  }

  @Test
  void create_largeObject_multipartInParallel_readsBackWithRangedGets() throws IOException {
    // 3.4 parts of 5 MiB: a multipart upload of 4 parts, read back as a first GET plus 3 ranged GETs.
    byte[] content = random(17 * MIB + 12345, 2);
    ObjectSink sink = store.create("data/big.bin");
    write(sink, content, 1 << 20);
    assertThat(uploads()).extracting(MultipartUpload::key).containsExactly(prefix + "/data/big.bin");
    sink.finish();
    assertThat(uploads()).isEmpty();
    S3Object listed = server.client().listObjectsV2(b -> b.bucket(BUCKET).prefix(prefix + "/data/")).contents()
        .get(0);
    assertThat(listed.size()).isEqualTo(content.length);
    try (ReadableByteChannel in = store.open("data/big.bin")) {
      assertThat(readAll(in, 1_000_003)).isEqualTo(content);
    }
    // a direct buffer takes the copying path
    try (ReadableByteChannel in = store.open("data/big.bin")) {
      ByteBuffer direct = ByteBuffer.allocateDirect(content.length + 10);
      while (in.read(direct) >= 0) {
        // keep reading
      }
      direct.flip();
      byte[] back = new byte[direct.remaining()];
      direct.get(back);
      assertThat(back).isEqualTo(content);
    }
  }

  @Test
  void create_exactlyOnePartSize_isSinglePut() throws IOException {
    byte[] content = random(5 * MIB, 3);
    try (ObjectSink sink = store.create("data/one-part.bin")) {
      write(sink, content, 64 * 1024);
      sink.finish();
    }
    try (ReadableByteChannel in = store.open("data/one-part.bin")) {
      assertThat(readAll(in, 1 << 16)).isEqualTo(content);
    }
  }

  @Test
  void create_closedWithoutFinish_abortsUploadAndLeavesNothing() throws IOException {
    ObjectSink sink = store.create("data/abandoned.bin");
    write(sink, random(11 * MIB, 4), 1 << 20);
    assertThat(uploads()).hasSize(1);
    sink.close();
    sink.close();
    assertThat(uploads()).isEmpty();
    assertThat(store.list("")).isEmpty();
    assertThatThrownBy(() -> sink.write(ByteBuffer.allocate(1))).isInstanceOf(
        java.nio.channels.ClosedChannelException.class);
  }

  @Test
  void create_interruptedWriter_throwsClosedByInterruptAndAbortsUpload() throws Exception {
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    AtomicReference<Boolean> stillInterrupted = new AtomicReference<>();
    Thread writer = new Thread(() -> {
      try (ObjectSink sink = store.create("data/interrupted.bin")) {
        byte[] chunk = random(1 << 20, 5);
        for (int i = 0; i < 200; i++) {
          if (i == 12) {
            Thread.currentThread().interrupt(); // as if interrupted while streaming a checkpoint
          }
          sink.write(ByteBuffer.wrap(chunk));
        }
        throw new AssertionError("writes after the interrupt never failed");
      } catch (Throwable t) {
        thrown.set(t);
        stillInterrupted.set(Thread.currentThread().isInterrupted());
      }
    });
    writer.start();
    writer.join();
    assertThat(thrown.get()).isInstanceOf(ClosedByInterruptException.class);
    assertThat(stillInterrupted.get()).as("interrupt flag kept").isTrue();
    assertThat(uploads()).isEmpty();
    assertThat(store.list("")).isEmpty();
  }

  @Test
  void open_objectDeletedWhileRead_throwsNoSuchFile() throws IOException {
    store.close();
    store = open(prefix, 1); // one part ahead: the 3rd part is requested only after the 2nd is consumed
    byte[] content = random(20 * MIB, 6);
    try (ObjectSink sink = store.create("data/gone.bin")) {
      write(sink, content, 1 << 20);
      sink.finish();
    }
    try (ReadableByteChannel in = store.open("data/gone.bin")) {
      assertThat(in.read(ByteBuffer.allocate(10))).isEqualTo(10);
      store.delete("data/gone.bin");
      assertThatThrownBy(() -> readAll(in, 1 << 16)).isInstanceOf(NoSuchFileException.class);
    }
  }

  @Test
  void open_closedEarly_thenReadThrowsClosedChannel() throws IOException {
    byte[] content = random(12 * MIB, 7);
    try (ObjectSink sink = store.create("data/early.bin")) {
      write(sink, content, 1 << 20);
      sink.finish();
    }
    ReadableByteChannel in = store.open("data/early.bin");
    ByteBuffer buf = ByteBuffer.allocate(1000);
    assertThat(in.read(buf)).isPositive();
    in.close();
    assertThat(in.isOpen()).isFalse();
    assertThatThrownBy(() -> in.read(buf)).isInstanceOf(java.nio.channels.ClosedChannelException.class);
    // the store still works: nothing leaked or blocked
    try (ReadableByteChannel again = store.open("data/early.bin")) {
      assertThat(readAll(again, 1 << 20)).isEqualTo(content);
    }
  }

  @Test
  void list_isSortedRelativeAndStaysInsideThePrefix() throws IOException {
    try (S3ObjectStore sibling = open(prefix + "0", 1)) {
      sibling.put("log/x.json", new byte[1]); // s3://bucket/<prefix>0/... must not show up under <prefix>
      store.put("log/b.json", new byte[1]);
      store.put("log/a.json", new byte[1]);
      store.put("ckpt4j.json", new byte[1]);
      store.put("lease/1.json", new byte[1]);
      assertThat(store.list("")).containsExactly("ckpt4j.json", "lease/1.json", "log/a.json", "log/b.json");
      assertThat(store.list("log/")).containsExactly("log/a.json", "log/b.json");
      assertThat(sibling.list("")).containsExactly("log/x.json");
    }
  }

  @Test
  void list_readsEveryPage() throws Exception {
    int n = 1_234; // S3 pages hold at most 1000 keys
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<?>> puts = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        String key = String.format("log/%05d.json", i);
        puts.add(pool.submit(() -> {
          store.put(key, new byte[0]);
          return null;
        }));
      }
      for (Future<?> f : puts) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    List<String> expected = IntStream.range(0, n).mapToObj(i -> String.format("log/%05d.json", i))
        .collect(Collectors.toList());
    assertThat(store.list("log/")).isEqualTo(expected);
  }

  @Test
  void delete_isIdempotent() throws IOException {
    store.put("lease/2.json", new byte[3]);
    store.delete("lease/2.json");
    store.delete("lease/2.json");
    store.delete("never-there");
    assertThat(store.list("")).isEmpty();
  }

  @Test
  void purgeIncomplete_abortsOnlyOurUploadsUnderThePrefix() throws IOException {
    String ours = prefix + "/data/ours.bin";
    String foreign = prefix + "/data/foreign.bin";
    String elsewhere = "elsewhere/data/ours.bin";
    for (String key : List.of(ours, foreign, elsewhere)) {
      server.client().createMultipartUpload(b -> b.bucket(BUCKET).key(key));
    }
    store.purgeIncomplete(k -> k.endsWith("ours.bin"));
    assertThat(uploads()).extracting(MultipartUpload::key).containsExactlyInAnyOrder(foreign, elsewhere);
    for (MultipartUpload u : uploads()) {
      server.client().abortMultipartUpload(b -> b.bucket(BUCKET).key(u.key()).uploadId(u.uploadId()));
    }
  }

  @Test
  void serverErrorBeforeApplying_isRetriedBySdk() throws IOException {
    server.faults.disarm();
    server.faults.failRequest(1, org.ckpt4j.tck.TransportFaults.Kind.FAIL_BEFORE);
    long before = server.faults.injected();
    store.put("lease/9.json", "x".getBytes(StandardCharsets.UTF_8));
    assertThat(server.faults.injected() - before).isEqualTo(1);
    assertThat(store.get("lease/9.json")).hasValueSatisfying(b -> assertThat(b).hasSize(1));
  }

  @Test
  void lostResponseOfCreateIfAbsent_retryFindsTheObject() throws IOException {
    server.faults.disarm();
    server.faults.failRequest(1, org.ckpt4j.tck.TransportFaults.Kind.LOSE_RESPONSE);
    long before = server.faults.injected();
    // The first attempt creates it and "loses" the answer; the SDK's retry meets If-None-Match: false,
    // although this very call created it (the protocol tells the cases apart by reading the record back).
    assertThat(store.putIfAbsent("log/7.json", "mine".getBytes(StandardCharsets.UTF_8))).isFalse();
    assertThat(server.faults.injected() - before).isEqualTo(1);
    assertThat(store.get("log/7.json")).hasValueSatisfying(b -> assertThat(new String(b, StandardCharsets.UTF_8))
        .isEqualTo("mine"));
  }

  @Test
  void create_manyParts_memoryBoundedByParallelismPlusOneBuffers() throws IOException {
    store.close();
    store = open(prefix, 2);
    byte[] content = random(41 * MIB, 8); // 9 parts of 5 MiB through 2 parallel uploads
    MultipartSink sink = (MultipartSink) store.create("data/many.bin");
    write(sink, content, 256 * 1024);
    sink.finish();
    assertThat(sink.buffersAllocated()).as("part buffers allocated for 9 parts").isBetween(1, 3);
    try (ReadableByteChannel in = store.open("data/many.bin")) {
      assertThat(readAll(in, 1 << 20)).isEqualTo(content);
    }
  }

  @Test
  void partSizes_doubleEvery1000Parts_soTenThousandPartsHoldTerabytes() {
    long base = 8L << 20;
    assertThat(MultipartSink.partSize(base, 1)).isEqualTo(base);
    assertThat(MultipartSink.partSize(base, 1000)).isEqualTo(base);
    assertThat(MultipartSink.partSize(base, 1001)).isEqualTo(2 * base);
    assertThat(MultipartSink.partSize(base, 10_000)).isEqualTo(1 << 30); // capped at 1 GiB
    long total = 0;
    for (int part = 1; part <= 10_000; part++) {
      total += MultipartSink.partSize(base, part);
    }
    assertThat(total).as("largest object in 10,000 parts: ~4 TiB").isGreaterThan(3L << 40);
  }

  @Test
  void rangedOpen_readsExactlyTheRange_acrossParts_andStopsAtTheObjectsEnd() throws IOException {
    byte[] data = random(11 * 1024 * 1024 + 7, 9);
    try (ObjectSink sink = store.create("data/pack")) {
      sink.write(ByteBuffer.wrap(data));
      sink.finish();
    }
    store.sync(List.of("data/pack"));
    long[][] ranges = {{0, 10}, {5 * 1024 * 1024 - 3, 10}, {7, 7 * 1024 * 1024}, {data.length - 5, 100}, {data.length + 10, 5},
        {123, 0}};
    for (long[] r : ranges) {
      int from = (int) Math.min(r[0], data.length);
      int to = (int) Math.min(r[0] + r[1], data.length);
      try (ReadableByteChannel in = store.open("data/pack", r[0], r[1])) {
        assertThat(readAll(in, 4096)).as("bytes %d+%d", r[0], r[1]).isEqualTo(Arrays.copyOfRange(data, from, to));
      }
    }
    assertThatThrownBy(() -> store.open("data/nope", 5, 0)).isInstanceOf(NoSuchFileException.class);
    assertThatThrownBy(() -> store.open("data/nope", 5, 10)).isInstanceOf(NoSuchFileException.class);
  }
}
