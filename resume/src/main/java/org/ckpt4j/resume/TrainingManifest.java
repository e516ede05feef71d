package org.ckpt4j.resume;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CorruptCheckpointException;

/**
 * A checkpoint's {@code manifest.json}, typed: the run's identity, the position, the RNG's and optimizer's
 * scalars, every tensor's type and shape and the stateful callbacks' values. Every field is checked for its type
 * and range (and, by a resume, against the run) before anything is used. A manifest is data read from storage:
 * its checksum proves only that it is what was written. A violation is a {@link CorruptCheckpointException} on
 * {@code manifest.json} whose message starts with {@code field <path>:}, so that a kept previous checkpoint can
 * be used instead, as for any other unreadable checkpoint. {@link BackupAndRestore} writes it.
 */
public final class TrainingManifest {
  /** The manifest layout this module writes and reads. */
  public static final String FORMAT = "ckpt4j-resume/1";
  /** The same layout, as the ND4J trainer named it before this module existed: still read. */
  static final String LEGACY_FORMAT = "ckpt4j-trainer/1";
  static final Set<String> TOP_LEVEL = Set.of("format", "fingerprint", "numericEnvironment", "position", "rng",
      "optimizer", "tensors", "callbacks");
  private static final Set<String> POSITION = Set.of("epoch", "batch", "epochStarted", "globalStep",
      "batchesPerEpoch", "lossSum", "correctSum", "seen");

  private final URI uri;
  private final String fingerprint;
  private final Map<String, String> environment;
  private final TrainingPosition position;
  private final Map<String, Long> rng;
  private final OptimizerInfo optimizer;
  private final Map<String, Npy.Header> tensors;
  private final Map<String, CallbackEntry> callbacks;

  /** A stateful callback's saved state as the manifest lists it: JSON values and the names of its tensors. */
  public record CallbackEntry(Map<String, Object> values, List<String> tensors) {}

  /**
   * Reads and checks the manifest of {@code cp} (without restoring anything).
   *
   * @param uri the backup dir, for error messages
   * @throws CorruptCheckpointException if the manifest is missing, unreadable or has a field out of range
   * @throws org.ckpt4j.spi.SupersededCheckpointException if a newer commit removed the checkpoint meanwhile
   */
  public static TrainingManifest read(Checkpoint cp, URI uri) throws IOException {
    Map<String, Long> sizes = cp.blobs();
    Long size = sizes.get(BlobLayout.MANIFEST);
    if (size == null) {
      throw new CorruptCheckpointException(uri, BlobLayout.MANIFEST, "missing from checkpoint #"
          + cp.sequence() + " (not written by ckpt4j's BackupAndRestore?)");
    }
    if (size > 64L << 20) {
      throw new CorruptCheckpointException(uri, BlobLayout.MANIFEST, "implausibly large (" + size + " bytes)");
    }
    ByteBuffer b = ByteBuffer.allocate((int) size.longValue());
    try (ReadableByteChannel ch = cp.openBlob(BlobLayout.MANIFEST)) {
      Npy.readFully(ch, b, uri, BlobLayout.MANIFEST);
      if (ch.read(ByteBuffer.allocate(1)) >= 0) {
        throw new CorruptCheckpointException(uri, BlobLayout.MANIFEST, "longer than recorded");
      }
    }
    return parse(b.array(), uri, sizes);
  }

  /**
   * Parses and checks what a manifest can say about itself: types, ranges, the consistency of the position,
   * and that its tensor list is exactly the checkpoint's blobs, each entry matching the blob's size.
   *
   * @param blobSizes the checkpoint's blobs and their sizes
   */
  public static TrainingManifest parse(byte[] json, URI uri, Map<String, Long> blobSizes)
      throws CorruptCheckpointException {
    Object root;
    try {
      root = JsonCodec.parse(json);
    } catch (IllegalArgumentException e) {
      throw new CorruptCheckpointException(uri, BlobLayout.MANIFEST, "unreadable manifest: " + e.getMessage(), e);
    }
    return new TrainingManifest(new Fields(uri), root, blobSizes);
  }

