package org.ckpt4j.tck;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointWriter;

/**
 * A self-describing checkpoint the kit writes: blob bytes are a function of (seed, offset), and the metadata key
 * {@value #SPEC} describes every blob, so any reader (also a child JVM) can verify what it reads without holding
 * the bytes.
 */
final class Content {
  static final String SPEC = "ckpt4j.tck.spec";
  static final String LABEL = "ckpt4j.tck.label";
  private static final int CHUNK = 64 * 1024;

  final String label;
  /** blob name -> {size, seed}. */
  final Map<String, long[]> blobs;
  final Map<String, String> userMetadata;

  Content(String label, Map<String, long[]> blobs, Map<String, String> userMetadata) {
    this.label = label;
    this.blobs = Collections.unmodifiableMap(new TreeMap<>(blobs));
    this.userMetadata = Collections.unmodifiableMap(new TreeMap<>(userMetadata));
  }

  /** A random checkpoint of 0..maxBlobs blobs, sizes skewed small with the odd large one up to maxBytes. */
  static Content random(String label, SplittableRandom r, int maxBlobs, long maxBytes) {
    Map<String, long[]> blobs = new TreeMap<>();
    int n = r.nextInt(maxBlobs + 1);
    for (int i = 0; i < n; i++) {
      blobs.put(randomName(r, i), new long[] {randomSize(r, maxBytes), r.nextLong()});
    }
    Map<String, String> meta = new TreeMap<>();
    if (r.nextBoolean()) {
      meta.put("epoch", Integer.toString(r.nextInt(1000)));
      meta.put("note \u00e9\u6f22", "value with spaces, \"quotes\" and \u00fcnicode " + r.nextInt());
    }
    return new Content(label, blobs, meta);
  }

  /**
   * This content with at least one blob of 1..64 KiB bytes added when it has no non-empty blob, so that a rule's
   * random input is never trivially empty (a rule that passes on empty contents may have checked nothing).
   */
  Content nonEmpty(SplittableRandom r) {
    if (blobs.values().stream().anyMatch(v -> v[0] > 0)) {
      return this;
    }
    Map<String, long[]> more = new TreeMap<>(blobs);
    more.put("nonempty" + more.size(), new long[] {1 + r.nextInt(64 * 1024), r.nextLong()});
    return new Content(label, more, userMetadata);
  }

  /** This content with small blobs added until it has at least {@code n}. */
  Content withBlobs(int n, SplittableRandom r) {
    if (blobs.size() >= n) {
      return this;
    }
    Map<String, long[]> more = new TreeMap<>(blobs);
    for (int i = 0; more.size() < n; i++) {
      more.put("extra" + i, new long[] {1 + r.nextInt(4096), r.nextLong()});
    }
    return new Content(label, more, userMetadata);
  }

  static String randomName(SplittableRandom r, int i) {
    String[] segs = {"w", "layer0", "opt", "a.b", "x_y-z", ".hidden", "m", "Z9"};
    StringBuilder b = new StringBuilder();
    int depth = r.nextInt(3);
    for (int d = 0; d < depth; d++) {
      b.append(segs[r.nextInt(segs.length)]).append('/');
    }
    return b.append("blob").append(i).append(r.nextBoolean() ? ".bin" : "").toString();
  }

  static long randomSize(SplittableRandom r, long maxBytes) {
    int pick = r.nextInt(10);
    long size;
    if (pick == 0) {
      size = 0;
    } else if (pick < 7) {
      size = r.nextInt(4096);
    } else if (pick < 9) {
      size = r.nextInt(256 * 1024);
    } else {
      size = r.nextLong(Math.max(1, maxBytes) + 1);
    }
    return Math.min(size, maxBytes);
  }

  long totalBytes() {
    return blobs.values().stream().mapToLong(v -> v[0]).sum();
  }

  Map<String, String> metadata() {
    Map<String, String> m = new TreeMap<>(userMetadata);
    m.put(LABEL, label);
    StringBuilder spec = new StringBuilder();
    blobs.forEach((name, v) -> spec.append(spec.length() == 0 ? "" : ",").append(name).append('=').append(v[0])
        .append('@').append(v[1]));
    m.put(SPEC, spec.toString());
    return m;
  }

  /** Parses the content a checkpoint claims to hold, from its metadata. */
  static Optional<Content> fromMetadata(Map<String, String> metadata) {
    String label = metadata.get(LABEL);
    String spec = metadata.get(SPEC);
    if (label == null || spec == null) {
      return Optional.empty();
    }
    Map<String, long[]> blobs = new TreeMap<>();
    if (!spec.isEmpty()) {
      for (String item : spec.split(",")) {
        int eq = item.lastIndexOf('=');
        int at = item.lastIndexOf('@');
        blobs.put(item.substring(0, eq), new long[] {Long.parseLong(item.substring(eq + 1, at)),
            Long.parseLong(item.substring(at + 1))});
      }
    }
    Map<String, String> user = new TreeMap<>(metadata);
    user.remove(LABEL);
    user.remove(SPEC);
    return Optional.of(new Content(label, blobs, user));
  }

