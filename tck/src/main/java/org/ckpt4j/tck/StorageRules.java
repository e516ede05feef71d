package org.ckpt4j.tck;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStoreException;
import org.ckpt4j.spi.CorruptCheckpointException;
import org.ckpt4j.spi.ForeignContentException;
import org.ckpt4j.spi.backend.ObjectStore;
import org.junit.jupiter.api.Assumptions;

/**
 * Rules that need raw access to the storage: corruption (R4.2, R4.3), ranged reads (R4.4), delete (R5), foreign
 * content (R6.1).
 */
final class StorageRules {
  private final Kit kit;

  StorageRules(Kit kit) {
    this.kit = kit;
  }

  // ------------------------------------------------------------------------------------------- R4

  /**
   * Outcomes of reading a checkpoint whole from a fresh read-only store, each {@link Content.ReadPath} apart
   * (a corrupt blob read one way would stop the others): path -> outcome.
   */
  private Map<Content.ReadPath, String> readOutcomes(URI dir, Content expected) {
    Map<Content.ReadPath, String> outcomes = new java.util.EnumMap<>(Content.ReadPath.class);
    for (Content.ReadPath path : Content.ReadPath.values()) {
      outcomes.put(path, readOutcome(dir, expected, path));
    }
    return outcomes;
  }

  private String readOutcome(URI dir, Content expected, Content.ReadPath path) {
    try (CheckpointStore s = kit.openReadOnly(dir)) {
      Optional<Checkpoint> cp = s.latest();
      if (cp.isEmpty()) {
        return "empty";
      }
      expected.verify(cp.get(), path);
      return "ok";
    } catch (CorruptCheckpointException e) {
      return "corrupt";
    } catch (CheckpointStoreException e) {
      return "typed:" + e.getClass().getSimpleName();
    } catch (AssertionError e) {
      return "WRONG DATA: " + e.getMessage();
    } catch (IOException | RuntimeException e) {
      return "UNTYPED: " + e;
    }
  }

  /**
   * The backend's ranged reads ({@link ObjectStore#open(String, long, long)}, which the protocol uses to read one
   * blob of a pack) and, where offered, {@link ObjectStore#openFile} return exactly the bytes of the range,
   * ending early where the object ends; an absent object is {@link NoSuchFileException}. Checked on
   * the raw objects, so that a wrong range is reported as such instead of as corrupt checkpoints.
   */
  void rangedReadsExact() throws Exception {
    kit.assumeObjectFaults();
    URI dir = kit.newDir();
    SplittableRandom r = kit.random();
    byte[] data = new byte[(int) Math.min(kit.settings.maxBlobBytes, 3 << 20) + 7];
    r.nextBytes(data);
    String key = "tck/ranged.bin";
    List<String> problems = new ArrayList<>();
    try (ObjectStore raw = kit.raw(dir)) {
      try (ObjectStore.ObjectSink sink = raw.create(key)) {
        ByteBuffer b = ByteBuffer.wrap(data);
        while (b.hasRemaining()) {
          sink.write(b);
        }
        sink.finish();
      }
      raw.sync(List.of(key));
      int n = data.length;
      long[][] ranges = {{0, 10}, {0, n}, {n / 2 - 3, 10}, {7, n / 2 + 1}, {1 + r.nextInt(n - 1), r.nextInt(n)},
          {n - 5, 100}, {n, 5}, {n + 10, 5}, {123, 0}, {5, Long.MAX_VALUE - 5}};
      Optional<FileChannel> file = raw.openFile(key);
      try {
        for (long[] range : ranges) {
          int from = (int) Math.min(range[0], n);
          int to = (int) Math.min(range[0] + range[1], n); // no range here overflows a long
          byte[] expected = Arrays.copyOfRange(data, from, to);
          byte[] got;
          try (ReadableByteChannel in = raw.open(key, range[0], range[1])) {
            got = readAll(in);
          }
          if (!Arrays.equals(got, expected)) {
            problems.add("open(key, " + range[0] + ", " + range[1] + ") returned " + got.length + " bytes"
                + (got.length == expected.length ? " that differ from the object's"
                    : ", expected " + expected.length));
          }
          if (file.isPresent() && range[1] > 0 && from < n) {
            ByteBuffer dst = ByteBuffer.allocate(expected.length);
            while (dst.hasRemaining() && file.get().read(dst, from + dst.position()) >= 0) {
              // positional reads until the range is full or the file ends
            }
            if (!Arrays.equals(Arrays.copyOf(dst.array(), dst.position()), expected)) {
              problems.add("openFile(key).read(dst, " + from + ") of " + expected.length + " bytes returned other "
                  + "bytes");
            }
          }
        }
      } finally {
        if (file.isPresent()) {
          file.get().close();
        }
      }
      String missing = "tck/absent.bin";
      try (ReadableByteChannel in = raw.open(missing, 5, 10)) {
        problems.add("open of absent " + missing + " at a range returned a channel instead of "
            + "NoSuchFileException");
      } catch (NoSuchFileException expected) {
        // right
      }
      try {
        Optional<FileChannel> f = raw.openFile(missing);
        if (f.isPresent()) {
          f.get().close();
          problems.add("openFile of absent " + missing + " returned a file instead of NoSuchFileException");
        }
      } catch (NoSuchFileException expected) {
        // right
      }
      raw.delete(key);
    }
    if (!problems.isEmpty()) {
      throw new AssertionError("R4.4: ranged reads of the backend's ObjectStore are not exact: " + problems + "; "
          + kit.reproduce());
    }
  }

