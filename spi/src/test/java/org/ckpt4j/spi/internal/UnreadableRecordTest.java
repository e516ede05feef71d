package org.ckpt4j.spi.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.ckpt4j.spi.internal.ObjectCheckpointStoreTest.read;
import static org.ckpt4j.spi.internal.ObjectCheckpointStoreTest.write;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.CheckpointWriter;
import org.ckpt4j.spi.CorruptCheckpointException;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.backend.ForwardingObjectStore;
import org.ckpt4j.spi.backend.ObjectStore;
import org.ckpt4j.spi.mem.InMemoryObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * R4.5: an unreadable commit record (failing its checksum, its parser's limits or its decoding, or oversized) is
 * never a reason to delete data; with keepPrevious the previous checkpoint is the fallback (R4.3); an open that
 * fails releases what it claimed; a read-only store's previous() is empty when its data is gone.
 */
class UnreadableRecordTest {
  private static final Duration LEASE = Duration.ofMillis(300);
  private final InMemoryObjectStore objects = new InMemoryObjectStore(URI.create("mem:unreadable"));

  @AfterEach
  void noLeaks() {
    objects.checkNoOpenStreams();
  }

  private CheckpointStore open(boolean keepPrevious) throws IOException {
    return open(objects, keepPrevious, LEASE);
  }

  private static CheckpointStore open(ObjectStore objects, boolean keepPrevious, Duration lease)
      throws IOException {
    return CheckpointStores.overObjects(unclosable(objects),
        StoreOptions.forOwner("run-a").keepPrevious(keepPrevious).leaseTimeout(lease).build());
  }

  private static ObjectStore unclosable(ObjectStore objects) {
    return new ForwardingObjectStore(objects) {
      @Override
      public void close() {}
    };
  }

  private CheckpointStore reader(boolean keepPrevious) throws IOException {
    return CheckpointStores.overObjects(unclosable(objects),
        StoreOptions.readOnly().keepPrevious(keepPrevious).build());
  }

  private String newestLogKey() throws IOException {
    List<String> log = objects.list("log/");
    return log.get(log.size() - 1);
  }

  /** The newest record that is a commit. */
  private String newestCommitKey() throws IOException {
    List<String> log = objects.list("log/");
    for (int i = log.size() - 1; i >= 0; i--) {
      if (new String(objects.get(log.get(i)).orElseThrow(), StandardCharsets.UTF_8).contains("\"type\":\"commit\"")) {
        return log.get(i);
      }
    }
    throw new AssertionError("no commit record in " + log);
  }

  /** Inserts {@code member} (with its trailing comma) right after the record's opening brace. */
  private static UnaryOperator<byte[]> insert(String member) {
    return raw -> ("{" + member + new String(raw, 1, raw.length - 1, StandardCharsets.UTF_8))
        .getBytes(StandardCharsets.UTF_8);
  }

  /** Changes the parsed record and seals it again: a valid checksum over invalid content. */
  @SuppressWarnings("unchecked")
  private static UnaryOperator<byte[]> resealed(java.util.function.Consumer<Map<String, Object>> change) {
    return raw -> {
      Map<String, Object> rec = new TreeMap<>((Map<String, Object>) Json.parse(raw));
      change.accept(rec);
      return Records.sealed(rec);
    };
  }

  @SuppressWarnings("unchecked")
  static Stream<Arguments> damages() {
    return Stream.of(
        Arguments.of("checksum: one character of the time changed", (UnaryOperator<byte[]>) raw -> {
          String s = new String(raw, StandardCharsets.UTF_8);
          int z = s.indexOf("Z\",\"token\"");
          char c = s.charAt(z - 1);
          return (s.substring(0, z - 1) + (c == '1' ? '2' : '1') + s.substring(z)).getBytes(StandardCharsets.UTF_8);
        }),
        Arguments.of("nesting depth", insert("\"deep\":" + "[".repeat(200) + "]".repeat(200) + ",")),
        Arguments.of("bad number", insert("\"big\":123456789012345678901234567890,")),
        Arguments.of("duplicate key", insert("\"type\":\"commit\",")),
        Arguments.of("oversized (17 MiB)", (UnaryOperator<byte[]>) raw -> {
          byte[] big = new byte[Records.MAX_RECORD_BYTES + (1 << 20)];
          java.util.Arrays.fill(big, (byte) ' ');
          System.arraycopy(raw, 0, big, 0, raw.length);
          return big;
        }),
        Arguments.of("valid checksum, metadata of the wrong type", resealed(r -> r.put("metadata", 5L))),
        Arguments.of("valid checksum, metadata value not a string", resealed(r -> r.put("metadata", Map.of("k", 5L)))),
        Arguments.of("valid checksum, id of the wrong type", resealed(r -> r.put("id", 7L))),
        Arguments.of("valid checksum, blobs missing", resealed(r -> r.remove("blobs"))),
        Arguments.of("valid checksum, blob size missing", resealed(r -> {
          Map<String, Object> blob = new TreeMap<>((Map<String, Object>) ((List<Object>) r.get("blobs")).get(0));
          blob.remove("size");
          r.put("blobs", List.of(blob));
        })),
        Arguments.of("valid checksum, time not a time", resealed(r -> r.put("time", "yesterday"))),
        Arguments.of("valid checksum, base of the wrong type", resealed(r -> r.put("base", "x"))),
        Arguments.of("valid checksum, unknown type", resealed(r -> r.put("type", "comit"))));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("damages")
  void unreadableLatestCommit_withoutKeepPrevious_openDeletesNoData_andARepairRestoresIt(String damage,
      UnaryOperator<byte[]> damaging) throws IOException {
    try (CheckpointStore store = open(false)) {
      write(store, Map.of("a", "one"));
    }
    List<String> data = objects.list("data/");
    String record = newestCommitKey();
    byte[] good = objects.get(record).orElseThrow();
    objects.put(record, damaging.apply(good));

    List<Integer> logSizes = new java.util.ArrayList<>();
    for (int attempt = 0; attempt < 3; attempt++) { // a refused run retried: each open releases the backup dir
      long start = System.nanoTime();
      Duration lease = Duration.ofSeconds(3);
      try (CheckpointStore store = open(objects, false, lease)) {
        assertThat(Duration.ofNanos(System.nanoTime() - start)).as("open after a released claim")
            .isLessThan(Duration.ofSeconds(2));
        assertThatThrownBy(store::latest).isInstanceOf(CorruptCheckpointException.class)
            .satisfies(e -> assertThat(((CorruptCheckpointException) e).objectName()).contains(record));
        assertThat(store.previous()).isEmpty();
      }
      assertThat(objects.list("data/")).as("data after open and close").isEqualTo(data);
      assertThat(objects.list("lease/")).isEmpty();
      logSizes.add(objects.list("log/").size());
    }
    assertThat(logSizes).as("log records after each attempt: restarts leave no trail").containsOnly(logSizes.get(0));

    objects.put(record, good);
    try (CheckpointStore store = open(false)) {
      assertThat(read(store.latest().orElseThrow(), "a")).isEqualTo("one");
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("damages")
  void unreadableLatestCommit_withKeepPrevious_fallsBackAndKeepsItsData_untilANewerCommitSupersedesIt(
      String damage, UnaryOperator<byte[]> damaging) throws IOException {
    try (CheckpointStore store = open(true)) {
      write(store, Map.of("a", "one"));
      write(store, Map.of("a", "two"));
      write(store, Map.of("a", "three"));
    }
    List<String> data = objects.list("data/");
    assertThat(data).hasSize(2);
    String record = newestCommitKey();
    byte[] good = objects.get(record).orElseThrow();
    objects.put(record, damaging.apply(good));

    try (CheckpointStore store = open(true)) {
      assertThat(objects.list("data/")).as("data after open").isEqualTo(data);
      assertThatThrownBy(store::latest).isInstanceOf(CorruptCheckpointException.class);
      assertThat(read(store.previous().orElseThrow(), "a")).isEqualTo("two");
    }
    try (CheckpointStore reader = reader(true)) {
      assertThatThrownBy(reader::latest).isInstanceOf(CorruptCheckpointException.class);
      assertThat(read(reader.previous().orElseThrow(), "a")).isEqualTo("two");
    }
    assertThat(objects.list("data/")).as("data after close").isEqualTo(data);

    try (CheckpointStore store = open(true)) {
      assertThat(read(store.previous().orElseThrow(), "a")).isEqualTo("two");
      write(store, Map.of("a", "four"));
      assertThat(read(store.latest().orElseThrow(), "a")).isEqualTo("four");
      assertThat(read(store.previous().orElseThrow(), "a")).isEqualTo("two");
    }
    assertThat(objects.list("data/")).as("four and its previous, two: three was superseded").hasSize(2);
    try (CheckpointStore reader = reader(true)) {
      assertThat(read(reader.latest().orElseThrow(), "a")).isEqualTo("four");
      assertThat(read(reader.previous().orElseThrow(), "a")).isEqualTo("two");
    }
  }

  /** A claim or release record on top that fails verification may hide the latest commit below it. */
  @Test
  void unreadableReleaseRecordOnTop_keepsTheCommitBelowItAndItsData() throws IOException {
    try (CheckpointStore store = open(false)) {
      write(store, Map.of("a", "one"));
    }
    String release = newestLogKey();
    byte[] good = objects.get(release).orElseThrow();
    objects.put(release, insert("\"type\":\"release\",").apply(good));
    List<String> data = objects.list("data/");
    List<String> log = objects.list("log/");
    try (CheckpointStore store = open(false)) {
      assertThatThrownBy(store::latest).isInstanceOf(CorruptCheckpointException.class);
    }
    assertThat(objects.list("data/")).isEqualTo(data);
    assertThat(objects.list("log/")).containsAll(log);
    objects.put(release, good);
    try (CheckpointStore store = open(false)) {
      assertThat(read(store.latest().orElseThrow(), "a")).isEqualTo("one");
    }
  }

  /** Item 8: no more than a record's limit (plus one byte) is read of an object in a log slot, however large. */
  @Test
  void hugeObjectInTheNewestLogSlot_isACorruptRecord_readOnlyUpToTheLimit() throws IOException {
    try (CheckpointStore store = open(false)) {
      write(store, Map.of("a", "one"));
    }
    String record = newestCommitKey();
    byte[] good = objects.get(record).orElseThrow();
    byte[] huge = new byte[64 << 20];
    System.arraycopy(good, 0, huge, 0, good.length);
    objects.put(record, huge);
    huge = null;
    AtomicLong mostInOneRead = new AtomicLong();
    ObjectStore counting = new ForwardingObjectStore(objects) {
      @Override
      public java.util.Optional<byte[]> get(String key) throws IOException {
        java.util.Optional<byte[]> r = super.get(key);
        if (key.startsWith("log/")) {
          r.ifPresent(b -> mostInOneRead.accumulateAndGet(b.length, Math::max));
        }
        return r;
      }

      @Override
      public ReadableByteChannel open(String key, long offset, long length) throws IOException {
        ReadableByteChannel in = super.open(key, offset, length);
        return !key.startsWith("log/") ? in : new ReadableByteChannel() {
          private long read;

          @Override
          public int read(ByteBuffer dst) throws IOException {
            int n = in.read(dst);
            read += Math.max(0, n);
            mostInOneRead.accumulateAndGet(read, Math::max);
            return n;
          }

          @Override
          public boolean isOpen() {
            return in.isOpen();
          }

          @Override
          public void close() throws IOException {
            in.close();
          }
        };
      }
    };
    List<String> data = objects.list("data/");
    try (CheckpointStore store = open(counting, false, LEASE)) {
      assertThatThrownBy(store::latest).isInstanceOf(CorruptCheckpointException.class)
          .satisfies(e -> assertThat(((CorruptCheckpointException) e).objectName()).contains(record));
    }
    try (CheckpointStore reader = CheckpointStores.overObjects(unclosable(counting),
        StoreOptions.readOnly().build())) {
      assertThatThrownBy(reader::latest).isInstanceOf(CorruptCheckpointException.class);
    }
    assertThat(objects.list("data/")).isEqualTo(data);
    assertThat(mostInOneRead.get()).as("the most bytes read of one log object at a time")
        .isEqualTo(Records.MAX_RECORD_BYTES + 1L);
    objects.put(record, good);
    try (CheckpointStore store = open(false)) {
      assertThat(read(store.latest().orElseThrow(), "a")).isEqualTo("one");
    }
  }

  @Test
  void openThatFailsAfterClaiming_releasesTheClaim_soTheNextOpenDoesNotWait() throws IOException {
    Duration lease = Duration.ofSeconds(3);
    try (CheckpointStore store = open(objects, false, lease)) {
      write(store, Map.of("a", "one"));
    }
    AtomicBoolean failDataListing = new AtomicBoolean(true);
    ObjectStore failing = new ForwardingObjectStore(objects) {
      @Override
      public List<String> list(String prefix) throws IOException {
        if (prefix.equals("data/") && failDataListing.getAndSet(false)) {
          throw new Injected();
        }
        return super.list(prefix);
      }
    };
    assertThatThrownBy(() -> open(failing, false, lease)).isInstanceOf(Injected.class);
    assertThat(objects.list("lease/")).as("leases left by the failed open").isEmpty();
    long start = System.nanoTime();
    try (CheckpointStore store = open(objects, false, lease)) {
      assertThat(Duration.ofNanos(System.nanoTime() - start)).as("the next open's wait").isLessThan(
          Duration.ofSeconds(1));
      assertThat(read(store.latest().orElseThrow(), "a")).isEqualTo("one");
    }
  }

  private static final class Injected extends IOException {
    Injected() {
      super("injected failure");
    }
  }

  /** Item 12: without keepPrevious the superseded commit's record stays a while, but its data is gone. */
  @Test
  void readOnlyPrevious_isEmptyWhenTheWriterKeptNoPrevious() throws IOException {
    try (CheckpointStore store = open(false)) {
      write(store, Map.of("a", "one"));
      write(store, Map.of("a", "two"));
      try (CheckpointStore reader = reader(false)) {
        assertThat(read(reader.latest().orElseThrow(), "a")).isEqualTo("two");
        assertThat(reader.previous()).isEmpty();
      }
    }
    try (CheckpointStore store = open(true)) {
      write(store, Map.of("a", "three"));
      try (CheckpointStore reader = reader(false)) {
        assertThat(read(reader.previous().orElseThrow(), "a")).isEqualTo("two");
      }
    }
  }

  /** A commit whose record readers would refuse as oversized is refused before anything is published. */
  @Test
  void commitWhoseRecordWouldBeOversized_isRefused_andThePreviousStaysLatest() throws IOException {
    try (CheckpointStore store = open(false)) {
      write(store, Map.of("a", "one"));
      Map<String, String> metadata = new java.util.HashMap<>();
      try (CheckpointWriter w = store.begin()) {
        for (int i = 0; i < 70_000; i++) { // ~265 bytes of record per blob: more than 16 MiB
          w.newBlob("layer" + i + "/" + "w".repeat(180) + ".npy").close();
        }
        assertThatThrownBy(() -> w.commit(metadata)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("70000 blobs");
      }
      assertThat(read(store.latest().orElseThrow(), "a")).isEqualTo("one");
    }
    try (CheckpointStore reader = reader(false)) {
      assertThat(read(reader.latest().orElseThrow(), "a")).isEqualTo("one");
    }
  }
}