  private TrainingManifest(Fields f, Object root, Map<String, Long> blobSizes) throws CorruptCheckpointException {
    this.uri = f.uri;
    Map<String, Object> m = f.object(root, "(root)");
    f.onlyKeys(m, TOP_LEVEL, "");
    String format = f.string(m, "format", "");
    if (!FORMAT.equals(format) && !LEGACY_FORMAT.equals(format)) {
      throw f.bad("format", "\"" + Fields.abbreviate(format) + "\" is not " + FORMAT);
    }
    fingerprint = f.string(m, "fingerprint", "");
    Map<String, Object> env = f.object(m.get("numericEnvironment"), "numericEnvironment");
    Map<String, String> e = new LinkedHashMap<>();
    for (Map.Entry<String, Object> v : env.entrySet()) {
      if (!(v.getValue() instanceof String)) {
        throw f.bad("numericEnvironment." + v.getKey(), "must be a string");
      }
      e.put(v.getKey(), (String) v.getValue());
    }
    environment = Collections.unmodifiableMap(e);
    position = position(f, f.object(m.get("position"), "position"));

    Map<String, Object> r = f.object(m.get("rng"), "rng");
    Map<String, Long> states = new LinkedHashMap<>();
    for (String k : r.keySet()) {
      states.put(k, f.integer(r, k, "rng.", Long.MIN_VALUE, Long.MAX_VALUE));
    }
    rng = Collections.unmodifiableMap(states);

    Map<String, Object> opt = f.object(m.get("optimizer"), "optimizer");
    f.onlyKeys(opt, Set.of("config", "step", "learningRate"), "optimizer.");
    optimizer = new OptimizerInfo(f.string(opt, "config", "optimizer."),
        f.integer(opt, "step", "optimizer.", position.globalStep(), Long.MAX_VALUE),
        f.decimal(opt, "learningRate", "optimizer.", 0));

    tensors = tensors(f, f.object(m.get("tensors"), "tensors"), blobSizes);
    callbacks = callbacks(f, f.object(m.get("callbacks"), "callbacks"));
  }

  private static TrainingPosition position(Fields f, Map<String, Object> p) throws CorruptCheckpointException {
    f.onlyKeys(p, POSITION, "position.");
    int batchesPerEpoch = (int) f.integer(p, "batchesPerEpoch", "position.", 1, Integer.MAX_VALUE);
    int epoch = (int) f.integer(p, "epoch", "position.", 0, Integer.MAX_VALUE - 1);
    int batch = (int) f.integer(p, "batch", "position.", 0, batchesPerEpoch);
    boolean epochStarted = f.bool(p, "epochStarted", "position.");
    if (!epochStarted && batch != 0) {
      throw f.bad("position.batch", batch + " but the epoch has not started (position.epochStarted false)");
    }
    long globalStep = f.integer(p, "globalStep", "position.", 0, Long.MAX_VALUE);
    if (globalStep != (long) epoch * batchesPerEpoch + batch) {
      throw f.bad("position.globalStep", globalStep + " is not epoch * batchesPerEpoch + batch = " + epoch + " * "
          + batchesPerEpoch + " + " + batch);
    }
    long seen = f.integer(p, "seen", "position.", 0, Integer.MAX_VALUE);
    double lossSum = f.decimal(p, "lossSum", "position.", 0);
    double correctSum = f.decimal(p, "correctSum", "position.", 0);
    if (correctSum > seen) {
      throw f.bad("position.correctSum", correctSum + " exceeds the samples seen (" + seen + ")");
    }
    return new TrainingPosition(epoch, batch, epochStarted, globalStep, batchesPerEpoch, seen, lossSum,
        correctSum);
  }