  private static byte[] readAll(ReadableByteChannel in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteBuffer b = ByteBuffer.allocate(64 * 1024);
    while (in.read(b.clear()) >= 0) {
      out.write(b.array(), 0, b.position());
    }
    return out.toByteArray();
  }

  /**
   * Every stored object in turn gets a random bit flipped and then is truncated; reading the checkpoint must
   * then raise CorruptCheckpointException (for the objects holding blob bytes, and whenever anything is wrong)
   * or return exactly the committed data, never wrong data or an untyped error.
   */
  void bitFlipsAndTruncationsDetected() throws Exception {
    kit.assumeRawAccess();
    URI dir = kit.newDir();
    SplittableRandom r = kit.random();
    Content c = new Content("c", Map.of("w0", new long[] {70_001, r.nextLong()}, "d/w1", new long[] {
        1 + r.nextInt(5000), r.nextLong()}, "w2", new long[] {9, r.nextLong()}), Map.of("m", "v"));
    try (CheckpointStore s = kit.open(dir)) {
      c.commit(s);
    }
    Map<String, byte[]> snap = kit.snapshot(dir);
    Map<String, String> blobKeys = blobObjects(snap, c);
    if (blobKeys.size() != c.blobs.size()) {
      throw new AssertionError("R4.2: could not find every blob's bytes as one stored object (found " + blobKeys
          + " among " + snap.keySet() + "); the kit expects each blob's bytes stored contiguously in one object");
    }
    List<String> problems = new ArrayList<>();
    try (ObjectStore raw = kit.raw(dir)) {
      for (Map.Entry<String, byte[]> e : snap.entrySet()) {
        String key = e.getKey();
        byte[] original = e.getValue();
        List<byte[]> mutations = new ArrayList<>();
        List<String> names = new ArrayList<>();
        if (original.length > 0) {
          byte[] flipped = original.clone();
          int bit = r.nextInt(original.length * 8);
          flipped[bit / 8] ^= (byte) (1 << (bit % 8));
          mutations.add(flipped);
          names.add("bit " + bit + " flipped");
          int len = r.nextInt(original.length);
          mutations.add(Arrays.copyOf(original, len));
          names.add("truncated to " + len + " of " + original.length + " bytes");
        }
        for (int i = 0; i < mutations.size(); i++) {
          raw.put(key, mutations.get(i));
          kit.faultTrials.incrementAndGet();
          Map<Content.ReadPath, String> outcomes = readOutcomes(dir, c);
          raw.put(key, original);
          String mutation = names.get(i);
          boolean blob = blobKeys.containsValue(key);
          outcomes.forEach((path, outcome) -> {
            boolean bad = outcome.startsWith("WRONG") || outcome.startsWith("UNTYPED") || (blob
                && !outcome.equals("corrupt"));
            if (bad) {
              problems.add(key + (blob ? " (blob bytes)" : "") + " " + mutation + ", read by " + path + ": "
                  + outcome);
            }
          });
        }
      }
      raw.delete(blobKeys.get("w0"));
      readOutcomes(dir, c).forEach((path, outcome) -> {
        if (!outcome.equals("corrupt")) {
          problems.add(blobKeys.get("w0") + " (blob bytes) deleted, read by " + path + ": " + outcome);
        }
      });
    }
    if (!problems.isEmpty()) {
      throw new AssertionError("R4.2: corruption was not detected with CorruptCheckpointException: " + problems
          + "; " + kit.reproduce());
    }
  }

