package org.ckpt4j.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.ckpt4j.spi.backend.ForwardingObjectStore;
import org.ckpt4j.spi.backend.ObjectStore;
import org.ckpt4j.spi.mem.InMemoryObjectStore;
import org.junit.jupiter.api.Test;

class AsyncCommitterTest {
  private final InMemoryObjectStore objects = new InMemoryObjectStore(URI.create("mem:async"));

  private static ByteBuffer bytes(String s) {
    return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void latestMovesOnlyWhenTheBackgroundCommitIsDone() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicBoolean hold = new AtomicBoolean(true);
    ObjectStore slow = new ForwardingObjectStore(objects) {
      @Override
      public boolean putIfAbsent(String key, byte[] content) throws IOException {
        if (key.startsWith("log/") && hold.get() && new String(content, StandardCharsets.UTF_8).contains(
            "\"commit\"")) {
          try {
            release.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            throw new IOException(e);
          }
        }
        return super.putIfAbsent(key, content);
      }
    };
    try (CheckpointStore store = CheckpointStores.overObjects(slow,
        StoreOptions.forOwner("a").leaseTimeout(Duration.ofMillis(300)).build());
        AsyncCommitter async = new AsyncCommitter(store)) {
      async.submit(Map.of("w", bytes("one")), Map.of("epoch", "1"));
      assertThat(async.busy()).isTrue();
      assertThat(store.latest()).isEmpty(); // training goes on; nothing visible yet
      release.countDown();
      Checkpoint cp = async.await().orElseThrow();
      assertThat(store.latest().orElseThrow().id()).isEqualTo(cp.id());
      hold.set(false);
      async.submit(Map.of("w", bytes("two")), Map.of("epoch", "2"));
      async.submit(Map.of("w", bytes("three")), Map.of("epoch", "3")); // waits for "two" first
      assertThat(async.await().orElseThrow().metadata()).containsEntry("epoch", "3");
    }
  }

  @Test
  void aFailedBackgroundSave_isReportedByTheNextCall_andLatestStaysPut() throws Exception {
    AtomicBoolean fail = new AtomicBoolean();
    ObjectStore flaky = new ForwardingObjectStore(objects) {
      @Override
      public ObjectSink create(String key) throws IOException {
        if (fail.get()) {
          throw new IOException("disk on fire");
        }
        return super.create(key);
      }
    };
    try (CheckpointStore store = CheckpointStores.overObjects(flaky,
        StoreOptions.forOwner("a").leaseTimeout(Duration.ofMillis(300)).build())) {
      AsyncCommitter async = new AsyncCommitter(store);
      async.submit(Map.of("w", bytes("one")), Map.of());
      async.await();
      fail.set(true);
      async.submit(Map.of("w", bytes("two")), Map.of());
      assertThatThrownBy(() -> async.submit(Map.of("w", bytes("three")), Map.of()))
          .hasMessageContaining("disk on fire");
      assertThat(store.latest().orElseThrow().blobs()).containsEntry("w", 3L);
      async.close();
      assertThatThrownBy(() -> async.submit(Map.of(), Map.of())).isInstanceOf(IllegalStateException.class);
    }
  }
}
