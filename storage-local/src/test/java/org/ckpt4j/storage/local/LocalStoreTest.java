package org.ckpt4j.storage.local;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.common.jimfs.Configuration;
import com.google.common.jimfs.Jimfs;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.CheckpointWriter;
import org.ckpt4j.spi.ForeignContentException;
import org.ckpt4j.spi.SharedBackupDirException;
import org.ckpt4j.spi.StoreAccessException;
import org.ckpt4j.spi.StoreOptions;
import org.ckpt4j.spi.UnsupportedSchemeException;
import org.ckpt4j.spi.backend.Capability;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The local backend on a real disk and on Jimfs; the TCK certifies every rule in depth. */
class LocalStoreTest {
  private static final StoreOptions OPTIONS =
      StoreOptions.forOwner("run-1").leaseTimeout(Duration.ofMillis(500)).build();

  @TempDir Path tmp;

  private static void write(CheckpointStore store, String name, byte[] content) throws IOException {
    try (CheckpointWriter w = store.begin()) {
      try (WritableByteChannel ch = w.newBlob(name)) {
        ByteBuffer buf = ByteBuffer.wrap(content);
        while (buf.hasRemaining()) {
          ch.write(buf);
        }
      }
      w.commit(Map.of("name", name));
    }
  }

  private static byte[] read(Checkpoint cp, String name) throws IOException {
    try (ReadableByteChannel ch = cp.openBlob(name)) {
      return Channels.newInputStream(ch).readAllBytes();
    }
  }