  /** Writes every blob (streamed) into the writer. */
  void writeBlobs(CheckpointWriter w) throws IOException {
    for (Map.Entry<String, long[]> e : blobs.entrySet()) {
      try (WritableByteChannel ch = w.newBlob(e.getKey())) {
        stream(ch, e.getValue()[0], e.getValue()[1], Long.MAX_VALUE);
      }
    }
  }

  /** Begins, writes and commits this content. */
  Checkpoint commit(CheckpointStore store) throws IOException {
    try (CheckpointWriter w = store.begin()) {
      writeBlobs(w);
      return w.commit(metadata());
    }
  }

  /**
   * Streams {@code size} bytes of the blob with {@code seed} into {@code ch}, stopping (and returning false)
   * once {@code stopAt} bytes were written.
   */
  static boolean stream(WritableByteChannel ch, long size, long seed, long stopAt) throws IOException {
    return streamRange(ch, size, seed, 0, stopAt);
  }

  /** Streams bytes [from, min(size, to)) of the blob; returns whether the blob's end was reached. */
  static boolean streamRange(WritableByteChannel ch, long size, long seed, long from, long to)
      throws IOException {
    SplittableRandom r = new SplittableRandom(seed);
    byte[] buf = new byte[CHUNK];
    long end = Math.min(size, to);
    for (long pos = 0; pos < end; pos += CHUNK) {
      int n = (int) Math.min(CHUNK, size - pos);
      fill(r, buf, n);
      long lo = Math.max(pos, from);
      long hi = Math.min(pos + n, end);
      if (hi > lo) {
        writeFully(ch, ByteBuffer.wrap(buf, (int) (lo - pos), (int) (hi - lo)));
      }
    }
    return end == size;
  }