  private static Map<String, Npy.Header> tensors(Fields f, Map<String, Object> t, Map<String, Long> blobSizes)
      throws CorruptCheckpointException {
    Map<String, Npy.Header> result = new LinkedHashMap<>();
    for (String blob : blobSizes.keySet()) {
      if (!blob.equals(BlobLayout.MANIFEST) && !t.containsKey(blob)) {
        throw f.bad("tensors", "does not list the checkpoint's blob " + blob);
      }
    }
    for (Map.Entry<String, Object> e : t.entrySet()) {
      String path = "tensors[" + e.getKey() + "]";
      Long size = blobSizes.get(e.getKey());
      if (size == null || e.getKey().equals(BlobLayout.MANIFEST)) {
        throw f.bad(path, "names no tensor blob of the checkpoint");
      }
      Map<String, Object> entry = f.object(e.getValue(), path);
      f.onlyKeys(entry, Set.of("dtype", "shape"), path + ".");
      String descr = f.string(entry, "dtype", path + ".");
      DType type = DType.ofDescr(descr);
      if (type == null) {
        throw f.bad(path + ".dtype", "\"" + Fields.abbreviate(descr) + "\" is not one of " + DType.accepted());
      }
      long[] shape = f.shape(entry.get("shape"), path + ".shape");
      long expected;
      try {
        expected = Npy.blobSize(type, shape);
      } catch (ArithmeticException x) {
        throw f.bad(path + ".shape", Arrays.toString(shape) + " is too large");
      }
      if (expected != size) {
        throw f.bad(path + ".shape", Arrays.toString(shape) + " of " + descr + " takes " + expected
            + " bytes as .npy, but the blob has " + size);
      }
      result.put(e.getKey(), new Npy.Header(type, shape));
    }
    return Collections.unmodifiableMap(result);
  }