  private static List<String> files(Path dir) throws IOException {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).map(p -> dir.relativize(p).toString()).sorted().toList();
    }
  }

  @Test
  void plainPath_andFileUri_openTheSameBackupDir() throws IOException {
    Path dir = tmp.resolve("backup");
    try (CheckpointStore store = CheckpointStores.open(dir.toString(), OPTIONS)) {
      assertThat(store.capabilities()).contains(Capability.CROSS_PROCESS, Capability.POWER_LOSS_DURABLE);
      write(store, "w.npy", "abc".getBytes(StandardCharsets.UTF_8));
    }
    try (CheckpointStore store = CheckpointStores.open(dir.toUri(), OPTIONS)) {
      assertThat(read(store.latest().orElseThrow(), "w.npy")).isEqualTo("abc".getBytes(StandardCharsets.UTF_8));
    }
    // Only the store's layout is on disk: no temporary files survive a commit.
    assertThat(files(dir)).allMatch(f -> f.equals("ckpt4j.json") || f.startsWith("log/")
        || f.startsWith("data/"));
  }

  @Test
  void largeBlob_streamsAndVerifies() throws IOException {
    byte[] big = new byte[24 << 20];
    new java.util.Random(7).nextBytes(big);
    Path dir = tmp.resolve("big");
    try (CheckpointStore store = CheckpointStores.open(dir.toString(), OPTIONS)) {
      write(store, "big.bin", big);
      assertThat(read(store.latest().orElseThrow(), "big.bin")).isEqualTo(big);
      big[12345] ^= 1;
      write(store, "big.bin", big); // supersedes: the old 24 MiB file is unlinked in the background
      assertThat(read(store.latest().orElseThrow(), "big.bin")).isEqualTo(big);
    }
    // close waited for the background delete: exactly one pack file (holding the blob), no hidden leftovers
    try (Stream<Path> s = Files.walk(dir)) {
      assertThat(s.filter(Files::isRegularFile).map(p -> p.getFileName().toString()))
          .filteredOn(n -> !n.endsWith(".json")).singleElement().asString().matches("[0-9a-f]{16}-[0-9a-f]{16}\\.pack-00000");
    }
  }

  @Test
  void jimfsUri_works() throws IOException {
    try (FileSystem fs = Jimfs.newFileSystem("ckpt-test", Configuration.unix())) {
      Path dir = fs.getPath("/backups/run");
      try (CheckpointStore store = CheckpointStores.open(dir.toUri(), OPTIONS)) {
        assertThat(store.capabilities()).isEmpty();
        write(store, "a", new byte[] {1, 2, 3});
        assertThat(read(store.latest().orElseThrow(), "a")).containsExactly(1, 2, 3);
      }
      assertThat(Files.exists(dir.resolve("ckpt4j.json"))).isTrue();
    }
  }

  @Test
  void fullDisk_isNoSpace_andTheLastCheckpointSurvives() throws IOException {
    try (FileSystem fs = Jimfs.newFileSystem("ckpt-full",
        Configuration.unix().toBuilder().setMaxSize(4 << 20).setBlockSize(4096).build())) {
      Path dir = fs.getPath("/b");
      try (CheckpointStore store = CheckpointStores.open(dir.toUri(), OPTIONS)) {
        write(store, "a", new byte[1000]);
        assertThatThrownBy(() -> write(store, "a", new byte[8 << 20]))
            .isInstanceOfSatisfying(StoreAccessException.class,
                e -> assertThat(e.reason()).isEqualTo(StoreAccessException.Reason.NO_SPACE));
        assertThat(read(store.latest().orElseThrow(), "a")).hasSize(1000);
        write(store, "a", new byte[2000]); // space was given back
        assertThat(read(store.latest().orElseThrow(), "a")).hasSize(2000);
      }
    }
  }

  @Test
  void fileWhereADirectoryIsExpected_isInvalidLocation() throws IOException {
    Path file = Files.writeString(tmp.resolve("not-a-dir"), "x");
    assertThatThrownBy(() -> CheckpointStores.open(file.toString(), OPTIONS))
        .isInstanceOfSatisfying(StoreAccessException.class, e -> {
          assertThat(e.reason()).isEqualTo(StoreAccessException.Reason.INVALID_LOCATION);
          assertThat(e.getMessage()).contains(file.toString());
        });
    assertThat(Files.readString(file)).isEqualTo("x");
  }

  @Test
  void malformedFileUris_getTargetedHints() {
    assertThatThrownBy(() -> CheckpointStores.open(URI.create("file:relative/dir"), OPTIONS))
        .isInstanceOf(UnsupportedSchemeException.class).hasMessageContaining("file:///abs/path");
    assertThatThrownBy(() -> CheckpointStores.open(URI.create("file://tmp/x"), OPTIONS))
        .isInstanceOf(UnsupportedSchemeException.class).hasMessageContaining("did you mean file:///tmp/x");
    assertThatThrownBy(() -> CheckpointStores.open(URI.create("jimfs://no-such-fs/x"), OPTIONS))
        .isInstanceOf(UnsupportedSchemeException.class).hasMessageContaining("does not exist");
  }

  @Test
  void foreignFiles_areRefusedAndKept() throws IOException {
    Path dir = Files.createDirectories(tmp.resolve("mine"));
    Files.writeString(dir.resolve("notes.txt"), "keep me");
    Files.createDirectories(dir.resolve("data/abc"));
    Files.writeString(dir.resolve("data/abc/w.npy"), "imitation");
    assertThatThrownBy(() -> CheckpointStores.open(dir.toString(), OPTIONS))
        .isInstanceOfSatisfying(ForeignContentException.class,
            e -> assertThat(e.offendingNames()).contains("notes.txt", "data/abc/w.npy"));
    assertThat(files(dir)).containsExactly("data/abc/w.npy", "notes.txt");
  }

  @Test
  void secondLiveStore_isShared_deleteLeavesNothingOfOurs() throws IOException {
    Path dir = tmp.resolve("shared");
    CheckpointStore first = CheckpointStores.open(dir.toString(), OPTIONS);
    write(first, "a", new byte[] {1});
    assertThatThrownBy(() -> CheckpointStores.open(dir.toString(), OPTIONS))
        .isInstanceOf(SharedBackupDirException.class);
    Files.writeString(dir.resolve("added-later.txt"), "foreign");
    first.delete();
    first.delete();
    assertThat(files(dir)).containsExactly("added-later.txt");
  }

  @Test
  void leftoverTemporaryFiles_ofAKilledWriter_areRemovedOnOpen() throws IOException {
    Path dir = tmp.resolve("leftover");
    try (CheckpointStore store = CheckpointStores.open(dir.toString(), OPTIONS)) {
      write(store, "a", new byte[] {1});
    }
    Path pack = dir.resolve(files(dir).stream().filter(f -> f.startsWith("data/")).findFirst().orElseThrow());
    List<Path> leftovers = List.of(
        Files.writeString(dir.resolve("log").resolve(LocalObjectStore.TMP_PREFIX + "1f-00000000000000000009.json"), "{"),
        Files.writeString(dir.resolve(LocalObjectStore.TMP_PREFIX + "3a0c-ckpt4j.json"), "{"),
        // a large pack being deleted in the background, renamed beside itself
        Files.writeString(pack.resolveSibling(LocalObjectStore.TMP_PREFIX + "77-" + pack.getFileName()), "trash"),
        // the same in a checkpoint's own directory (the layout before packs went directly into data/)
        Files.writeString(Files.createDirectories(dir.resolve("data").resolve(
            pack.getFileName().toString().replace(".pack-00000", ""))).resolve(LocalObjectStore.TMP_PREFIX + "78-pack-00000"),
            "trash"));
    try (CheckpointStore store = CheckpointStores.open(dir.toString(), OPTIONS)) {
      assertThat(leftovers).noneMatch(Files::exists);
      assertThat(read(store.latest().orElseThrow(), "a")).containsExactly(1);
    }
  }

  /**
   * Issue 17 item 8: a sparse 3 GiB file in the newest log slot (more than a Java array holds) is a corrupt
   * record read only up to the record limit: no OutOfMemoryError, and no data deleted (R4.5).
   */
  @Test
  void hugeSparseFileInTheNewestLogSlot_isACorruptRecord_andNothingIsDeleted() throws IOException {
    Path dir = tmp.resolve("huge");
    try (CheckpointStore store = CheckpointStores.open(dir.toString(), OPTIONS)) {
      write(store, "a", new byte[] {1});
    }
    List<String> before = files(dir);
    String record = before.stream().filter(f -> f.startsWith("log/")).reduce((x, y) -> y).orElseThrow();
    byte[] good = Files.readAllBytes(dir.resolve(record));
    try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(dir.resolve(record).toFile(), "rw")) {
      f.setLength(3L << 30);
    }
    try (CheckpointStore reader = CheckpointStores.open(dir.toString(), StoreOptions.readOnly().build())) {
      assertThatThrownBy(reader::latest).isInstanceOf(org.ckpt4j.spi.CorruptCheckpointException.class);
    }
    try (CheckpointStore store = CheckpointStores.open(dir.toString(), OPTIONS)) {
      assertThatThrownBy(store::latest).isInstanceOf(org.ckpt4j.spi.CorruptCheckpointException.class);
    }
    assertThat(files(dir)).containsAll(before.stream().filter(f -> f.startsWith("data/")).toList());
    Files.write(dir.resolve(record), good, java.nio.file.StandardOpenOption.TRUNCATE_EXISTING);
    try (CheckpointStore store = CheckpointStores.open(dir.toString(), OPTIONS)) {
      assertThat(read(store.latest().orElseThrow(), "a")).containsExactly(1);
    }
  }

  /**
   * Issue 17 item 5: a name that starts like the store's temporary files but is not one of them where the store
   * puts them (beside its marker, records, leases and data) is the user's: foreign (R6.1), never deleted (R5.2).
   */
  @Test
  void filesNamedLikeTemporaries_outsideTheStoresOwnPlaces_areForeign_andNeverDeleted() throws IOException {
    Path dir = tmp.resolve("lookalikes");
    try (CheckpointStore store = CheckpointStores.open(dir.toString(), OPTIONS)) {
      write(store, "a", new byte[] {1});
    }
    List<String> users = List.of(".ckpt4j-tmp-x", "notes/.ckpt4j-tmp-x", "notes/.ckpt4j-tmp-1f-00000000000000000009.json",
        ".ckpt4j-tmp-dir/file", "log/.ckpt4j-tmp-zz-00000000000000000009.json");
    for (String user : users) {
      Path p = dir.resolve(user);
      Files.createDirectories(p.getParent());
      Files.writeString(p, "user data");
    }
    assertThatThrownBy(() -> CheckpointStores.open(dir.toString(), OPTIONS))
        .isInstanceOfSatisfying(ForeignContentException.class,
            e -> assertThat(e.offendingNames()).containsExactlyInAnyOrderElementsOf(users));
    try (CheckpointStore reader = CheckpointStores.open(dir.toString(), StoreOptions.readOnly().build())) {
      assertThat(read(reader.latest().orElseThrow(), "a")).containsExactly(1);
    }
    for (String user : users) {
      assertThat(dir.resolve(user)).as(user).hasContent("user data");
    }
    // a store that was open before they appeared deletes everything of its own and nothing of theirs
    Path other = tmp.resolve("deleted");
    CheckpointStore store = CheckpointStores.open(other.toString(), OPTIONS);
    write(store, "a", new byte[] {1});
    for (String user : users) {
      Path p = other.resolve(user);
      Files.createDirectories(p.getParent());
      Files.writeString(p, "user data");
    }
    store.delete();
    assertThat(files(other)).containsExactlyInAnyOrderElementsOf(users);
  }

  /**
   * Blobs are read from the pack file by position, by two threads (see ObjectStore#openFile): what both
   * openBlob and readBlobs return is the stored bytes, and a flipped byte or a truncated pack is reported as
   * corrupt, at any blob size (one piece, split in two, many pieces).
   */
  @Test
  void positionalReads_returnEveryBlob_andReportCorruptionAndTruncation() throws IOException {
    Path dir = tmp.resolve("positional");
    int[] sizes = {0, 1, 1000, 40_000, 300_000, 3_000_001};
    java.util.SplittableRandom r = new java.util.SplittableRandom(4);
    Map<String, byte[]> blobs = new java.util.TreeMap<>();
    try (CheckpointStore store = CheckpointStores.open(dir.toString(), OPTIONS)) {
      try (CheckpointWriter w = store.begin()) {
        for (int i = 0; i < sizes.length; i++) {
          byte[] content = new byte[sizes[i]];
          r.nextBytes(content);
          blobs.put("b" + i, content);
          try (WritableByteChannel ch = w.newBlob("b" + i)) {
            ch.write(ByteBuffer.wrap(content));
          }
        }
        w.commit(Map.of());
      }
      Checkpoint cp = store.latest().orElseThrow();
      for (Map.Entry<String, byte[]> e : blobs.entrySet()) {
        assertThat(read(cp, e.getKey())).as(e.getKey()).isEqualTo(e.getValue());
      }
      Map<String, byte[]> viaReadBlobs = new java.util.TreeMap<>();
      cp.readBlobs(blobs.keySet(), (name, ch) -> viaReadBlobs.put(name, Channels.newInputStream(ch).readAllBytes()));
      assertThat(viaReadBlobs).containsExactlyInAnyOrderEntriesOf(blobs);

      List<Path> packs;
      try (Stream<Path> s = Files.walk(dir.resolve("data"))) {
        packs = s.filter(p -> p.getFileName().toString().endsWith(".pack-00000")).toList();
      }
      assertThat(packs).hasSize(1);
      Path pack = packs.get(0);
      byte[] original = Files.readAllBytes(pack);
      for (int at : new int[] {original.length - 1, original.length / 2, 300_000 + 40_000 + 1000 + 1 + 10}) {
        byte[] changed = original.clone();
        changed[at] ^= 0x10;
        Files.write(pack, changed);
        assertThatThrownBy(() -> cp.readBlobs(blobs.keySet(), (name, ch) -> Channels.newInputStream(ch)
            .readAllBytes())).as("byte %d flipped", at).isInstanceOf(org.ckpt4j.spi.CorruptCheckpointException.class)
            .hasMessageContaining("CRC32 mismatch");
      }
      Files.write(pack, java.util.Arrays.copyOf(original, original.length - 5));
      assertThatThrownBy(() -> read(cp, "b5")).isInstanceOf(org.ckpt4j.spi.CorruptCheckpointException.class)
          .hasMessageContaining("truncated");
      assertThatThrownBy(() -> cp.readBlobs(List.of("b5"), (name, ch) -> ch.read(ByteBuffer.allocate(10))))
          .isInstanceOf(org.ckpt4j.spi.CorruptCheckpointException.class).hasMessageContaining("truncated");
      Files.write(pack, original);
      assertThat(read(cp, "b5")).isEqualTo(blobs.get("b5"));
    }
  }

  @Test
  void scatterReads_fillEveryBuffer_andReportCorruptionNamingTheBlob() throws IOException {
    Path dir = tmp.resolve("scatter");
    List<Integer> sizes = new java.util.ArrayList<>(List.of(0, 1, 1000, 300_000, 3_000_001));
    for (int i = 0; i < 40; i++) {
      sizes.add(65_536);
    }
    java.util.SplittableRandom r = new java.util.SplittableRandom(5);
    Map<String, byte[]> blobs = new java.util.LinkedHashMap<>();
    long[] offsets = new long[sizes.size()];
    long end = 0;
    try (CheckpointStore store = CheckpointStores.open(dir.toString(), OPTIONS)) {
      try (CheckpointWriter w = store.begin()) {
        for (int i = 0; i < sizes.size(); i++) {
          byte[] content = new byte[sizes.get(i)];
          r.nextBytes(content);
          blobs.put("b" + i, content);
          offsets[i] = end;
          end += content.length;
          try (WritableByteChannel ch = w.newBlob("b" + i)) {
            ch.write(ByteBuffer.wrap(content));
          }
        }
        w.commit(Map.of());
      }
      Checkpoint cp = store.latest().orElseThrow();
      // each blob into a small heap buffer (an .npy header, say) and a direct buffer, both inside larger buffers
      Map<String, List<ByteBuffer>> targets = new java.util.LinkedHashMap<>();
      for (Map.Entry<String, byte[]> e : blobs.entrySet()) {
        int head = Math.min(e.getValue().length, 1 + r.nextInt(200));
        ByteBuffer h = ByteBuffer.allocate(head + 10).position(5).limit(5 + head);
        ByteBuffer d = ByteBuffer.allocateDirect(e.getValue().length - head + 10).position(3)
            .limit(3 + e.getValue().length - head);
        targets.put(e.getKey(), List.of(h, d));
      }
      Map<ByteBuffer, Integer> limits = new java.util.IdentityHashMap<>();
      targets.values().forEach(l -> l.forEach(b -> limits.put(b, b.limit())));
      cp.readInto(targets);
      for (Map.Entry<String, byte[]> e : blobs.entrySet()) {
        ByteBuffer h = targets.get(e.getKey()).get(0);
        ByteBuffer d = targets.get(e.getKey()).get(1);
        // each buffer (read into as it is, or through views of its pieces) ends at its limit, which is kept
        assertThat(h.hasRemaining() || d.hasRemaining()).as(e.getKey() + " filled").isFalse();
        assertThat(List.of(h.limit(), d.limit())).as(e.getKey() + " limits").containsExactly(limits.get(h),
            limits.get(d));
        byte[] got = new byte[e.getValue().length];
        h.flip().position(5).get(got, 0, h.remaining());
        int head = h.limit() - 5;
        d.flip().position(3).get(got, head, d.remaining());
        assertThat(got).as(e.getKey()).isEqualTo(e.getValue());
      }
      // a subset, one buffer each, and the checks made before anything is read
      ByteBuffer one = ByteBuffer.allocate(1000);
      cp.readInto(Map.of("b2", List.of(one)));
      assertThat(one.array()).isEqualTo(blobs.get("b2"));
      assertThatThrownBy(() -> cp.readInto(Map.of("b2", List.of(ByteBuffer.allocate(999)))))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("b2").hasMessageContaining("1000 bytes")
          .hasMessageContaining("999");
      assertThatThrownBy(() -> cp.readInto(Map.of("nope", List.of(ByteBuffer.allocate(1)))))
          .isInstanceOf(java.util.NoSuchElementException.class).hasMessageContaining("nope");
      assertThatThrownBy(() -> cp.readInto(Map.of("b2", List.of(ByteBuffer.allocate(1000).asReadOnlyBuffer()))))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("read-only");
      // refused before anything is read: a good blob's buffer in the same call is left as it was
      ByteBuffer untouched = ByteBuffer.allocate(1000);
      Map<String, List<ByteBuffer>> mixed = new java.util.LinkedHashMap<>();
      mixed.put("b2", List.of(untouched));
      mixed.put("nope", List.of(ByteBuffer.allocate(1)));
      assertThatThrownBy(() -> cp.readInto(mixed)).isInstanceOf(java.util.NoSuchElementException.class);
      assertThat(untouched.position()).isZero();
      assertThat(untouched.array()).isEqualTo(new byte[1000]);

      Path pack;
      try (Stream<Path> s = Files.walk(dir.resolve("data"))) {
        pack = s.filter(p -> p.getFileName().toString().endsWith(".pack-00000")).findFirst().orElseThrow();
      }
      byte[] original = Files.readAllBytes(pack);
      Map<String, List<ByteBuffer>> fresh = new java.util.LinkedHashMap<>();
      blobs.forEach((name, content) -> fresh.put(name, List.of(ByteBuffer.allocateDirect(content.length))));
      for (int i : new int[] {1, 3, 4, sizes.size() - 1, 20}) {
        long at = offsets[i] + r.nextInt(sizes.get(i));
        byte[] changed = original.clone();
        changed[(int) at] ^= 0x04;
        Files.write(pack, changed);
        fresh.values().forEach(l -> l.get(0).clear());
        assertThatThrownBy(() -> cp.readInto(fresh)).as("byte %d of b%d flipped", at, i)
            .isInstanceOf(org.ckpt4j.spi.CorruptCheckpointException.class)
            .hasMessageContaining("\"b" + i + "\"").hasMessageContaining("CRC32 mismatch");
      }
      Files.write(pack, java.util.Arrays.copyOf(original, original.length - 5));
      fresh.values().forEach(l -> l.get(0).clear());
      String last = "b" + (sizes.size() - 1);
      assertThatThrownBy(() -> cp.readInto(fresh)).isInstanceOf(org.ckpt4j.spi.CorruptCheckpointException.class)
          .hasMessageContaining("\"" + last + "\" truncated: 65531 of 65536 bytes");
      Files.write(pack, original);
      fresh.values().forEach(l -> l.get(0).clear());
      cp.readInto(fresh);
      assertThat(fresh.get("b4").get(0).flip()).isEqualTo(ByteBuffer.wrap(blobs.get("b4")));
    }
  }

  @Test
  void checkpointsOfLargeTensors_areOnePackFile() throws IOException {
    Path dir = tmp.resolve("onepack");
    ByteBuffer tensor = ByteBuffer.allocateDirect(40 << 20); // two of them: past the 64 MiB of other backends
    try (CheckpointStore store = CheckpointStores.open(dir.toString(), OPTIONS)) {
      try (CheckpointWriter w = store.begin()) {
        for (String name : List.of("w0", "w1")) {
          try (WritableByteChannel ch = w.newBlob(name)) {
            ByteBuffer b = tensor.duplicate();
            while (b.hasRemaining()) {
              ch.write(b);
            }
          }
        }
        w.commit(Map.of());
      }
      try (Stream<Path> s = Files.walk(dir.resolve("data"))) {
        assertThat(s.filter(Files::isRegularFile).toList()).singleElement()
            .satisfies(p -> assertThat(Files.size(p)).isEqualTo(80L << 20));
      }
    }
  }
}
