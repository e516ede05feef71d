package org.ckpt4j.spi.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.CheckpointWriter;
import org.ckpt4j.spi.CorruptCheckpointException;
import org.ckpt4j.spi.FencedWriterException;
import org.ckpt4j.spi.ForeignContentException;
import org.ckpt4j.spi.SharedBackupDirException;
import org.ckpt4j.spi.StoreAccessException;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.SupersededCheckpointException;
import org.ckpt4j.spi.backend.ForwardingObjectStore;
import org.ckpt4j.spi.backend.ObjectStore;
import org.ckpt4j.spi.mem.InMemoryObjectStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The protocol over the reference in-memory objects; the TCK checks every rule in depth for every backend. */
class ObjectCheckpointStoreTest {
  private static final Duration LEASE = Duration.ofMillis(300);
  private final InMemoryObjectStore objects = new InMemoryObjectStore(URI.create("mem:test"));

  @AfterEach
  void noLeaks() {
    objects.checkNoOpenStreams();
  }

  private CheckpointStore open(String owner, boolean keepPrevious) throws IOException {
    return open(objects, owner, keepPrevious);
  }

  private static CheckpointStore open(ObjectStore objects, String owner, boolean keepPrevious) throws IOException {
    ObjectStore unclosable = new ForwardingObjectStore(objects) {
      @Override
      public void close() {}
    };
    return CheckpointStores.overObjects(unclosable,
        StoreOptions.forOwner(owner).keepPrevious(keepPrevious).leaseTimeout(LEASE).build());
  }

  /** A read-only store over the same objects (a writer does not read its own records again). */
  private CheckpointStore reader() throws IOException {
    return CheckpointStores.overObjects(new CountingReads(objects), StoreOptions.readOnly().build());
  }

  /** A store over objects that prefer packs of {@code packSize} bytes. */
  private CheckpointStore openWithPackSize(long packSize) throws IOException {
    ObjectStore sized = new ForwardingObjectStore(objects) {
      @Override
      public long packSize() {
        return packSize;
      }

      @Override
      public void close() {}
    };
    return CheckpointStores.overObjects(sized, StoreOptions.forOwner("run-a").leaseTimeout(LEASE).build());
  }

  @Test
  void packsTakeBlobsUntilTheyHoldTheBackendsPackSize_andABadPackSizeIsNamed() throws IOException {
    try (CheckpointStore store = openWithPackSize(100)) {
      write(store, new java.util.TreeMap<>(Map.of("a", "x".repeat(60), "b", "y".repeat(60), "c", "z".repeat(60))));
      List<String> packs = objects.list("data/");
      assertThat(packs).hasSize(2); // a and b (120 bytes, past 100), then c
      assertThat(objects.get(packs.get(0)).orElseThrow()).hasSize(120);
      assertThat(read(store.latest().orElseThrow(), "c")).isEqualTo("z".repeat(60));
    }
    assertThatThrownBy(() -> openWithPackSize(0)).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("packSize()").hasMessageContaining("mem:test").hasMessageContaining("returned pack size 0");
  }

  static Checkpoint write(CheckpointStore store, Map<String, String> blobs) throws IOException {
    try (CheckpointWriter w = store.begin()) {
      for (Map.Entry<String, String> e : blobs.entrySet()) {
        try (WritableByteChannel ch = w.newBlob(e.getKey())) {
          ch.write(ByteBuffer.wrap(e.getValue().getBytes(StandardCharsets.UTF_8)));
        }
      }
      return w.commit(Map.of("step", String.valueOf(blobs.hashCode())));
    }
  }

