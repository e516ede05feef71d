package org.ckpt4j.spi.internal;

import static org.ckpt4j.spi.internal.Layout.DATA_DIR;
import static org.ckpt4j.spi.internal.Layout.LOG_DIR;
import static org.ckpt4j.spi.internal.Layout.dataPrefix;
import static org.ckpt4j.spi.internal.Layout.packKey;
import static org.ckpt4j.spi.internal.Layout.slots;
import static org.ckpt4j.spi.internal.Records.hex8;
import static org.ckpt4j.spi.internal.Records.readSlot;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.ReadableByteChannel;
import java.nio.file.NoSuchFileException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStoreException;
import org.ckpt4j.spi.CorruptCheckpointException;
import org.ckpt4j.spi.SupersededCheckpointException;
import org.ckpt4j.spi.backend.ObjectStore;

/**
 * The read side of a committed checkpoint (docs/contract.md, R4): its blobs are read from their packs (a ranged
 * stream per pack, positional reads of a local pack file by two threads, or scattered into caller buffers), each
 * verified against the size and CRC32 its commit record holds by a {@link VerifyingChannel}; data gone under a
 * reader is reported as superseded when a newer commit exists, else as corrupt.
 */
final class StoredCheckpoint implements Checkpoint {
  private final ObjectStore objects;
  private final URI uri;
  /** The store whose log this checkpoint's record is in (to tell a superseded checkpoint from a corrupt one). */
  private final String storeId;
  private final long seq;
  private final String id;
  /** Whether the packs are directly in data/ (layout 2), else in data/<id>/ (Layout.packKey). */
  private final boolean flat;
  private final Instant time;
  private final Map<String, String> metadata;
  private final Map<String, BlobEntry> blobs;

  StoredCheckpoint(ObjectStore objects, String storeId, long seq, String id, boolean flat, Instant time,
      Map<String, String> metadata, Map<String, BlobEntry> blobs) {
    this.objects = objects;
    this.uri = objects.uri();
    this.storeId = storeId;
    this.seq = seq;
    this.id = id;
    this.flat = flat;
    this.time = time;
    this.metadata = Collections.unmodifiableMap(metadata);
    this.blobs = blobs;
  }

  /** Whether every object holding a blob of the checkpoint is listed. */
  static boolean dataPresent(ObjectStore objects, Records.Decoded d) throws IOException {
    Set<String> needed = new java.util.HashSet<>();
    d.blobs().forEach((name, b) -> needed.add(b.packed() ? packKey(d.id(), d.flat(), (int) b.pack())
        : DATA_DIR + d.id() + "/" + name));
    return new java.util.HashSet<>(objects.list(dataPrefix(d.id(), d.flat()))).containsAll(needed);
  }

  @Override
  public long sequence() {
    return seq;
  }

  @Override
  public String id() {
    return id;
  }

  @Override
  public Instant committedAt() {
    return time;
  }

  @Override
  public Map<String, String> metadata() {
    return metadata;
  }

  /** Built once: callers look blobs up by name in loops (a restore of many tensors checks each). */
  private Map<String, Long> sizes;

  @Override
  public synchronized Map<String, Long> blobs() {
    if (sizes == null) {
      Map<String, Long> m = new TreeMap<>();
      blobs.forEach((k, v) -> m.put(k, v.size()));
      sizes = Collections.unmodifiableMap(m);
    }
    return sizes;
  }

  @Override
  public ReadableByteChannel openBlob(String name) throws IOException {
    BlobEntry expected = blobs.get(name);
    if (expected == null) {
      throw new NoSuchElementException("checkpoint #" + seq + " has no blob \"" + name + "\" (it has "
          + new java.util.TreeSet<>(blobs.keySet()) + ")");
    }
    boolean packed = expected.packed();
    String key = packed ? packKey(id, flat, (int) expected.pack()) : DATA_DIR + id + "/" + name;
    try {
      Optional<FileChannel> file = packed ? objects.openFile(key) : Optional.empty();
      if (file.isPresent()) {
        FileChannel ch = file.get();
        FileReads reads = new FileReads(ch, key);
        return new VerifyingChannel(reads, expected.offset(), () -> {
          reads.close();
          ch.close();
        }, key, expected.size(), expected.crc(), this, uri);
      }
      ReadableByteChannel in = packed ? objects.open(key, expected.offset(), expected.size()) : objects.open(key);
      return new VerifyingChannel(in, key, expected.size(), expected.crc(), this, uri);
    } catch (NoSuchFileException e) {
      throw missing(key);
    }
  }