  @SuppressWarnings("unchecked")
  private Map<String, CallbackEntry> callbacks(Fields f, Map<String, Object> c) throws CorruptCheckpointException {
    Map<String, CallbackEntry> result = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : c.entrySet()) {
      String path = "callbacks[" + Fields.abbreviate(e.getKey()) + "]";
      if (!CallbackState.validName(e.getKey())) {
        throw f.bad(path, "is not a valid state key ([A-Za-z0-9._-]{1,100})");
      }
      Map<String, Object> entry = f.object(e.getValue(), path);
      f.onlyKeys(entry, Set.of("values", "tensors"), path + ".");
      Map<String, Object> values = f.object(entry.get("values"), path + ".values");
      if (!(entry.get("tensors") instanceof List)) {
        throw f.bad(path + ".tensors", "must be a list of tensor names");
      }
      List<String> names = new ArrayList<>();
      for (Object n : (List<Object>) entry.get("tensors")) {
        if (!(n instanceof String) || !CallbackState.validName((String) n) || names.contains(n)) {
          throw f.bad(path + ".tensors", "holds " + Fields.abbreviate(String.valueOf(n))
              + ", not a unique name matching [A-Za-z0-9._-]{1,100}");
        }
        if (!tensors.containsKey(BlobLayout.callback(e.getKey(), (String) n))) {
          throw f.bad(path + ".tensors", "names " + n + ", which is not among the checkpoint's tensors");
        }
        names.add((String) n);
      }
      result.put(e.getKey(), new CallbackEntry(values, List.copyOf(names)));
    }
    return Collections.unmodifiableMap(result);
  }

  /**
   * Checks the manifest against the run resuming from it: identity, the data set's batches and size, the
   * optimizer, the RNG's state names, and that the model's, optimizer's and data order's tensors are exactly
   * those the run has.
   */
  void check(String fingerprint, RunShape shape, String optimizerConfig, Set<String> rngNames,
      Map<String, Npy.Header> expected) throws CorruptCheckpointException {
    Fields f = new Fields(uri);
    if (!fingerprint.equals(this.fingerprint)) {
      throw f.bad("fingerprint", "names another run than the backup dir's owner (this run: " + fingerprint + ")");
    }
    int batchesPerEpoch = shape.batchesPerEpoch();
    if (position.batchesPerEpoch() != batchesPerEpoch) {
      throw f.bad("position.batchesPerEpoch", position.batchesPerEpoch() + " does not match this run's "
          + batchesPerEpoch);
    }
    // between epochs the sums are the finished epoch's (or nothing yet), reset when the next one begins
    boolean started = position.epochStarted();
    long seenByNow = started ? Math.min((long) position.batch() * shape.batchSize(), shape.samples())
        : shape.samples();
    if (position.seen() != seenByNow && (started || position.seen() != 0)) {
      throw f.bad("position.seen", position.seen() + " is not the " + seenByNow + " samples of the epoch's first "
          + (started ? position.batch() : batchesPerEpoch) + " batches");
    }
    for (String k : rng.keySet()) {
      if (!rngNames.contains(k)) {
        throw f.bad("rng." + Fields.abbreviate(k), "is not a field of " + FORMAT + " manifests of this run "
            + "(its RNG states: " + rngNames + ")");
      }
    }
    for (String k : rngNames) {
      if (!rng.containsKey(k)) {
        throw f.bad("rng." + k, "missing");
      }
    }
    if (!optimizerConfig.equals(optimizer.config())) {
      throw f.bad("optimizer.config", "\"" + Fields.abbreviate(optimizer.config()) + "\" is not this run's "
          + optimizerConfig);
    }
    for (Map.Entry<String, Npy.Header> e : expected.entrySet()) {
      Npy.Header h = tensors.get(e.getKey());
      if (h == null) {
        throw f.bad("tensors", "lacks " + e.getKey());
      }
      if (h.type() != e.getValue().type() || !Arrays.equals(h.shape(), e.getValue().shape())) {
        throw f.bad("tensors[" + e.getKey() + "]", h.type().descr() + Arrays.toString(h.shape())
            + " is not the model's " + e.getValue().type().descr() + Arrays.toString(e.getValue().shape()));
      }
    }
    boolean orderExpected = shape.shuffle() && started;
    Npy.Header order = tensors.get(BlobLayout.ORDER);
    if (orderExpected != (order != null)) {
      throw f.bad("tensors", (orderExpected ? "lacks " : "holds an unexpected ") + BlobLayout.ORDER
          + " (shuffle " + shape.shuffle() + ", position.epochStarted " + started + ")");
    }
    if (order != null && (order.type() != DType.INT32 || order.shape().length != 1
        || order.shape()[0] != shape.samples())) {
      throw f.bad("tensors[" + BlobLayout.ORDER + "]", "must be " + DType.INT32.descr() + "[" + shape.samples()
          + "]");
    }
    for (String name : tensors.keySet()) {
      if (!expected.containsKey(name) && !name.equals(BlobLayout.ORDER) && !listed(name)) {
        throw f.bad("tensors[" + name + "]", "is no tensor of this run's model, optimizer, data or callbacks");
      }
    }
  }

  private boolean listed(String name) {
    for (Map.Entry<String, CallbackEntry> e : callbacks.entrySet()) {
      for (String t : e.getValue().tensors()) {
        if (name.equals(BlobLayout.callback(e.getKey(), t))) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * "NAME: stored A, now B" for each entry of {@code now} that differs from the stored environment: what a
   * resume warns about.
   */
  public static List<String> environmentDifferences(Map<String, String> stored, Map<String, String> now) {
    List<String> d = new ArrayList<>();
    for (Map.Entry<String, String> e : now.entrySet()) {
      String s = stored.get(e.getKey());
      if (!e.getValue().equals(s)) {
        d.add(e.getKey() + ": stored " + s + ", now " + e.getValue());
      }
    }
    return d;
  }

  /** The encoded identity of the run, as the store records its owner. */
  public String fingerprint() {
    return fingerprint;
  }

  /** The numeric environment the checkpoint was written in. */
  public Map<String, String> environment() {
    return environment;
  }

  public TrainingPosition position() {
    return position;
  }

  /** The RNG's named states. */
  public Map<String, Long> rng() {
    return rng;
  }

  public OptimizerInfo optimizer() {
    return optimizer;
  }

  /** Every tensor blob by name, in the manifest's order: type and shape. */
  public Map<String, Npy.Header> tensors() {
    return tensors;
  }

  /** The stateful callbacks' saved state by state key. */
  public Map<String, CallbackEntry> callbacks() {
    return callbacks;
  }
}