  private static void writeFully(WritableByteChannel ch, ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      ch.write(b);
    }
  }

  private static void fill(SplittableRandom r, byte[] buf, int n) {
    for (int i = 0; i < n; i += 8) {
      long v = r.nextLong();
      for (int j = 0; j < 8 && i + j < n; j++) {
        buf[i + j] = (byte) (v >>> (8 * j));
      }
    }
  }

  /** The bytes of one blob (for small blobs and for planting). */
  static byte[] bytes(long size, long seed) {
    byte[] out = new byte[Math.toIntExact(size)];
    SplittableRandom r = new SplittableRandom(seed);
    byte[] buf = new byte[CHUNK];
    for (int off = 0; off < out.length; off += CHUNK) {
      int n = Math.min(CHUNK, out.length - off);
      fill(r, buf, n);
      System.arraycopy(buf, 0, out, off, n);
    }
    return out;
  }

  /** The ways a checkpoint's blobs are read; R4 holds for each. */
  enum ReadPath {
    /** {@link Checkpoint#openBlob}, blob by blob. */
    OPEN_BLOB,
    /** {@link Checkpoint#readBlobs}, all at once, as a restore reads blobs of unknown shape. */
    READ_BLOBS,
    /** {@link Checkpoint#readInto}, each blob scattered over two buffers, as a restore reads tensors. */
    READ_INTO
  }

  /**
   * Reads the checkpoint whole, every way ({@link ReadPath}), and checks it is exactly this content: metadata,
   * blob names and sizes, bytes. Store errors (typed) propagate; a mismatch is an {@link AssertionError} saying
   * what was observed.
   */
  void verify(Checkpoint cp) throws IOException {
    for (ReadPath path : ReadPath.values()) {
      verify(cp, path);
    }
  }

  /** {@link #verify(Checkpoint)}, reading the blobs one way. */
  void verify(Checkpoint cp, ReadPath path) throws IOException {
    Optional<Content> claimed = fromMetadata(cp.metadata());
    if (claimed.isEmpty() || !claimed.get().label.equals(label)) {
      throw new AssertionError("expected checkpoint " + describe() + " but the store returned one with metadata "
          + cp.metadata().keySet() + (claimed.isPresent() ? " labelled " + claimed.get().label : ""));
    }
    if (!cp.metadata().equals(metadata())) {
      throw new AssertionError("checkpoint " + label + ": metadata differs: expected " + metadata() + ", observed "
          + cp.metadata());
    }
    Map<String, Long> sizes = new TreeMap<>();
    blobs.forEach((k, v) -> sizes.put(k, v[0]));
    if (!cp.blobs().equals(sizes)) {
      throw new AssertionError("checkpoint " + label + ": a mix or a partial checkpoint: expected blobs " + sizes
          + ", observed " + cp.blobs());
    }
    switch (path) {
      case OPEN_BLOB -> {
        for (Map.Entry<String, long[]> e : blobs.entrySet()) {
          try (ReadableByteChannel ch = cp.openBlob(e.getKey())) {
            verifyBlob(label, e.getKey(), ch, e.getValue()[0], e.getValue()[1]);
          }
        }
      }
      case READ_BLOBS -> verifyReadBlobs(cp);
      case READ_INTO -> verifyReadInto(cp);
    }
  }

  private void verifyReadBlobs(Checkpoint cp) throws IOException {
    Map<String, Integer> seen = new TreeMap<>();
    cp.readBlobs(blobs.keySet(), (name, ch) -> {
      seen.merge(name, 1, Integer::sum);
      long[] v = blobs.get(name);
      if (v == null) {
        throw new AssertionError("checkpoint " + label + ": readBlobs handed over blob \"" + name
            + "\", which was not asked for");
      }
      verifyBlob(label, name, ch, v[0], v[1]);
    });
    Map<String, Integer> once = new TreeMap<>();
    blobs.keySet().forEach(n -> once.put(n, 1));
    if (!seen.equals(once)) {
      throw new AssertionError("checkpoint " + label + ": readBlobs should hand over each blob asked for once: "
          + "asked " + blobs.keySet() + ", handed over " + seen);
    }
  }

  private void verifyReadInto(Checkpoint cp) throws IOException {
    Map<String, List<ByteBuffer>> targets = new TreeMap<>();
    blobs.forEach((name, v) -> {
      int size = Math.toIntExact(v[0]);
      int head = (int) Math.floorMod(v[1], (long) size + 1); // a seeded split: anywhere, either part empty
      targets.put(name, List.of(ByteBuffer.allocate(head), ByteBuffer.allocateDirect(size - head)));
    });
    cp.readInto(targets);
    targets.forEach((name, buffers) -> {
      long[] v = blobs.get(name);
      byte[] got = new byte[Math.toIntExact(v[0])];
      ByteBuffer head = buffers.get(0);
      ByteBuffer tail = buffers.get(1);
      if (head.hasRemaining() || tail.hasRemaining()) {
        throw new AssertionError("checkpoint " + label + ": readInto left " + (head.remaining() + tail.remaining())
            + " bytes of blob \"" + name + "\"'s buffers unfilled");
      }
      head.flip().get(got, 0, head.remaining());
      tail.flip().get(got, head.limit(), tail.remaining());
      if (!java.util.Arrays.equals(got, bytes(v[0], v[1]))) {
        throw new AssertionError("checkpoint " + label + ": readInto returned wrong bytes for blob \"" + name
            + "\"");
      }
    });
  }

  static void verifyBlob(String label, String name, ReadableByteChannel ch, long size, long seed)
      throws IOException {
    // Read to the end before judging: the contract lets a store raise CorruptCheckpointException as late as
    // the read that reaches the end, and a caller must not use data before that.
    SplittableRandom r = new SplittableRandom(seed);
    byte[] expected = new byte[CHUNK];
    ByteBuffer got = ByteBuffer.allocate(CHUNK);
    long pos = 0;
    String mismatch = null;
    while (true) {
      got.clear();
      int n = ch.read(got);
      if (n < 0) {
        break;
      }
      got.flip();
      while (got.hasRemaining()) {
        byte b = got.get();
        if (pos >= size) {
          if (mismatch == null) {
            mismatch = "returned more than the " + size + " bytes committed (observed a byte at offset " + pos
                + ")";
          }
          pos++;
          continue;
        }
        int chunkOff = (int) (pos % CHUNK);
        if (chunkOff == 0) {
          fill(r, expected, (int) Math.min(CHUNK, size - pos));
        }
        if (mismatch == null && b != expected[chunkOff]) {
          mismatch = "returned wrong data at offset " + pos + " of " + size + " (expected byte "
              + expected[chunkOff] + ", observed " + b + ") and no CorruptCheckpointException by the end of the "
              + "blob: unverified or mixed data was returned as good";
        }
        pos++;
      }
    }
    if (mismatch == null && pos != size) {
      mismatch = "returned " + pos + " bytes, committed " + size + ", without CorruptCheckpointException: a "
          + "partial blob was returned as good";
    }
    if (mismatch != null) {
      throw new AssertionError("checkpoint " + label + ", blob " + name + ": " + mismatch);
    }
  }

  String describe() {
    List<String> parts = new ArrayList<>();
    blobs.forEach((k, v) -> parts.add(k + " (" + v[0] + " B)"));
    return "'" + label + "' " + parts;
  }

  @Override
  public String toString() {
    return describe();
  }
}