  /** Blobs stored in the same pack are read in one ranged stream, in offset order. */
  @Override
  public void readBlobs(Collection<String> names, BlobReader reader) throws IOException {
    for (Map.Entry<Long, List<Map.Entry<String, BlobEntry>>> group : byPack(names).entrySet()) {
      List<Map.Entry<String, BlobEntry>> inPack = group.getValue();
      if (group.getKey() < 0) { // records from before packs: an object per blob
        Checkpoint.super.readBlobs(names(inPack), reader);
        continue;
      }
      long start = inPack.get(0).getValue().offset();
      long end = 0;
      for (Map.Entry<String, BlobEntry> b : inPack) {
        end = Math.max(end, b.getValue().end());
      }
      String key = packKey(id, flat, group.getKey().intValue());
      Optional<FileChannel> file = openPackFile(key);
      if (file.isPresent()) { // a local file: each blob read by position, by two threads
        try (FileChannel ch = file.get(); FileReads reads = new FileReads(ch, key)) {
          for (Map.Entry<String, BlobEntry> b : inPack) {
            BlobEntry e = b.getValue();
            readOne(b.getKey(), new VerifyingChannel(reads, e.offset(), null, key, e.size(), e.crc(), this, uri),
                reader);
          }
        }
        continue;
      }
      ReadableByteChannel pack;
      try {
        pack = objects.open(key, start, end - start);
      } catch (NoSuchFileException e) {
        throw missing(key);
      }
      try (ReadableByteChannel in = pack) {
        long position = start;
        ByteBuffer scratch = null;
        for (Map.Entry<String, BlobEntry> b : inPack) {
          String n = b.getKey();
          BlobEntry e = b.getValue();
          for (long gap = e.offset() - position; gap > 0; ) { // blobs not asked for
            scratch = scratch != null ? scratch : ByteBuffer.allocate(64 * 1024);
            scratch.clear().limit((int) Math.min(scratch.capacity(), gap));
            int r = readOrMissing(in, scratch, key);
            if (r < 0) {
              break; // the pack is short: the blob's channel reports the truncation
            }
            gap -= r;
            position += r;
          }
          VerifyingChannel blob = new VerifyingChannel(new RangeChannel(new Unclosable(in), e.size()), key, e.size(),
              e.crc(), this, uri);
          readOne(n, blob, reader);
          position = Math.max(position, e.offset() + blob.read);
        }
      }
    }
  }

  /**
   * Blobs of a local pack file are read by position by two threads taking whole blobs (pieces of large ones)
   * in file order, each checksummed as it arrives; other packs go through {@link #readBlobs}.
   */
  @Override
  public void readInto(Map<String, List<ByteBuffer>> targets) throws IOException {
    Scatter.check(this, targets, name -> {
      BlobEntry e = blobs.get(name);
      return e == null ? -1 : e.size();
    });
    for (Map.Entry<Long, List<Map.Entry<String, BlobEntry>>> group : byPack(targets.keySet()).entrySet()) {
      List<Map.Entry<String, BlobEntry>> inPack = group.getValue();
      String key = group.getKey() < 0 ? null : packKey(id, flat, group.getKey().intValue());
      // (no key: a record from before packs, an object per blob)
      Optional<FileChannel> file = key == null ? Optional.empty() : openPackFile(key);
      if (file.isEmpty()) {
        readBlobs(names(inPack), (name, ch) -> Scatter.fill(name, ch, targets.get(name)));
        continue;
      }
      try (FileChannel ch = file.get(); FileReads reads = new FileReads(ch, key)) {
        readScattered(reads, key, inPack, targets);
      }
    }
  }

  /**
   * One pack's blobs into their buffers, then each verified against its size and CRC32. A buffer of at most
   * one piece is read into as it is (no view of it is made: a restore of many small tensors is mostly such
   * buffers, mostly before the JIT has compiled anything); a larger one through a view per piece.
   */
  private void readScattered(FileReads reads, String key, List<Map.Entry<String, BlobEntry>> inPack,
      Map<String, List<ByteBuffer>> targets) throws IOException {
    List<List<ByteBuffer>> buffers = new ArrayList<>(inPack.size());
    int pieces = 0;
    for (Map.Entry<String, BlobEntry> b : inPack) {
      List<ByteBuffer> bs = targets.get(b.getKey());
      buffers.add(bs);
      for (ByteBuffer t : bs) {
        pieces += (t.remaining() + FileReads.PIECE - 1) / FileReads.PIECE;
      }
    }
    long[] positions = new long[pieces];
    ByteBuffer[] views = new ByteBuffer[pieces];
    int[] lengths = new int[pieces];
    int[] firstPiece = new int[inPack.size() + 1];
    long total = 0;
    int k = 0;
    for (int i = 0; i < inPack.size(); i++) {
      firstPiece[i] = k;
      long position = inPack.get(i).getValue().offset();
      for (ByteBuffer t : buffers.get(i)) {
        int remaining = t.remaining();
        if (remaining <= FileReads.PIECE) {
          if (remaining > 0) {
            views[k] = t;
            positions[k] = position;
            lengths[k] = remaining;
            position += remaining;
            total += remaining;
            k++;
          }
          continue;
        }
        for (int at = t.position(); at < t.limit(); at += FileReads.PIECE) {
          int length = Math.min(FileReads.PIECE, t.limit() - at);
          views[k] = t.duplicate().limit(at + length).position(at);
          positions[k] = position;
          lengths[k] = length;
          position += length;
          total += length;
          k++;
        }
      }
    }
    firstPiece[inPack.size()] = k;
    int[] counts = new int[pieces];
    long[] crcs = new long[pieces];
    reads.readPieces(positions, views, counts, crcs, total);
    for (int i = 0; i < inPack.size(); i++) {
      BlobEntry e = inPack.get(i).getValue();
      long read = 0;
      long value = 0;
      for (int p = firstPiece[i]; p < firstPiece[i + 1]; p++) {
        value = p == firstPiece[i] ? crcs[p] : Checksums.combine(value, crcs[p], counts[p]);
        read += counts[p];
        if (counts[p] < lengths[p]) {
          break; // the file ends here
        }
      }
      if (read != e.size()) {
        throw new CorruptCheckpointException(uri, key, "blob \"" + inPack.get(i).getKey() + "\" truncated: "
            + read + " of " + e.size() + " bytes");
      }
      if (value != e.crc()) {
        throw new CorruptCheckpointException(uri, key, "blob \"" + inPack.get(i).getKey() + "\": CRC32 "
            + "mismatch: recorded " + hex8(e.crc()) + ", read " + hex8(value));
      }
    }
    for (List<ByteBuffer> bs : buffers) { // a buffer read into as it is ends there already; one read by views not
      for (ByteBuffer t : bs) {
        t.position(t.limit());
      }
    }
  }