  static String read(Checkpoint cp, String name) throws IOException {
    try (ReadableByteChannel ch = cp.openBlob(name)) {
      return new String(Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  @Test
  void manyBlobs_arePackedIntoOneObject_andEachIsReadBackByItsRange() throws IOException {
    Map<String, String> blobs = new java.util.LinkedHashMap<>();
    for (int i = 0; i < 300; i++) {
      blobs.put("layer" + i + "/w.npy", "w" + i + "x".repeat(i));
    }
    blobs.put("empty", "");
    try (CheckpointStore store = open("run-a", false)) {
      write(store, blobs);
      assertThat(objects.list("data/")).hasSize(1).allMatch(k -> k.matches("data/[0-9a-f]{16}-[0-9a-f]{16}\\.pack-00000"));
      Checkpoint cp = store.latest().orElseThrow();
      for (Map.Entry<String, String> e : blobs.entrySet()) {
        assertThat(read(cp, e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
      }
    }
  }

  @Test
  void readBlobs_streamsEachPackOnce_inStorageOrder_skippingBlobsNotAsked_andVerifiesWhatIsLeftUnread()
      throws IOException {
    Map<String, String> blobs = new java.util.LinkedHashMap<>();
    for (int i = 0; i < 50; i++) {
      blobs.put("t" + i, "tensor " + i + " " + "y".repeat(i * 3));
    }
    java.util.concurrent.atomic.AtomicInteger opens = new java.util.concurrent.atomic.AtomicInteger();
    ObjectStore counting = new ForwardingObjectStore(objects) {
      @Override
      public ReadableByteChannel open(String key, long offset, long length) throws IOException {
        opens.incrementAndGet();
        return super.open(key, offset, length);
      }
    };
    try (CheckpointStore store = open(counting, "run-a", false)) {
      write(store, blobs);
      Checkpoint cp = store.latest().orElseThrow();
      List<String> asked = List.of("t40", "t3", "t17", "t4", "t49");
      List<String> order = new java.util.ArrayList<>();
      Map<String, String> got = new java.util.HashMap<>();
      cp.readBlobs(asked, (name, ch) -> {
        order.add(name);
        got.put(name, new String(Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8));
      });
      assertThat(opens).hasValue(1);
      assertThat(order).containsExactly("t3", "t4", "t17", "t40", "t49");
      asked.forEach(n -> assertThat(got.get(n)).isEqualTo(blobs.get(n)));
      // a reader that reads nothing of one blob still gets the others
      List<String> seen = new java.util.ArrayList<>();
      cp.readBlobs(List.of("t1", "t2"), (name, ch) -> {
        if (name.equals("t2")) {
          seen.add(new String(Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8));
        }
      });
      assertThat(seen).containsExactly(blobs.get("t2"));
      // a name given twice is handed over once, read correctly
      List<String> twice = new java.util.ArrayList<>();
      cp.readBlobs(List.of("t9", "t8", "t9"), (name, ch) -> twice.add(name + "=" + new String(
          Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8)));
      assertThat(twice).containsExactly("t8=" + blobs.get("t8"), "t9=" + blobs.get("t9"));
      assertThatThrownBy(() -> cp.readBlobs(List.of("t1", "nope"), (n, ch) -> { }))
          .isInstanceOf(java.util.NoSuchElementException.class).hasMessageContaining("nope");

      // a flipped byte in a blob the reader skips is still found
      String key = objects.list("data/").get(0);
      byte[] raw = objects.get(key).orElseThrow();
      byte[] t5 = blobs.get("t5").getBytes(StandardCharsets.UTF_8);
      int at = indexOf(raw, t5);
      raw[at + 2] ^= 0x20;
      objects.put(key, raw);
      assertThatThrownBy(() -> cp.readBlobs(List.of("t4", "t5", "t6"), (n, ch) -> { }))
          .isInstanceOf(CorruptCheckpointException.class).hasMessageContaining("CRC32");
      assertThat(read(cp, "t6")).isEqualTo(blobs.get("t6"));
    }
  }

  private static int indexOf(byte[] bytes, byte[] part) {
    for (int i = 0; i + part.length <= bytes.length; i++) {
      if (java.util.Arrays.equals(bytes, i, i + part.length, part, 0, part.length)) {
        return i;
      }
    }
    throw new AssertionError("not found");
  }

  /** A backend without ranged reads of its own: it inherits ObjectStore's skipping open(key, offset, length). */
  private static final class WholeReadsOnly implements ObjectStore {
    private final ObjectStore d;

    WholeReadsOnly(ObjectStore d) {
      this.d = d;
    }

    @Override
    public java.net.URI uri() {
      return d.uri();
    }

    @Override
    public ObjectSink create(String key) throws IOException {
      return d.create(key);
    }

    @Override
    public boolean putIfAbsent(String key, byte[] content) throws IOException {
      return d.putIfAbsent(key, content);
    }

    @Override
    public void put(String key, byte[] content) throws IOException {
      d.put(key, content);
    }

    @Override
    public java.util.Optional<byte[]> get(String key) throws IOException {
      return d.get(key);
    }

    @Override
    public ReadableByteChannel open(String key) throws IOException {
      return d.open(key);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
      return d.list(prefix);
    }

    @Override
    public void delete(String key) throws IOException {
      d.delete(key);
    }
  }

  @Test
  void backendWithoutRangedReads_readsPackedBlobsThroughTheDefault_andBadRangesAreRefused() throws IOException {
    Map<String, String> blobs = new java.util.LinkedHashMap<>();
    for (int i = 0; i < 40; i++) {
      blobs.put("b" + i, "blob " + i + "z".repeat(i * 500));
    }
    ObjectStore plain = new WholeReadsOnly(objects);
    try (CheckpointStore store = open(plain, "run-a", false)) {
      write(store, blobs);
      Checkpoint cp = store.latest().orElseThrow();
      for (Map.Entry<String, String> e : blobs.entrySet()) {
        assertThat(read(cp, e.getKey())).isEqualTo(e.getValue());
      }
      Map<String, String> got = new java.util.HashMap<>();
      cp.readBlobs(List.of("b39", "b1", "b20"), (n, ch) -> got.put(n, new String(
          Channels.newInputStream(ch).readAllBytes(), StandardCharsets.UTF_8)));
      assertThat(got).containsOnlyKeys("b39", "b1", "b20").containsEntry("b20", blobs.get("b20"));
      String pack = objects.list("data/").get(0);
      try (ReadableByteChannel past = plain.open(pack, 1L << 40, 10)) {
        assertThat(past.read(ByteBuffer.allocate(10))).isEqualTo(-1); // past the end: nothing, no error
      }
      assertThatThrownBy(() -> plain.open(pack, -1, 10)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(pack);
      assertThatThrownBy(() -> objects.open(pack, 0, -1)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> plain.open("data/nope", 5, 10)).isInstanceOf(java.nio.file.NoSuchFileException.class);
    }
  }

  @Test
  void blobsOpenAtTheSameTime_goToSeparatePacks_andAFullPackTakesNoMore() throws IOException {
    byte[] big = new byte[1 << 20];
    big[big.length - 1] = 7;
    try (CheckpointStore store = openWithPackSize(big.length)) {
      try (CheckpointWriter w = store.begin()) {
        WritableByteChannel a = w.newBlob("a");
        WritableByteChannel b = w.newBlob("b");
        a.write(ByteBuffer.wrap("aaa".getBytes(StandardCharsets.UTF_8)));
        b.write(ByteBuffer.wrap("bb".getBytes(StandardCharsets.UTF_8)));
        a.close();
        b.close();
        try (WritableByteChannel ch = w.newBlob("big")) { // into pack 0, which it fills
          ch.write(ByteBuffer.wrap(big));
        }
        try (WritableByteChannel ch = w.newBlob("c")) { // pack 1 has room
          ch.write(ByteBuffer.wrap("c".getBytes(StandardCharsets.UTF_8)));
        }
        w.commit(Map.of());
      }
      assertThat(objects.list("data/")).hasSize(2);
      Checkpoint cp = store.latest().orElseThrow();
      assertThat(read(cp, "a")).isEqualTo("aaa");
      assertThat(read(cp, "b")).isEqualTo("bb");
      assertThat(read(cp, "c")).isEqualTo("c");
      try (ReadableByteChannel ch = cp.openBlob("big")) {
        assertThat(Channels.newInputStream(ch).readAllBytes()).isEqualTo(big);
      }
      String pack0 = objects.list("data/").get(0);
      assertThat(objects.get(pack0).orElseThrow()).hasSize(3 + big.length);
    }
  }

  @Test
  void inMemoryObjectPastTheArrayLimit_isRefusedWithTheRemedy(@TempDir java.nio.file.Path tmp) throws IOException {
    java.nio.file.Path sparse = tmp.resolve("sparse");
    try (java.nio.channels.FileChannel f = java.nio.channels.FileChannel.open(sparse,
        java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.READ,
        java.nio.file.StandardOpenOption.WRITE)) {
      f.write(ByteBuffer.wrap(new byte[1]), Integer.MAX_VALUE - 1L); // 2 GiB of holes: no memory, no disk
      ByteBuffer huge = f.map(java.nio.channels.FileChannel.MapMode.READ_ONLY, 0, Integer.MAX_VALUE);
      try (ObjectStore.ObjectSink sink = objects.create("big")) {
        sink.write(ByteBuffer.wrap(new byte[16]));
        assertThatThrownBy(() -> sink.write(huge)).isInstanceOf(IOException.class)
            .hasMessageContaining("big").hasMessageContaining("mem:test")
            .hasMessageContaining("at most " + InMemoryObjectStore.MAX_OBJECT + " bytes")
            .hasMessageContaining("use a file:");
        assertThat(huge.position()).isZero(); // nothing taken
      }
    }
  }

  @Test
  void readInto_overObjectsWithoutFiles_scattersThroughReadBlobs_andVerifies() throws IOException {
    try (CheckpointStore store = open("run-a", false)) {
      write(store, new java.util.TreeMap<>(Map.of("a", "first", "b", "second", "c", "")));
      Checkpoint cp = store.latest().orElseThrow();
      ByteBuffer a1 = ByteBuffer.allocate(2);
      ByteBuffer a2 = ByteBuffer.allocateDirect(3);
      ByteBuffer b = ByteBuffer.allocate(6);
      ByteBuffer c = ByteBuffer.allocate(0);
      cp.readInto(Map.of("a", List.of(a1, a2), "b", List.of(b), "c", List.of(c)));
      assertThat(a1.hasRemaining() || a2.hasRemaining() || b.hasRemaining()).isFalse();
      byte[] tail = new byte[3];
      a2.flip().get(tail);
      assertThat(new String(a1.array(), StandardCharsets.UTF_8) + new String(tail, StandardCharsets.UTF_8))
          .isEqualTo("first");
      assertThat(new String(b.array(), StandardCharsets.UTF_8)).isEqualTo("second");
      assertThatThrownBy(() -> cp.readInto(Map.of("a", List.of()))).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("no buffer").hasMessageContaining("\"a\"");
      assertThatThrownBy(() -> cp.readInto(Map.of("a", List.of(ByteBuffer.allocate(6)))))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("holds 5 bytes");

      String key = objects.list("data/").get(0);
      byte[] raw = objects.get(key).orElseThrow();
      byte[] flipped = raw.clone();
      flipped[raw.length - 1] ^= 1; // in "b" (the blobs are stored in name order here)
      objects.put(key, flipped);
      ByteBuffer b2 = ByteBuffer.allocate(6);
      assertThatThrownBy(() -> cp.readInto(Map.of("b", List.of(b2))))
          .isInstanceOf(CorruptCheckpointException.class).hasMessageContaining("CRC32 mismatch");
    }
  }

  @Test
  void truncatedPack_makesTheBlobsPastTheCutCorrupt_andLeavesTheOthersReadable() throws IOException {
    try (CheckpointStore store = open("run-a", false)) {
      write(store, new java.util.TreeMap<>(Map.of("a", "first", "b", "second")));
      String key = objects.list("data/").get(0);
      byte[] raw = objects.get(key).orElseThrow();
      objects.put(key, java.util.Arrays.copyOf(raw, raw.length - 2));
      Checkpoint cp = store.latest().orElseThrow();
      assertThat(read(cp, "a")).isEqualTo("first");
      assertThatThrownBy(() -> read(cp, "b")).isInstanceOf(CorruptCheckpointException.class)
          .hasMessageContaining("truncated");
    }
  }

  @Test
  void recordWithoutPacks_readsEachBlobAsItsOwnObject() throws IOException {
    // The layout before packs: data/<id>/<blob name>, and commit records naming no pack.
    try (CheckpointStore store = open("run-a", false)) {
      write(store, Map.of("w.npy", "weights"));
      String seqKey = objects.list("log/").get(objects.list("log/").size() - 1);
      @SuppressWarnings("unchecked") // the general parser's form (unseal reads the blob table as a BlobTable)
      Map<String, Object> rec = (Map<String, Object>) Json.parse(objects.get(seqKey).orElseThrow());
      @SuppressWarnings("unchecked")
      Map<String, Object> blob = (Map<String, Object>) ((List<Object>) rec.get("blobs")).get(0);
      blob.remove("pack");
      blob.remove("offset");
      rec.remove("layout");
      objects.put(seqKey, Records.sealed(rec));
      String pack = objects.list("data/").get(0);
      objects.put(pack.substring(0, pack.lastIndexOf('.')) + "/w.npy", objects.get(pack).orElseThrow());
      objects.delete(pack);
      try (CheckpointStore reader = reader()) {
        assertThat(read(reader.latest().orElseThrow(), "w.npy")).isEqualTo("weights");
      }
    }
  }

  @Test
  void recordOfPacksInTheirOwnDirectory_isRead_andPrunedByTheNextCommit() throws IOException {
    // Layout 1 (before packs went directly into data/): data/<id>/pack-<n>, and records without "layout".
    try (CheckpointStore store = open("run-a", false)) {
      write(store, Map.of("w.npy", "weights", "b.npy", "bias"));
      String seqKey = objects.list("log/").get(objects.list("log/").size() - 1);
      @SuppressWarnings("unchecked")
      Map<String, Object> rec = (Map<String, Object>) Json.parse(objects.get(seqKey).orElseThrow());
      assertThat(rec.remove("layout")).isEqualTo(Layout.FLAT_LAYOUT);
      objects.put(seqKey, Records.sealed(rec));
      String pack = objects.list("data/").get(0);
      String old = pack.substring(0, pack.lastIndexOf('.')) + "/pack-00000";
      objects.put(old, objects.get(pack).orElseThrow());
      objects.delete(pack);
    }
    try (CheckpointStore store = open("run-a", false)) {
      Checkpoint cp = store.latest().orElseThrow();
      assertThat(read(cp, "w.npy")).isEqualTo("weights");
      assertThat(read(cp, "b.npy")).isEqualTo("bias");
      write(store, Map.of("w.npy", "new"));
      assertThat(objects.list("data/")).as("the old checkpoint's pack in its own directory is pruned")
          .hasSize(1).allMatch(k -> k.endsWith(".pack-00000"));
      assertThat(read(store.latest().orElseThrow(), "w.npy")).isEqualTo("new");
    }
  }

  @Test
  void recordOfAnUnknownLayout_isUnreadable_andItsDataKept() throws IOException {
    try (CheckpointStore store = open("run-a", false)) {
      write(store, Map.of("w.npy", "weights"));
      String seqKey = objects.list("log/").get(objects.list("log/").size() - 1);
      @SuppressWarnings("unchecked")
      Map<String, Object> rec = (Map<String, Object>) Json.parse(objects.get(seqKey).orElseThrow());
      rec.put("layout", 3L);
      objects.put(seqKey, Records.sealed(rec));
      List<String> data = objects.list("data/");
      try (CheckpointStore reader = reader()) {
        assertThatThrownBy(reader::latest).isInstanceOf(CorruptCheckpointException.class)
            .hasMessageContaining("unknown data layout 3");
      }
      assertThat(objects.list("data/")).isEqualTo(data);
    }
  }

  @Test
  void recordListingABlobTwice_isCorrupt_namingTheBlob() throws IOException {
    try (CheckpointStore store = open("run-a", false)) {
      write(store, Map.of("w.npy", "weights"));
      String seqKey = objects.list("log/").get(objects.list("log/").size() - 1);
      @SuppressWarnings("unchecked")
      Map<String, Object> rec = (Map<String, Object>) Json.parse(objects.get(seqKey).orElseThrow());
      @SuppressWarnings("unchecked")
      List<Object> blobs = (List<Object>) rec.get("blobs");
      blobs.add(blobs.get(0));
      objects.put(seqKey, Records.sealed(rec));
      try (CheckpointStore reader = reader()) {
        assertThatThrownBy(reader::latest).isInstanceOf(CorruptCheckpointException.class)
            .hasMessageContaining(seqKey).hasMessageContaining("blob w.npy is listed twice");
      }
    }
  }

  @Test
  void claimRecordNotListedAfterCreating_isAnErrorNamingIt_notACrash() {
    ObjectStore blindLog = new ForwardingObjectStore(objects) {
      @Override
      public List<String> list(String prefix) throws IOException {
        List<String> keys = new java.util.ArrayList<>(super.list(prefix));
        keys.removeIf(k -> k.startsWith("log/"));
        return keys;
      }
    };
    assertThatThrownBy(() -> open(blindLog, "run-a", false)).isInstanceOf(StoreAccessException.class)
        .hasMessageContaining("log/00000000000000000001.json was created but is not listed");
  }

  @Test
  void commit_thenLatestReturnsItVerified() throws IOException {
    try (CheckpointStore store = open("run-a", false)) {
      assertThat(store.latest()).isEmpty();
      Checkpoint cp = write(store, Map.of("w.npy", "weights", "opt/m.npy", ""));
      Checkpoint latest = store.latest().orElseThrow();
      assertThat(latest.sequence()).isEqualTo(cp.sequence());
      assertThat(latest.blobs()).containsOnlyKeys("w.npy", "opt/m.npy");
      assertThat(read(latest, "w.npy")).isEqualTo("weights");
      assertThat(read(latest, "opt/m.npy")).isEmpty();
      assertThat(latest.metadata()).containsKey("step");
    }
  }

  @Test
  void beforeCommitReadersSeePrevious_afterCommitTheNew() throws IOException {
    try (CheckpointStore store = open("run-a", false)) {
      write(store, Map.of("a", "one"));
      try (CheckpointWriter w = store.begin();
          CheckpointStore reader = CheckpointStores.overObjects(new ForwardingObjectStore(objects) {
            @Override
            public void close() {}
          }, StoreOptions.readOnly().build())) {
        try (WritableByteChannel ch = w.newBlob("a")) {
          ch.write(ByteBuffer.wrap("two".getBytes(StandardCharsets.UTF_8)));
        }
        assertThat(read(reader.latest().orElseThrow(), "a")).isEqualTo("one");
        Checkpoint old = reader.latest().orElseThrow();
        w.commit(Map.of());
        assertThat(read(reader.latest().orElseThrow(), "a")).isEqualTo("two");
        assertThatThrownBy(() -> read(old, "a")).isInstanceOf(SupersededCheckpointException.class);
      }
    }
  }

  @Test
  void abortedWrite_leavesPreviousAndLeftoversAreRemoved() throws IOException {
    try (CheckpointStore store = open("run-a", false)) {
      write(store, Map.of("a", "one"));
      CheckpointWriter w = store.begin();
      WritableByteChannel ch = w.newBlob("a");
      ch.write(ByteBuffer.wrap("partial".getBytes(StandardCharsets.UTF_8)));
      ch.close();
      // abandoned without close: the next commit removes its blob
      assertThat(read(store.latest().orElseThrow(), "a")).isEqualTo("one");
      w.close();
      write(store, Map.of("b", "two"));
      assertThat(objects.list("data/")).hasSize(1);
    }
  }

  @Test
  void keepPrevious_fallsBackWhenLatestRecordIsCorrupt() throws IOException {
    try (CheckpointStore store = open("run-a", true)) {
      write(store, Map.of("a", "one"));
      write(store, Map.of("a", "two"));
      write(store, Map.of("a", "three"));
      assertThat(read(store.previous().orElseThrow(), "a")).isEqualTo("two");
      String last = objects.list("log/").get(objects.list("log/").size() - 1);
      byte[] raw = objects.get(last).orElseThrow();
      raw[raw.length / 2] ^= 1;
      objects.put(last, raw);
      // the writer verified its own record when it wrote it and does not read it again; a reader does
      assertThat(read(store.latest().orElseThrow(), "a")).isEqualTo("three");
      try (CheckpointStore reader = CheckpointStores.overObjects(new CountingReads(objects),
          StoreOptions.readOnly().keepPrevious(true).build())) {
        assertThatThrownBy(reader::latest).isInstanceOf(CorruptCheckpointException.class);
        assertThat(read(reader.previous().orElseThrow(), "a")).isEqualTo("two");
      }
    }
  }

  @Test
  void writersLatest_readsNoRecordWhileNothingFollowsItsOwn_andSeesATakeover() throws IOException {
    try (CheckpointStore store = open("run-a", false)) {
      write(store, Map.of("a", "one"));
    }
    CountingReads counting = new CountingReads(objects);
    // a heartbeat every 15 minutes: no heartbeat disturbs the counts below
    CheckpointStore writer = CheckpointStores.overObjects(counting,
        StoreOptions.forOwner("run-a").leaseTimeout(Duration.ofHours(1)).build());
    counting.logGets.set(0);
    assertThat(read(writer.latest().orElseThrow(), "a")).isEqualTo("one");
    write(writer, Map.of("a", "two"));
    assertThat(read(writer.latest().orElseThrow(), "a")).isEqualTo("two");
    assertThat(counting.logGets).as("log records read by latest(), commit, latest() after open").hasValue(0);
    // its lease made to look three hours old (twice its timeout and more): a newcomer takes over at once
    String lease = objects.list("lease/").get(0);
    @SuppressWarnings("unchecked")
    Map<String, Object> stale = new java.util.TreeMap<>((Map<String, Object>) Json.parse(objects.get(lease).orElseThrow()));
    stale.put("timeMillis", System.currentTimeMillis() - Duration.ofHours(3).toMillis());
    objects.put(lease, Records.sealed(stale));
    try (CheckpointStore taker = open("run-a", false)) {
      write(taker, Map.of("a", "three"));
      counting.logLists.set(0);
      Checkpoint afterTakeover = writer.latest().orElseThrow();
      assertThat(counting.logLists).as("listings of the log by latest() after a takeover").hasValue(1);
      assertThat(read(afterTakeover, "a")).isEqualTo("three");
    }
    assertThat(read(writer.latest().orElseThrow(), "a")).isEqualTo("three");
    writer.close();
  }

  @Test
  void flippedBlobByte_isCorruptNotData() throws IOException {
    try (CheckpointStore store = open("run-a", false)) {
      write(store, Map.of("a", "some weights"));
      String key = objects.list("data/").get(0);
      byte[] raw = objects.get(key).orElseThrow();
      raw[3] ^= 0x10;
      objects.put(key, raw);
      assertThatThrownBy(() -> read(store.latest().orElseThrow(), "a"))
          .isInstanceOf(CorruptCheckpointException.class).hasMessageContaining("CRC32");
      objects.put(key, "some".getBytes(StandardCharsets.UTF_8));
      assertThatThrownBy(() -> read(store.latest().orElseThrow(), "a"))
          .isInstanceOf(CorruptCheckpointException.class).hasMessageContaining("truncated");
    }
  }

  @Test
  void foreignContent_isRefusedAndUntouched() throws IOException {
    objects.put("notes.txt", "mine".getBytes(StandardCharsets.UTF_8));
    objects.put("log/00000000000000000001.json", "{}".getBytes(StandardCharsets.UTF_8));
    assertThatThrownBy(() -> open("run-a", false)).isInstanceOfSatisfying(ForeignContentException.class,
        e -> assertThat(e.offendingNames()).contains("notes.txt"));
    assertThat(objects.list("")).containsExactly("log/00000000000000000001.json", "notes.txt");
  }

  @Test
  void anotherOwner_isRefusedNamingIt() throws IOException {
    try (CheckpointStore store = open("run-a", false)) {
      write(store, Map.of("a", "one"));
    }
    assertThatThrownBy(() -> open("run-b", false)).isInstanceOfSatisfying(ForeignContentException.class,
        e -> assertThat(e.foreignOwner()).contains("run-a"));
  }

  @Test
  void liveHolder_isShared_closedHolderReleasesAtOnce() throws IOException {
    CheckpointStore first = open("run-a", false);
    assertThatThrownBy(() -> open("run-a", false)).isInstanceOf(SharedBackupDirException.class);
    first.close();
    try (CheckpointStore second = CheckpointStores.overObjects(new ForwardingObjectStore(objects) {
      @Override
      public void close() {}
    }, StoreOptions.forOwner("run-a").leaseTimeout(Duration.ofHours(1)).build())) {
      assertThat(second.latest()).isEmpty();
    }
  }

  @Test
  void pausedWriter_isFencedAfterTakeover() throws IOException {
    AtomicBoolean paused = new AtomicBoolean();
    ObjectStore pausable = new ForwardingObjectStore(objects) {
      @Override
      public void put(String key, byte[] content) throws IOException {
        if (paused.get()) {
          throw new IOException("paused");
        }
        super.put(key, content);
      }

      @Override
      public void close() {}
    };
    CheckpointStore first = CheckpointStores.overObjects(pausable,
        StoreOptions.forOwner("run-a").leaseTimeout(LEASE).build());
    write(first, Map.of("a", "one"));
    paused.set(true); // heartbeats stop
    try (CheckpointStore second = open("run-a", false)) {
      write(second, Map.of("a", "two"));
      paused.set(false);
      assertThatThrownBy(() -> write(first, Map.of("a", "stale"))).isInstanceOf(FencedWriterException.class);
      assertThat(read(second.latest().orElseThrow(), "a")).isEqualTo("two");
    }
    first.close();
  }

  /** Counts the log records read, and the listings of the log, through it. */
  private static final class CountingReads extends ForwardingObjectStore {
    final AtomicInteger logGets = new AtomicInteger();
    final AtomicInteger logLists = new AtomicInteger();

    CountingReads(ObjectStore delegate) {
      super(delegate);
    }

    @Override
    public java.util.Optional<byte[]> get(String key) throws IOException {
      if (key.startsWith("log/")) {
        logGets.incrementAndGet();
      }
      return super.get(key);
    }

    @Override
    public ReadableByteChannel open(String key, long offset, long length) throws IOException {
      if (key.startsWith("log/")) {
        logGets.incrementAndGet(); // records are read with a size limit, through a ranged read
      }
      return super.open(key, offset, length);
    }

    @Override
    public List<String> list(String prefix) throws IOException {
      if (prefix.startsWith("log/")) {
        logLists.incrementAndGet();
      }
      return super.list(prefix);
    }

    @Override
    public void close() {}
  }

  @Test
  void restarts_doNotLengthenTheLog_andLatestReadsTheHeadAndItsBase() throws IOException {
    try (CheckpointStore store = open("run-a", true)) {
      write(store, Map.of("a", "one"));
      write(store, Map.of("a", "two"));
    }
    for (int i = 0; i < 30; i++) {
      open("run-a", true).close();
    }
    // the two kept commits, then the last claim and its release
    assertThat(objects.list("log/")).hasSize(4);
    assertThat(objects.list("lease/")).isEmpty();
    CountingReads counting = new CountingReads(objects);
    try (CheckpointStore reader = CheckpointStores.overObjects(counting, StoreOptions.readOnly().build())) {
      Checkpoint latest = reader.latest().orElseThrow();
      assertThat(counting.logGets).as("log records read by latest()").hasValue(2);
      assertThat(read(latest, "a")).isEqualTo("two");
      assertThat(read(reader.previous().orElseThrow(), "a")).isEqualTo("one");
    }
  }

  @Test
  void baseNoLongerListed_endsTheWalk() throws IOException {
    try (CheckpointStore store = open("run-a", false)) {
      write(store, Map.of("a", "one"));
      write(store, Map.of("a", "two"));
    }
    open("run-a", false).close(); // prunes the record of "one", which "two" names as its base
    try (CheckpointStore reader = CheckpointStores.overObjects(new CountingReads(objects),
        StoreOptions.readOnly().build())) {
      assertThat(read(reader.latest().orElseThrow(), "a")).isEqualTo("two");
      assertThat(reader.previous()).isEmpty();
    }
  }

  /**
   * A writer paused (its heartbeat silent) while two stores opened after it, the second pruning the first one's
   * claim and release: its commit recreates that pruned slot. Readers jump over it from the newer claim to the
   * commit it names; the writer then lists the log, finds the newer claim, deletes its record and is fenced.
   */
  @Test
  void pausedWriterRecreatingAPrunedSlot_isNeverLatest_andIsFenced() throws IOException {
    try (CheckpointStore store = open("run-a", false)) {
      write(store, Map.of("a", "one"));
    }
    AtomicBoolean heartbeatsFail = new AtomicBoolean();
    List<String> seenMeanwhile = new java.util.ArrayList<>();
    List<String> recreated = new java.util.ArrayList<>();
    ObjectStore paused = new ForwardingObjectStore(objects) {
      private boolean onLeaseThread() {
        return heartbeatsFail.get() && Thread.currentThread().getName().startsWith("ckpt4j-lease");
      }

      @Override
      public List<String> list(String prefix) throws IOException {
        if (onLeaseThread()) {
          throw new IOException("paused");
        }
        return super.list(prefix);
      }

      @Override
      public void put(String key, byte[] content) throws IOException {
        if (onLeaseThread()) {
          throw new IOException("paused");
        }
        super.put(key, content);
      }

      @Override
      public boolean putIfAbsent(String key, byte[] content) throws IOException {
        boolean created = super.putIfAbsent(key, content);
        if (created && key.startsWith("log/")) {
          recreated.add(key);
          try (CheckpointStore reader = CheckpointStores.overObjects(new CountingReads(objects),
              StoreOptions.readOnly().build())) {
            seenMeanwhile.add(read(reader.latest().orElseThrow(), "a"));
          }
        }
        return created;
      }

      @Override
      public void close() {}
    };
    CheckpointStore stale = CheckpointStores.overObjects(paused,
        StoreOptions.forOwner("run-a").leaseTimeout(LEASE).build());
    recreated.clear();
    seenMeanwhile.clear();
    heartbeatsFail.set(true);
    CheckpointWriter w = stale.begin();
    try (WritableByteChannel ch = w.newBlob("a")) {
      ch.write(ByteBuffer.wrap("stale".getBytes(StandardCharsets.UTF_8)));
    }
    open("run-a", false).close(); // takes over once the stale store's lease is silent
    List<String> before = objects.list("log/");
    try (CheckpointStore holder = open("run-a", false)) {
      List<String> pruned = new java.util.ArrayList<>(before);
      pruned.removeAll(objects.list("log/"));
      assertThat(pruned).as("claim and release records pruned by the open").hasSize(2);
      assertThatThrownBy(() -> w.commit(Map.of())).isInstanceOf(FencedWriterException.class);
      assertThat(recreated).as("the stale commit's slot").hasSize(1);
      assertThat(pruned).contains(recreated.get(0));
      assertThat(seenMeanwhile).as("latest() while the stale record existed").containsExactly("one");
      assertThat(objects.list("log/")).doesNotContain(recreated.get(0));
      assertThat(read(holder.latest().orElseThrow(), "a")).isEqualTo("one");
      write(holder, Map.of("a", "two"));
      assertThat(objects.list("data/")).hasSize(1);
    }
    w.close();
    stale.close();
  }

  @Test
  void lostResponseAfterSuccess_commitStillSucceedsOnce() throws IOException {
    AtomicInteger puts = new AtomicInteger();
    ObjectStore lossy = new ForwardingObjectStore(objects) {
      @Override
      public boolean putIfAbsent(String key, byte[] content) throws IOException {
        boolean created = super.putIfAbsent(key, content);
        if (key.startsWith("log/") && puts.incrementAndGet() == 2) {
          throw new IOException("response lost");
        }
        return created;
      }

      @Override
      public void close() {}
    };
    try (CheckpointStore store = CheckpointStores.overObjects(lossy,
        StoreOptions.forOwner("run-a").leaseTimeout(LEASE).build())) {
      Checkpoint cp = write(store, Map.of("a", "one"));
      assertThat(store.latest().orElseThrow().id()).isEqualTo(cp.id());
      write(store, Map.of("a", "two"));
      assertThat(read(store.latest().orElseThrow(), "a")).isEqualTo("two");
    }
  }

  @Test
  void delete_removesOwnObjectsOnly() throws IOException {
    CheckpointStore store = open("run-a", true);
    write(store, Map.of("a", "one"));
    write(store, Map.of("a", "two"));
    objects.put("later-foreign.bin", new byte[] {1, 2, 3});
    objects.put("log/50000000000000000001.json", new byte[] {4}); // imitates a slot, beyond Long.MAX_VALUE
    store.delete();
    store.delete();
    assertThat(objects.list("")).containsExactly("later-foreign.bin", "log/50000000000000000001.json");
  }

  @Test
  void badBlobNames_areRejectedNamingThem() throws IOException {
    try (CheckpointStore store = open("run-a", false); CheckpointWriter w = store.begin()) {
      for (String bad : new String[] {"", "/abs", "a/../b", "..", "a//b", "a\\b", "sp ace", "x".repeat(201)}) {
        assertThatThrownBy(() -> w.newBlob(bad)).isInstanceOf(IllegalArgumentException.class)
            .hasMessageContaining("invalid blob name");
      }
    }
  }

  @Test
  void readerOpenedOnAnEmptyDir_seesLaterCommits() throws IOException {
    try (CheckpointStore reader = CheckpointStores.overObjects(new ForwardingObjectStore(objects) {
      @Override
      public void close() {}
    }, StoreOptions.readOnly().build()); CheckpointStore writer = open("run-a", false)) {
      assertThat(reader.latest()).isEmpty();
      write(writer, Map.of("a", "one"));
      assertThat(read(reader.latest().orElseThrow(), "a")).isEqualTo("one");
    }
  }

  @Test
  void deleteThatDiesMidway_leavesAnEmptyStoreThatOpensAndPrunes() throws IOException {
    AtomicBoolean dying = new AtomicBoolean();
    ObjectStore mortal = new ForwardingObjectStore(objects) {
      @Override
      public void delete(String key) throws IOException {
        if (dying.get() && key.startsWith("data/")) {
          throw new IOException("killed");
        }
        super.delete(key);
      }

      @Override
      public void close() {}
    };
    CheckpointStore store = CheckpointStores.overObjects(mortal,
        StoreOptions.forOwner("run-a").leaseTimeout(LEASE).build());
    write(store, Map.of("a", "one"));
    dying.set(true);
    assertThatThrownBy(store::delete).hasMessageContaining("killed");
    // the process lives on: past its tombstone the store is closed and writes nothing more (no release record)
    assertThatThrownBy(store::latest).isInstanceOf(IllegalStateException.class);
    List<String> left = objects.list("");
    store.close();
    assertThat(objects.list("")).isEqualTo(left);
    try (CheckpointStore reader = reader()) {
      assertThat(reader.latest()).isEmpty();
      assertThat(reader.previous()).isEmpty();
    }
    try (CheckpointStore again = open("run-a", false)) {
      assertThat(again.latest()).isEmpty();
      assertThat(objects.list("data/")).isEmpty();
      write(again, Map.of("a", "two"));
      assertThat(read(again.latest().orElseThrow(), "a")).isEqualTo("two");
    }
  }
}
