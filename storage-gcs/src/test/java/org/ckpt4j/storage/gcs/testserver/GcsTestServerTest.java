package org.ckpt4j.storage.gcs.testserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.gax.paging.Page;
import com.google.api.gax.retrying.RetrySettings;
import com.google.cloud.NoCredentials;
import com.google.cloud.ReadChannel;
import com.google.cloud.WriteChannel;
import com.google.cloud.storage.Blob;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Bucket;
import com.google.cloud.storage.BucketInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.Storage.BlobListOption;
import com.google.cloud.storage.Storage.BlobSourceOption;
import com.google.cloud.storage.Storage.BlobTargetOption;
import com.google.cloud.storage.Storage.BlobWriteOption;
import com.google.cloud.storage.StorageException;
import com.google.cloud.storage.StorageOptions;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Checks the test server against documented GCS behaviour, driven by the real {@code google-cloud-storage}
 * client over its HTTP transport.
 */
class GcsTestServerTest {
  private static final String BUCKET = "server-test";
  private static GcsTestServer server;
  private static Storage storage;

  @BeforeAll
  static void start() throws Exception {
    server = GcsTestServer.start();
    server.createBucket(BUCKET);
    storage = client(server, 4);
  }

  @AfterAll
  static void stop() throws Exception {
    storage.close();
    server.close();
  }

  @AfterEach
  void clear() {
    server.clearFaults();
  }

  /** A client as tests use it: no credentials, fast bounded retries. */
  static Storage client(GcsTestServer server, int attempts) {
    return StorageOptions.http().setHost(server.host()).setProjectId("test-project")
        .setCredentials(NoCredentials.getInstance())
        .setRetrySettings(RetrySettings.newBuilder().setMaxAttempts(attempts)
            .setInitialRetryDelayDuration(Duration.ofMillis(10)).setMaxRetryDelayDuration(Duration.ofMillis(50))
            .setRetryDelayMultiplier(2).setTotalTimeoutDuration(Duration.ofSeconds(20)).build())
        .build().getService();
  }

  private static byte[] random(int size, long seed) {
    byte[] b = new byte[size];
    new Random(seed).nextBytes(b);
    return b;
  }