  /**
   * The largest chunk any read or write path of the spi or the kit's own backends works in (the CRC32 chunk of
   * the spi's verifying reads, 4 MiB; pieces of FileReads 256 KiB; S3 parts in the kit's fixture 5 MiB; GCS
   * upload chunks of at most 8 MiB by default): the large blob of R4.2's large-blob check is more than twice it.
   */
  static final int LARGEST_CHUNK = 4 << 20;

  /**
   * R4.2 for large blobs and for the first, middle and last blob of every read path: a checkpoint of a small
   * first blob, a blob larger than twice every chunk size (and than {@code 2 * maxBlobBytes}), and a last blob;
   * one byte of each (the last byte of each, and for the large one also a byte past its second chunk) is flipped
   * in turn through raw access: reading through {@code openBlob}, {@code readBlobs} and {@code readInto} each
   * raises {@link CorruptCheckpointException}, and whole again once restored.
   */
  void largeFirstMiddleLastBlobsVerified() throws Exception {
    kit.assumeRawAccess();
    SplittableRandom r = kit.random();
    URI dir = kit.newDir();
    long big = 2L * LARGEST_CHUNK + 1 + r.nextInt(64 * 1024);
    Content c = new Content("fml", Map.of("a-first", new long[] {1 + r.nextInt(4096), r.nextLong()}, "m-middle",
        new long[] {big, r.nextLong()}, "z-last", new long[] {1 + r.nextInt(64 * 1024), r.nextLong()}), Map.of());
    try (CheckpointStore s = kit.open(dir)) {
      c.commit(s);
    }
    Map<String, byte[]> snap = kit.snapshot(dir);
    List<String> problems = new ArrayList<>();
    try (ObjectStore raw = kit.raw(dir)) {
      for (Map.Entry<String, long[]> blob : c.blobs.entrySet()) {
        byte[] expected = Content.bytes(blob.getValue()[0], blob.getValue()[1]);
        String key = null;
        int at = -1;
        for (Map.Entry<String, byte[]> o : snap.entrySet()) {
          at = indexOf(o.getValue(), expected);
          if (at >= 0) {
            key = o.getKey();
            break;
          }
        }
        if (key == null) {
          Assumptions.abort("not applicable: blob " + blob.getKey() + " is not stored contiguously "
              + "in one object (the backend transforms the bytes)");
        }
        List<Integer> offsets = new ArrayList<>(List.of(expected.length - 1));
        if (expected.length > 2 * LARGEST_CHUNK) {
          offsets.add(2 * LARGEST_CHUNK + r.nextInt(expected.length - 2 * LARGEST_CHUNK));
        }
        byte[] original = snap.get(key);
        for (int off : offsets) {
          byte[] flipped = original.clone();
          flipped[at + off] ^= 0x01;
          raw.put(key, flipped);
          kit.faultTrials.incrementAndGet();
          Map<Content.ReadPath, String> outcomes;
          try {
            outcomes = readOutcomes(dir, c);
          } finally {
            raw.put(key, original);
          }
          String where = "byte " + off + " of blob " + blob.getKey() + " (" + expected.length + " bytes, in "
              + key + ")";
          outcomes.forEach((path, outcome) -> {
            if (!outcome.equals("corrupt")) {
              problems.add(where + " flipped, read by " + path + ": " + outcome);
            }
          });
        }
      }
    }
    readOutcomes(dir, c).forEach((path, outcome) -> {
      if (!outcome.equals("ok")) {
        problems.add("after restoring every object, read by " + path + ": " + outcome);
      }
    });
    if (!problems.isEmpty()) {
      throw new AssertionError("R4.2: a flipped byte in the first, the large (" + big + " bytes) or the last blob "
          + "was not detected with CorruptCheckpointException: " + problems + "; " + kit.reproduce());
    }
  }