  /**
   * The named blobs (each once) by pack, in pack order, each pack's in offset order.
   * @throws NoSuchElementException if a name is not a blob of this checkpoint
   */
  private Map<Long, List<Map.Entry<String, BlobEntry>>> byPack(Collection<String> names) {
    Map<Long, List<Map.Entry<String, BlobEntry>>> byPack = new TreeMap<>();
    for (String name : names instanceof java.util.Set ? names : new java.util.LinkedHashSet<>(names)) {
      BlobEntry e = blobs.get(name);
      if (e == null) {
        throw new NoSuchElementException("checkpoint #" + seq + " has no blob \"" + name + "\" (it has "
            + new java.util.TreeSet<>(blobs.keySet()) + ")");
      }
      byPack.computeIfAbsent(e.pack(), p -> new ArrayList<>()).add(Map.entry(name, e));
    }
    byPack.values().forEach(l -> l.sort(java.util.Comparator.comparingLong(b -> b.getValue().offset())));
    return byPack;
  }

  private static List<String> names(List<Map.Entry<String, BlobEntry>> inPack) {
    List<String> names = new ArrayList<>();
    inPack.forEach(b -> names.add(b.getKey()));
    return names;
  }

  /** The pack's file where the backend has one. @throws CheckpointStoreException if the pack is gone */
  private Optional<FileChannel> openPackFile(String key) throws IOException {
    try {
      return objects.openFile(key);
    } catch (NoSuchFileException e) {
      throw missing(key);
    }
  }

  /** Hands one blob to the reader, then reads and verifies what it left. */
  private void readOne(String name, VerifyingChannel blob, BlobReader reader) throws IOException {
    try (ReadableByteChannel view = new Unclosable(blob)) {
      reader.read(name, view);
    }
    if (blob.verified) {
      return;
    }
    ByteBuffer rest = ByteBuffer.allocate((int) Math.min(64 * 1024, Math.max(1, blob.size - blob.read)));
    while (blob.read(rest.clear()) >= 0) {
      // the rest of the blob, verified at its end
    }
  }

  private int readOrMissing(ReadableByteChannel in, ByteBuffer dst, String key) throws IOException {
    try {
      return in.read(dst);
    } catch (NoSuchFileException e) {
      throw missing(key);
    }
  }

  /** Superseded if a newer commit exists, else corrupt: the data of the current checkpoint is gone. */
  CheckpointStoreException missing(String key) throws IOException {
    // Data is removed only after a newer commit (or a delete) was recorded; records seen in the listing but
    // gone when read were pruned by yet newer commits, so list again until the picture is consistent.
    long start = System.nanoTime();
    for (int attempt = 0; ; attempt++) {
      boolean vanished = false;
      List<Long> seqs = slots(objects, LOG_DIR);
      for (int k = seqs.size() - 1; k >= 0 && seqs.get(k) > seq; k--) {
        LogRecord rec = readSlot(objects, storeId, seqs.get(k));
        if (rec == null) {
          vanished = true;
        } else if (rec instanceof LogRecord.Commit || rec instanceof LogRecord.Tombstone) {
          return new SupersededCheckpointException(uri, seq, "checkpoint #" + seq + " was superseded by #"
              + seqs.get(k) + " and its data removed; call latest() again");
        }
      }
      if (!vanished) {
        break;
      }
      CommitLog.relistPause(uri, attempt, start);
    }
    return new CorruptCheckpointException(uri, key, "blob of checkpoint #" + seq + " is missing");
  }

  @Override
  public String toString() {
    return "Checkpoint#" + seq + "[" + id + ", " + blobs.size() + " blobs]";
  }
}