  private static byte[] readAll(ReadChannel ch) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer buf = ByteBuffer.allocate(64 * 1024);
    while (ch.read(buf) >= 0) {
      buf.flip();
      out.write(buf.array(), 0, buf.limit());
      buf.clear();
    }
    return out.toByteArray();
  }

  @Test
  void buckets_getAndCreate_createTwiceIsConflict() {
    assertThat(storage.get(BUCKET)).extracting(Bucket::getName).isEqualTo(BUCKET);
    assertThat(storage.get("no-such-bucket")).isNull();
    Bucket created = storage.create(BucketInfo.of("made-by-client"));
    assertThat(created.getName()).isEqualTo("made-by-client");
    assertThatThrownBy(() -> storage.create(BucketInfo.of("made-by-client")))
        .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.getCode()).isEqualTo(409));
  }

  @Test
  void multipartCreate_thenMetadataAndMedia_roundTrip() {
    byte[] data = random(100_000, 1);
    Blob blob = storage.create(BlobInfo.newBuilder(BUCKET, "rt/a.bin").setMetadata(Map.of("k", "v")).build(),
        data, BlobTargetOption.doesNotExist());
    assertThat(blob.getGeneration()).isPositive();
    assertThat(blob.getMetageneration()).isEqualTo(1L);
    assertThat(blob.getSize()).isEqualTo(data.length);
    Blob got = storage.get(BlobId.of(BUCKET, "rt/a.bin"));
    assertThat(got.getGeneration()).isEqualTo(blob.getGeneration());
    assertThat(got.getMetadata()).containsEntry("k", "v");
    assertThat(got.getCrc32cToHexString()).isEqualTo(blob.getCrc32cToHexString());
    assertThat(storage.readAllBytes(BlobId.of(BUCKET, "rt/a.bin"))).isEqualTo(data);
    assertThat(server.requestLog()).anyMatch(l -> l.contains("uploadType=multipart"));
  }

  @Test
  void doesNotExist_twice_secondIs412AndFirstContentStays() {
    BlobInfo info = BlobInfo.newBuilder(BUCKET, "dne/x").build();
    storage.create(info, "first".getBytes(StandardCharsets.UTF_8), BlobTargetOption.doesNotExist());
    assertThatThrownBy(() -> storage.create(info, "second".getBytes(StandardCharsets.UTF_8),
        BlobTargetOption.doesNotExist()))
        .isInstanceOfSatisfying(StorageException.class, e -> {
          assertThat(e.getCode()).isEqualTo(412);
          assertThat(e.getReason()).isEqualTo("conditionNotMet");
        });
    assertThat(storage.readAllBytes(BlobId.of(BUCKET, "dne/x"))).asString(StandardCharsets.UTF_8)
        .isEqualTo("first");
  }

  @Test
  void generationPreconditions_matchAndNotMatch() {
    Blob v1 = storage.create(BlobInfo.newBuilder(BUCKET, "gen/x").build(), new byte[] {1});
    Blob v2 = storage.create(BlobInfo.newBuilder(BUCKET, "gen/x").build(), new byte[] {2},
        BlobTargetOption.generationMatch(v1.getGeneration()));
    assertThat(v2.getGeneration()).isGreaterThan(v1.getGeneration());
    // stale generation
    assertThatThrownBy(() -> storage.create(BlobInfo.newBuilder(BUCKET, "gen/x").build(), new byte[] {3},
        BlobTargetOption.generationMatch(v1.getGeneration())))
        .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.getCode()).isEqualTo(412));
    assertThatThrownBy(() -> storage.create(BlobInfo.newBuilder(BUCKET, "gen/x").build(), new byte[] {3},
        BlobTargetOption.generationNotMatch(v2.getGeneration())))
        .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.getCode()).isEqualTo(412));
    storage.create(BlobInfo.newBuilder(BUCKET, "gen/x").build(), new byte[] {4},
        BlobTargetOption.generationNotMatch(v1.getGeneration()));
    assertThat(storage.readAllBytes(BlobId.of(BUCKET, "gen/x"))).containsExactly(4);
    // stale generation on delete: 412 and nothing deleted
    assertThatThrownBy(() -> storage.delete(BlobId.of(BUCKET, "gen/x"),
        BlobSourceOption.generationMatch(v1.getGeneration())))
        .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.getCode()).isEqualTo(412));
    assertThat(storage.get(BlobId.of(BUCKET, "gen/x"))).isNotNull();
  }

  @Test
  void metagenerationMatch_onPatch_sentAsPostWithMethodOverride() {
    Blob v1 = storage.create(BlobInfo.newBuilder(BUCKET, "meta/x").build(), new byte[] {1});
    Blob patched = storage.update(v1.toBuilder().setMetadata(Map.of("a", "1")).build(),
        Storage.BlobTargetOption.metagenerationMatch());
    assertThat(patched.getMetageneration()).isEqualTo(2L);
    assertThat(patched.getGeneration()).isEqualTo(v1.getGeneration());
    assertThat(patched.getMetadata()).containsEntry("a", "1");
    // v1 carries metageneration 1, which is stale now
    assertThatThrownBy(() -> storage.update(v1.toBuilder().setMetadata(Map.of("a", "2")).build(),
        Storage.BlobTargetOption.metagenerationMatch()))
        .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.getCode()).isEqualTo(412));
  }

  @Test
  void race_eightThreadsCreateOneName_exactlyOneWinnerEveryRound() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      for (int round = 0; round < 15; round++) {
        String name = "race/r" + round;
        CountDownLatch go = new CountDownLatch(1);
        List<Future<Boolean>> results = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
          byte[] content = ("writer-" + t).getBytes(StandardCharsets.UTF_8);
          Callable<Boolean> attempt = () -> {
            go.await();
            try {
              storage.create(BlobInfo.newBuilder(BUCKET, name).build(), content, BlobTargetOption.doesNotExist());
              return true;
            } catch (StorageException e) {
              if (e.getCode() == 412) {
                return false;
              }
              throw e;
            }
          };
          results.add(pool.submit(attempt));
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
  void resumableUpload_severalMiBInChunks_roundTripsAndUsesContentRange() throws Exception {
    byte[] data = random(5 * 1024 * 1024 + 12345, 2);
    server.resetCounters();
    try (WriteChannel w = storage.writer(BlobInfo.newBuilder(BUCKET, "big/blob").build(),
        BlobWriteOption.doesNotExist())) {
      w.setChunkSize(1024 * 1024);
      for (int off = 0; off < data.length; off += 100_000) {
        w.write(ByteBuffer.wrap(data, off, Math.min(100_000, data.length - off)));
      }
      assertThat(server.objectNames(BUCKET)).doesNotContain("big/blob");
    }
    assertThat(server.objectNames(BUCKET)).contains("big/blob");
    assertThat(storage.readAllBytes(BlobId.of(BUCKET, "big/blob"))).isEqualTo(data);
    assertThat(server.requestLog()).anyMatch(l -> l.startsWith("POST") && l.contains("uploadType=resumable"));
    assertThat(server.requestLog().stream().filter(l -> l.startsWith("PUT")).count()).isGreaterThanOrEqualTo(5);
  }

  @Test
  void resumableUpload_doesNotExistOnExistingName_failsAt412WhenFinalizing() throws Exception {
    storage.create(BlobInfo.newBuilder(BUCKET, "res/taken").build(), new byte[] {9});
    WriteChannel w = storage.writer(BlobInfo.newBuilder(BUCKET, "res/taken").build(),
        BlobWriteOption.doesNotExist());
    w.write(ByteBuffer.wrap(new byte[] {1, 2, 3}));
    assertThatThrownBy(w::close).satisfies(e -> {
      StorageException se = e instanceof StorageException ? (StorageException) e
          : (StorageException) e.getCause();
      assertThat(se.getCode()).isEqualTo(412);
    });
    assertThat(storage.readAllBytes(BlobId.of(BUCKET, "res/taken"))).containsExactly(9);
  }

  @Test
  void resumableUpload_connectionDroppedMidChunk_clientResumesFromPersistedOffset() throws Exception {
    byte[] data = random(3 * 1024 * 1024 + 7, 3);
    server.failRequest(2, Fault.DROP_MID_UPLOAD, l -> l.startsWith("PUT"));
    try (WriteChannel w = storage.writer(BlobInfo.newBuilder(BUCKET, "drop/blob").build(),
        BlobWriteOption.doesNotExist())) {
      w.setChunkSize(512 * 1024);
      w.write(ByteBuffer.wrap(data));
    }
    assertThat(server.faultPending()).isFalse();
    assertThat(storage.readAllBytes(BlobId.of(BUCKET, "drop/blob"))).isEqualTo(data);
  }

  @Test
  void rangedReads_206Partial_416PastEnd_generationPinned() throws Exception {
    byte[] data = random(300_000, 4);
    Blob blob = storage.create(BlobInfo.newBuilder(BUCKET, "range/x").build(), data);
    try (ReadChannel r = storage.reader(blob.getBlobId())) {
      r.seek(1000);
      r.limit(51_000);
      assertThat(readAll(r)).isEqualTo(java.util.Arrays.copyOfRange(data, 1000, 51_000));
    }
    try (ReadChannel r = storage.reader(blob.getBlobId())) {
      r.setChunkSize(64 * 1024);
      r.seek(data.length); // nothing left: the server answers 416, the client reports end of stream
      assertThat(readAll(r)).isEmpty();
    }
    try (ReadChannel r = storage.reader(blob.getBlobId())) {
      assertThat(readAll(r)).isEqualTo(data);
    }
    storage.create(BlobInfo.newBuilder(BUCKET, "range/x").build(), new byte[] {1});
    // the old generation is gone (no versioning): a read pinned to it finds nothing
    assertThatThrownBy(() -> storage.readAllBytes(BlobId.of(BUCKET, "range/x", blob.getGeneration())))
        .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.getCode()).isEqualTo(404));
  }

  @Test
  void emptyObject_createAndRead() throws Exception {
    storage.create(BlobInfo.newBuilder(BUCKET, "empty/x").build(), new byte[0], BlobTargetOption.doesNotExist());
    assertThat(storage.readAllBytes(BlobId.of(BUCKET, "empty/x"))).isEmpty();
    try (ReadChannel r = storage.reader(BlobId.of(BUCKET, "empty/x"))) {
      assertThat(readAll(r)).isEmpty();
    }
    try (WriteChannel w = storage.writer(BlobInfo.newBuilder(BUCKET, "empty/y").build(),
        BlobWriteOption.doesNotExist())) {
      assertThat(w.isOpen()).isTrue();
    }
    assertThat(storage.get(BlobId.of(BUCKET, "empty/y")).getSize()).isZero();
  }

  @Test
  void list_prefixDelimiterAndPaging() {
    for (int i = 0; i < 25; i++) {
      storage.create(BlobInfo.newBuilder(BUCKET, String.format("list/a/%02d", i)).build(), new byte[] {1});
    }
    storage.create(BlobInfo.newBuilder(BUCKET, "list/b/1").build(), new byte[] {1});
    storage.create(BlobInfo.newBuilder(BUCKET, "list/c").build(), new byte[] {1});
    storage.create(BlobInfo.newBuilder(BUCKET, "lisz").build(), new byte[] {1});

    Page<Blob> first = storage.list(BUCKET, BlobListOption.prefix("list/a/"), BlobListOption.pageSize(10));
    List<String> firstNames = new ArrayList<>();
    first.getValues().forEach(b -> firstNames.add(b.getName()));
    assertThat(firstNames).hasSize(10).startsWith("list/a/00").endsWith("list/a/09");
    assertThat(first.hasNextPage()).isTrue();
    List<String> all = new ArrayList<>();
    first.iterateAll().forEach(b -> all.add(b.getName()));
    assertThat(all).hasSize(25).isSorted().endsWith("list/a/24");

    List<String> dir = new ArrayList<>();
    storage.list(BUCKET, BlobListOption.prefix("list/"), BlobListOption.currentDirectory())
        .iterateAll().forEach(b -> dir.add(b.isDirectory() ? "dir:" + b.getName() : b.getName()));
    assertThat(dir).containsExactlyInAnyOrder("dir:list/a/", "dir:list/b/", "list/c");
  }

  @Test
  void delete_trueThenFalse() {
    storage.create(BlobInfo.newBuilder(BUCKET, "del/x").build(), new byte[] {1});
    assertThat(storage.delete(BlobId.of(BUCKET, "del/x"))).isTrue();
    assertThat(storage.delete(BlobId.of(BUCKET, "del/x"))).isFalse();
    assertThat(storage.get(BlobId.of(BUCKET, "del/x"))).isNull();
  }

  @Test
  void fault_503OnNthRequest_idempotentCallIsRetried() {
    storage.create(BlobInfo.newBuilder(BUCKET, "f503/x").build(), new byte[] {5});
    server.failRequest(1, Fault.SERVICE_UNAVAILABLE_BEFORE);
    assertThat(storage.readAllBytes(BlobId.of(BUCKET, "f503/x"))).containsExactly(5);
    assertThat(server.faultPending()).isFalse();
  }

  @Test
  void fault_responseLostAfterCreate_retryOfDoesNotExistGets412() {
    server.failRequest(1, Fault.DROP_AFTER);
    BlobInfo info = BlobInfo.newBuilder(BUCKET, "lost/x").build();
    assertThatThrownBy(() -> storage.create(info, "mine".getBytes(StandardCharsets.UTF_8),
        BlobTargetOption.doesNotExist()))
        .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.getCode()).isEqualTo(412));
    // the first attempt won: the object holds this writer's content
    assertThat(storage.readAllBytes(BlobId.of(BUCKET, "lost/x"))).asString(StandardCharsets.UTF_8)
        .isEqualTo("mine");
  }

  @Test
  void fault_responseLostAfterResumableFinalize_clientSeesSuccess() throws Exception {
    byte[] data = random(700_000, 5);
    server.failRequest(1, Fault.SERVICE_UNAVAILABLE_AFTER, l -> l.startsWith("PUT"));
    try (WriteChannel w = storage.writer(BlobInfo.newBuilder(BUCKET, "lostfinal/x").build(),
        BlobWriteOption.doesNotExist())) {
      w.setChunkSize(1024 * 1024); // one PUT: the finalizing one
      w.write(ByteBuffer.wrap(data));
    }
    assertThat(server.faultPending()).isFalse();
    assertThat(storage.readAllBytes(BlobId.of(BUCKET, "lostfinal/x"))).isEqualTo(data);
  }

  @Test
  void denyAll_403_isReportedWithCode() {
    server.denyAll(403);
    assertThatThrownBy(() -> storage.get(BlobId.of(BUCKET, "any")))
        .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.getCode()).isEqualTo(403));
  }

  @Test
  void throttle_429_retriedThenReported() {
    server.throttle(429);
    long before = server.requests();
    assertThatThrownBy(() -> storage.get(BlobId.of(BUCKET, "any")))
        .isInstanceOfSatisfying(StorageException.class, e -> assertThat(e.getCode()).isEqualTo(429));
    assertThat(server.requests() - before).isEqualTo(4); // the client's 4 attempts
  }
}