  private static int indexOf(byte[] bytes, byte[] part) {
    outer:
    for (int i = 0; i + part.length <= bytes.length; i++) {
      for (int j = 0; j < part.length; j++) {
        if (bytes[i + j] != part[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  /** Whether {@code bytes} holds {@code part} contiguously. */
  private static boolean contains(byte[] bytes, byte[] part) {
    outer:
    for (int i = 0; i + part.length <= bytes.length; i++) {
      for (int j = 0; j < part.length; j++) {
        if (bytes[i + j] != part[j]) {
          continue outer;
        }
      }
      return true;
    }
    return false;
  }

  /** The stored object holding each blob's bytes contiguously, alone or among others (blob name -> key). */
  static Map<String, String> blobObjects(Map<String, byte[]> snap, Content c) {
    Map<String, String> found = new TreeMap<>();
    c.blobs.forEach((name, v) -> {
      if (v[0] == 0) {
        return;
      }
      byte[] expected = Content.bytes(v[0], v[1]);
      snap.forEach((k, b) -> {
        if (contains(b, expected)) {
          found.put(name, k);
        }
      });
    });
    return found;
  }

  /**
   * R4.3: with keepPrevious, when the latest checkpoint is corrupt (a blob, or any object its commit added),
   * previous() still returns the checkpoint before it, whole.
   */
  void previousIsFallbackWhenLatestCorrupt() throws Exception {
    kit.assumeRawAccess();
    URI dir = kit.newDir();
    Content a = new Content("a", Map.of("w", new long[] {3000, 1}), Map.of());
    Content b = new Content("b", Map.of("w", new long[] {4000, 2}, "v", new long[] {10, 3}), Map.of());
    Map<String, byte[]> afterA;
    try (CheckpointStore s = kit.open(dir, kit.rw(Kit.OWNER).keepPrevious(true).build())) {
      a.commit(s);
      afterA = kit.snapshot(dir);
      b.commit(s);
    }
    Map<String, byte[]> afterB = kit.snapshot(dir);
    List<String> added = new ArrayList<>();
    afterB.forEach((k, v) -> {
      if (!afterA.containsKey(k) && v.length > 0) {
        added.add(k);
      }
    });
    int corruptLatest = 0;
    try (ObjectStore raw = kit.raw(dir)) {
      for (String key : added) {
        byte[] original = afterB.get(key);
        byte[] flipped = original.clone();
        flipped[kit.random().nextInt(flipped.length)] ^= 0x10;
        raw.put(key, flipped);
        try (CheckpointStore s = kit.open(dir, kit.ro().keepPrevious(true).build())) {
          boolean latestCorrupt = false;
          try {
            Optional<Checkpoint> l = s.latest();
            if (l.isPresent()) {
              b.verify(l.get());
            }
          } catch (CorruptCheckpointException e) {
            latestCorrupt = true;
          }
          if (latestCorrupt) {
            corruptLatest++;
            Checkpoint p = s.previous().orElseThrow(() -> new AssertionError("R4.3: with " + key + " corrupted "
                + "the latest checkpoint is corrupt, and previous() is empty instead of the fallback " + a.label));
            // an unreadable record after b's commit record (e.g. a release record) may hide that b is intact:
            // then b is the fallback; otherwise a is
            Content fallback = Content.fromMetadata(p.metadata()).filter(x -> x.label.equals(b.label)).isPresent()
                && !blobObjects(afterB, b).containsValue(key) ? b : a;
            fallback.verify(p);
          }
        } finally {
          raw.put(key, original);
        }
      }
    }
    if (corruptLatest == 0) {
      throw new AssertionError("R4.3: corrupting any of the objects the second commit added " + added
          + " never made the latest checkpoint corrupt");
    }
  }

  // ------------------------------------------------------------------------------------------- R5 / R6.1

  /** Random foreign objects: random names, and names imitating the given layout keys with random contents. */
  static Map<String, byte[]> foreignObjects(SplittableRandom r, List<String> layoutKeys, int n) {
    Map<String, byte[]> foreign = new LinkedHashMap<>();
    String alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    while (foreign.size() < n) {
      String key;
      if (!layoutKeys.isEmpty() && r.nextBoolean()) {
        key = imitate(r, layoutKeys.get(r.nextInt(layoutKeys.size())));
      } else {
        StringBuilder b = new StringBuilder();
        int segs = 1 + r.nextInt(3);
        for (int s = 0; s < segs; s++) {
          if (s > 0) {
            b.append('/');
          }
          int len = 1 + r.nextInt(12);
          for (int i = 0; i < len; i++) {
            b.append(alnum.charAt(r.nextInt(alnum.length())));
          }
          if (r.nextInt(4) == 0) {
            b.append(r.nextBoolean() ? ".json" : ".bin");
          }
        }
        key = b.toString();
      }
      if (layoutKeys.contains(key) || foreign.keySet().stream().anyMatch(k -> k.startsWith(key + "/")
          || key.startsWith(k + "/"))) {
        continue;
      }
      byte[] content = new byte[r.nextInt(300)];
      r.nextBytes(content);
      foreign.put(key, content);
    }
    return foreign;
  }

  /**
   * A key like {@code key}: one digit or hex letter changed, or a similar sibling name. For keys of three or
   * more segments (a blob inside a write's directory) the directory name is changed, not the blob name: an
   * object placed inside a store's own write directory is indistinguishable from its own leftovers (the
   * contract's "out of scope: a malicious party with write access").
   */
  static String imitate(SplittableRandom r, String key) {
    char[] cs = key.toCharArray();
    List<Integer> digits = new ArrayList<>();
    int from = 0;
    int to = cs.length;
    String[] segs = key.split("/");
    if (segs.length >= 3) {
      from = segs[0].length() + 1;
      to = from + segs[1].length();
    }
    for (int i = from; i < to; i++) {
      if (Character.isDigit(cs[i]) || (cs[i] >= 'a' && cs[i] <= 'f')) {
        digits.add(i);
      }
    }
    if (digits.isEmpty()) {
      int slash = key.lastIndexOf('/');
      return key.substring(0, slash + 1) + "x" + key.substring(slash + 1);
    }
    int i = digits.get(r.nextInt(digits.size()));
    char c = cs[i];
    cs[i] = Character.isDigit(c) ? (char) ('0' + (c - '0' + 1 + r.nextInt(9)) % 10) : (c == 'f' ? 'a' : (char) (c
        + 1));
    return new String(cs);
  }

  /**
   * R6.1: backup dirs holding foreign objects are refused with ForeignContentException naming some of them,
   * and every byte stays: (a) random foreign objects in an empty dir, (b) objects named exactly like a real
   * backup dir's layout with random contents, (c) a real backup dir plus foreign objects imitating its names.
   */
  void foreignContentRefused() throws Exception {
    kit.assumeRawAccess();
    SplittableRandom r = kit.random();
    URI real = kit.newDir();
    Content c = kit.smallContent("real");
    try (CheckpointStore s = kit.open(real)) {
      c.commit(s);
    }
    List<String> layout = new ArrayList<>(kit.snapshot(real).keySet());

    URI a = kit.newDir();
    plant(a, foreignObjects(r, List.of(), 1 + r.nextInt(6)));
    expectRefused(a, "(a) random foreign objects");

    URI b = kit.newDir();
    Map<String, byte[]> lookalike = new LinkedHashMap<>();
    for (String k : layout) {
      byte[] junk = new byte[1 + r.nextInt(200)];
      r.nextBytes(junk);
      lookalike.put(k, junk);
    }
    plant(b, lookalike);
    expectRefused(b, "(b) the store's own object names with foreign contents " + layout);

    plant(real, foreignObjects(r, layout, 1 + r.nextInt(4)));
    expectRefused(real, "(c) a backup dir of this owner plus foreign objects imitating its names");
  }

  private void plant(URI dir, Map<String, byte[]> objects) throws IOException {
    try (ObjectStore raw = kit.raw(dir)) {
      for (Map.Entry<String, byte[]> e : objects.entrySet()) {
        raw.put(e.getKey(), e.getValue());
      }
    }
  }

  private void expectRefused(URI dir, String what) throws IOException {
    Map<String, byte[]> before = kit.snapshot(dir);
    try (CheckpointStore s = kit.open(dir)) {
      throw new AssertionError("R6.1: a backup dir holding " + what + " was opened read-write instead of refused"
          + " with ForeignContentException; objects: " + before.keySet() + "; " + kit.reproduce());
    } catch (ForeignContentException e) {
      if (e.offendingNames().isEmpty() || !before.keySet().containsAll(e.offendingNames())) {
        throw new AssertionError("R6.1: ForeignContentException for " + what + " should name some of the "
            + "offending objects " + before.keySet() + ", named " + e.offendingNames());
      }
    }
    kit.assertUnchanged(dir, before, "R6.1 after refusing " + what);
    Map<String, byte[]> after = kit.snapshot(dir);
    if (!after.keySet().equals(before.keySet())) {
      throw new AssertionError("R6.1: refusing " + what + " changed the set of objects: " + before.keySet()
          + " -> " + after.keySet());
    }
  }

  /**
   * R5.1/R5.2: delete() removes everything the store wrote and nothing else: foreign objects with random names
   * added after the store opened are still there byte for byte, and they are all that is left. Foreign objects
   * imitating the store's own names may make delete() refuse with a typed error (they look like another
   * store's records), but they too stay byte for byte.
   */
  void deleteRemovesOwnObjectsOnly() throws Exception {
    kit.assumeRawAccess();
    URI dir = kit.newDir();
    Map<String, byte[]> foreign;
    try (CheckpointStore s = kit.open(dir)) {
      kit.content("doomed").commit(s);
      kit.smallContent("doomed2").commit(s);
      foreign = foreignObjects(kit.random(), List.of(), 1 + kit.random().nextInt(6));
      plant(dir, foreign);
      s.delete();
      s.delete();
    }
    Map<String, byte[]> after = kit.snapshot(dir);
    kit.assertUnchanged(dir, foreign, "R5.2 after delete()");
    if (!after.keySet().equals(foreign.keySet())) {
      List<String> left = new ArrayList<>(after.keySet());
      left.removeAll(foreign.keySet());
      throw new AssertionError("R5.1: after delete() these objects the store wrote are still there: " + left);
    }

    URI dir2 = kit.newDir();
    try (CheckpointStore s = kit.open(dir2)) {
      kit.smallContent("doomed3").commit(s);
      foreign = foreignObjects(kit.random(), new ArrayList<>(kit.snapshot(dir2).keySet()), 2 + kit.random()
          .nextInt(5));
      plant(dir2, foreign);
      try {
        s.delete();
      } catch (CheckpointStoreException refused) {
        // allowed: an imitation of a newer log record looks like another store took over
      }
    }
    kit.assertUnchanged(dir2, foreign, "R5.2 after delete() with foreign objects imitating the "
        + "store's names " + foreign.keySet());

    // Neighbours: foreign objects whose names extend the store's own names or share their directories, planted
    // while the store is open: a delete that removes by prefix, or whole directories, takes them along.
    URI dir3 = kit.newDir();
    Map<String, byte[]> neighbours = new LinkedHashMap<>();
    try (CheckpointStore s = kit.open(dir3)) {
      kit.smallContent("doomed4").commit(s);
      List<String> own = new ArrayList<>(kit.snapshot(dir3).keySet());
      SplittableRandom r = kit.random();
      for (String k : own) {
        String[] segs = k.split("/");
        if (segs.length >= 3) {
          // not inside the store's own write directory (out of scope: indistinguishable from its leftovers),
          // but in a directory whose name extends it
          neighbours.put(segs[0] + "/" + segs[1] + "-copy/" + k.substring(segs[0].length() + segs[1].length()
              + 2), new byte[] {1, (byte) r.nextInt()});
        } else {
          neighbours.put(k + (r.nextBoolean() ? ".bak" : "-copy"), new byte[] {1, (byte) r.nextInt()});
        }
        if (segs.length == 2) {
          neighbours.put(segs[0] + "/README.user", new byte[] {2, (byte) r.nextInt()});
        }
        if (segs.length >= 2) {
          neighbours.put(segs[0] + "s/notes.txt", new byte[] {3});
        }
      }
      plant(dir3, neighbours);
      try {
        s.delete();
      } catch (CheckpointStoreException refused) {
        // allowed: objects next to its own may make the store refuse to delete
      }
    }
    kit.assertUnchanged(dir3, neighbours, "R5.2 after delete() with foreign objects next to the store's own "
        + "(names extending its names, in its directories) " + neighbours.keySet());
  }
}
