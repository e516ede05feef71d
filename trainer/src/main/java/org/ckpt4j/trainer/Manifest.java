package org.ckpt4j.trainer;

import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ckpt4j.spi.CorruptCheckpointException;
import org.nd4j.linalg.api.buffer.DataType;

/**
 * A checkpoint's {@code manifest.json}, parsed into typed fields, each checked for its type and range (and,
 * with {@link #check}, against the run that resumes from it) before anything is used. A manifest is data read
 * from storage: its checksum proves only that it is what was written, not that a tool or a person did not write
 * something else with a valid checksum. A violation is a {@link CorruptCheckpointException} on
 * {@code manifest.json} whose message starts with {@code field <path>:}, so that a kept previous checkpoint can
 * be used instead, as for any other unreadable checkpoint.
 */
final class Manifest {
  private static final Set<String> TOP_LEVEL = Set.of("format", "fingerprint", "numericEnvironment", "position",
      "rng", "optimizer", "tensors", "callbacks");
  private static final Set<String> POSITION = Set.of("epoch", "batch", "epochStarted", "globalStep",
      "batchesPerEpoch", "lossSum", "correctSum", "seen");

  final String fingerprint;
  final Map<String, Object> numericEnvironment;
  final int epoch;
  final int batch;
  final boolean epochStarted;
  final long globalStep;
  final int batchesPerEpoch;
  final double lossSum;
  final double correctSum;
  final long seen;
  final long rngRoot;
  final long rngNode;
  final String optimizerConfig;
  final long optimizerStep;
  final double learningRate;
  /** Every tensor blob: its type and shape. */
  final Map<String, Npy.Header> tensors;
  /** Per callback state key: its JSON values and the names of its tensors. */
  final Map<String, CallbackEntry> callbacks;

  /** A stateful callback's saved state as the manifest lists it. */
  record CallbackEntry(Map<String, Object> values, List<String> tensors) {}

  private final URI uri;

  /**
   * Parses and checks what a manifest can say about itself: types, ranges, the consistency of the position,
   * and that its tensor list is exactly the checkpoint's blobs, each entry matching the blob's size.
   *
   * @param blobSizes the checkpoint's blobs and their sizes
   */
  @SuppressWarnings("unchecked")
  static Manifest parse(byte[] json, URI uri, Map<String, Long> blobSizes) throws CorruptCheckpointException {
    Object root;
    try {
      root = JsonCodec.parse(json);
    } catch (IllegalArgumentException e) {
      throw new CorruptCheckpointException(uri, TrainingSnapshot.MANIFEST, "unreadable manifest: "
          + e.getMessage(), e);
    }
    return new Manifest(uri, object(uri, root, "(root)"), blobSizes);
  }

  private Manifest(URI uri, Map<String, Object> m, Map<String, Long> blobSizes) throws CorruptCheckpointException {
    this.uri = uri;
    onlyKeys(m, TOP_LEVEL, "");
    String format = string(m, "format", "");
    if (!FitRun.FORMAT.equals(format)) {
      throw bad("format", "\"" + abbreviate(format) + "\" is not " + FitRun.FORMAT);
    }
    fingerprint = string(m, "fingerprint", "");
    Map<String, Object> env = object(uri, m.get("numericEnvironment"), "numericEnvironment");
    for (Map.Entry<String, Object> e : env.entrySet()) {
      if (!(e.getValue() instanceof String)) {
        throw bad("numericEnvironment." + e.getKey(), "must be a string");
      }
    }
    numericEnvironment = Collections.unmodifiableMap(env);

    Map<String, Object> p = object(uri, m.get("position"), "position");
    onlyKeys(p, POSITION, "position.");
    batchesPerEpoch = (int) integer(p, "batchesPerEpoch", "position.", 1, Integer.MAX_VALUE);
    epoch = (int) integer(p, "epoch", "position.", 0, Integer.MAX_VALUE - 1);
    batch = (int) integer(p, "batch", "position.", 0, batchesPerEpoch);
    epochStarted = bool(p, "epochStarted", "position.");
    if (!epochStarted && batch != 0) {
      throw bad("position.batch", batch + " but the epoch has not started (position.epochStarted false)");
    }
    globalStep = integer(p, "globalStep", "position.", 0, Long.MAX_VALUE);
    if (globalStep != (long) epoch * batchesPerEpoch + batch) {
      throw bad("position.globalStep", globalStep + " is not epoch * batchesPerEpoch + batch = " + epoch + " * "
          + batchesPerEpoch + " + " + batch);
    }
    seen = integer(p, "seen", "position.", 0, Integer.MAX_VALUE);
    lossSum = decimal(p, "lossSum", "position.", 0);
    correctSum = decimal(p, "correctSum", "position.", 0);
    if (correctSum > seen) {
      throw bad("position.correctSum", correctSum + " exceeds the samples seen (" + seen + ")");
    }

    Map<String, Object> rng = object(uri, m.get("rng"), "rng");
    onlyKeys(rng, Set.of("root", "node"), "rng.");
    rngRoot = integer(rng, "root", "rng.", Long.MIN_VALUE, Long.MAX_VALUE);
    rngNode = integer(rng, "node", "rng.", Long.MIN_VALUE, Long.MAX_VALUE);

    Map<String, Object> opt = object(uri, m.get("optimizer"), "optimizer");
    onlyKeys(opt, Set.of("config", "step", "learningRate"), "optimizer.");
    optimizerConfig = string(opt, "config", "optimizer.");
    optimizerStep = integer(opt, "step", "optimizer.", globalStep, Long.MAX_VALUE);
    learningRate = decimal(opt, "learningRate", "optimizer.", 0);

    tensors = tensors(object(uri, m.get("tensors"), "tensors"), blobSizes);
    callbacks = callbacks(object(uri, m.get("callbacks"), "callbacks"));
  }

  private Map<String, Npy.Header> tensors(Map<String, Object> t, Map<String, Long> blobSizes)
      throws CorruptCheckpointException {
    Map<String, Npy.Header> result = new LinkedHashMap<>();
    for (String blob : blobSizes.keySet()) {
      if (!blob.equals(TrainingSnapshot.MANIFEST) && !t.containsKey(blob)) {
        throw bad("tensors", "does not list the checkpoint's blob " + blob);
      }
    }
    for (Map.Entry<String, Object> e : t.entrySet()) {
      String path = "tensors[" + e.getKey() + "]";
      Long size = blobSizes.get(e.getKey());
      if (size == null || e.getKey().equals(TrainingSnapshot.MANIFEST)) {
        throw bad(path, "names no tensor blob of the checkpoint");
      }
      Map<String, Object> entry = object(uri, e.getValue(), path);
      onlyKeys(entry, Set.of("dtype", "shape"), path + ".");
      String descr = string(entry, "dtype", path + ".");
      DataType type = Npy.dataType(descr);
      if (type == null) {
        throw bad(path + ".dtype", "\"" + abbreviate(descr) + "\" is not one of " + Npy.descr(DataType.FLOAT) + " "
            + Npy.descr(DataType.DOUBLE) + " " + Npy.descr(DataType.INT) + " " + Npy.descr(DataType.LONG));
      }
      long[] shape = shape(entry.get("shape"), path + ".shape");
      long expected;
      try {
        long elements = 1;
        for (long d : shape) {
          elements = Math.multiplyExact(elements, d);
        }
        expected = Math.addExact(Npy.headerLength(type, shape), Math.multiplyExact(elements, type.width()));
      } catch (ArithmeticException x) {
        throw bad(path + ".shape", java.util.Arrays.toString(shape) + " is too large");
      }
      if (expected != size) {
        throw bad(path + ".shape", java.util.Arrays.toString(shape) + " of " + descr + " takes " + expected
            + " bytes as .npy, but the blob has " + size);
      }
      result.put(e.getKey(), new Npy.Header(type, shape));
    }
    return Collections.unmodifiableMap(result);
  }

  private long[] shape(Object v, String path) throws CorruptCheckpointException {
    if (!(v instanceof List)) {
      throw bad(path, "must be a list of dimensions");
    }
    List<?> dims = (List<?>) v;
    if (dims.size() > Npy.MAX_RANK) {
      throw bad(path, "has " + dims.size() + " dimensions, more than " + Npy.MAX_RANK);
    }
    long[] shape = new long[dims.size()];
    for (int k = 0; k < shape.length; k++) {
      if (!(dims.get(k) instanceof Long) || (Long) dims.get(k) < 0 || (Long) dims.get(k) > Integer.MAX_VALUE) {
        throw bad(path, "dimension " + abbreviate(String.valueOf(dims.get(k))) + " is not a whole number in [0, "
            + Integer.MAX_VALUE + "]");
      }
      shape[k] = (Long) dims.get(k);
    }
    return shape;
  }

  @SuppressWarnings("unchecked")
  private Map<String, CallbackEntry> callbacks(Map<String, Object> c) throws CorruptCheckpointException {
    Map<String, CallbackEntry> result = new LinkedHashMap<>();
    for (Map.Entry<String, Object> e : c.entrySet()) {
      String path = "callbacks[" + abbreviate(e.getKey()) + "]";
      if (!CallbackState.validName(e.getKey())) {
        throw bad(path, "is not a valid state key ([A-Za-z0-9._-]{1,100})");
      }
      Map<String, Object> entry = object(uri, e.getValue(), path);
      onlyKeys(entry, Set.of("values", "tensors"), path + ".");
      Map<String, Object> values = object(uri, entry.get("values"), path + ".values");
      if (!(entry.get("tensors") instanceof List)) {
        throw bad(path + ".tensors", "must be a list of tensor names");
      }
      List<String> names = new ArrayList<>();
      for (Object n : (List<Object>) entry.get("tensors")) {
        if (!(n instanceof String) || !CallbackState.validName((String) n) || names.contains(n)) {
          throw bad(path + ".tensors", "holds " + abbreviate(String.valueOf(n))
              + ", not a unique name matching [A-Za-z0-9._-]{1,100}");
        }
        if (!tensors.containsKey("callbacks/" + e.getKey() + "/" + n + ".npy")) {
          throw bad(path + ".tensors", "names " + n + ", which is not among the checkpoint's tensors");
        }
        names.add((String) n);
      }
      result.put(e.getKey(), new CallbackEntry(values, List.copyOf(names)));
    }
    return Collections.unmodifiableMap(result);
  }

  /**
   * Backups written before biases became rank 1 hold them as {@code [1, n]}: the same elements in the same order.
   * For each such tensor, changes {@code expected} to the stored shape (so that {@link #check} and the read accept
   * it) and returns the shape the run needs, to reshape to after reading. Nothing else of a stored shape is
   * tolerated.
   */
  Map<String, long[]> acceptLegacyBiasShapes(Map<String, Npy.Header> expected) {
    Map<String, long[]> reshape = new LinkedHashMap<>();
    for (Map.Entry<String, Npy.Header> e : expected.entrySet()) {
      Npy.Header stored = tensors.get(e.getKey());
      long[] shape = e.getValue().shape();
      if (stored != null && shape.length == 1 && stored.type() == e.getValue().type()
          && java.util.Arrays.equals(stored.shape(), new long[] {1, shape[0]})) {
        reshape.put(e.getKey(), shape);
        e.setValue(stored);
      }
    }
    return reshape;
  }

  /**
   * Checks the manifest against the run resuming from it: identity, the data set's batches and size, the
   * optimizer, and that the model's, optimizer's and data order's tensors are exactly those the run has.
   *
   * @param expected the model's and optimizer's tensors by blob name, as the run holds them
   */
  void check(FitRun run, String fingerprint, String optimizerConfig, Map<String, Npy.Header> expected)
      throws CorruptCheckpointException {
    if (!fingerprint.equals(this.fingerprint)) {
      throw bad("fingerprint", "names another run than the backup dir's owner (this run: " + fingerprint + ")");
    }
    if (batchesPerEpoch != run.batchesPerEpoch) {
      throw bad("position.batchesPerEpoch", batchesPerEpoch + " does not match this run's " + run.batchesPerEpoch);
    }
    // between epochs the sums are the finished epoch's (or nothing yet), reset when the next one begins
    long seenByNow = epochStarted ? Math.min((long) batch * run.batchSize, run.samples) : run.samples;
    if (seen != seenByNow && (epochStarted || seen != 0)) {
      throw bad("position.seen", seen + " is not the " + seenByNow + " samples of the epoch's first "
          + (epochStarted ? batch : run.batchesPerEpoch) + " batches");
    }
    if (!optimizerConfig.equals(this.optimizerConfig)) {
      throw bad("optimizer.config", "\"" + abbreviate(this.optimizerConfig) + "\" is not this run's "
          + optimizerConfig);
    }
    for (Map.Entry<String, Npy.Header> e : expected.entrySet()) {
      Npy.Header h = tensors.get(e.getKey());
      if (h == null) {
        throw bad("tensors", "lacks " + e.getKey());
      }
      if (h.type() != e.getValue().type() || !java.util.Arrays.equals(h.shape(), e.getValue().shape())) {
        throw bad("tensors[" + e.getKey() + "]", Npy.descr(h.type()) + java.util.Arrays.toString(h.shape())
            + " is not the model's " + Npy.descr(e.getValue().type())
            + java.util.Arrays.toString(e.getValue().shape()));
      }
    }
    boolean orderExpected = run.shuffle && epochStarted;
    Npy.Header order = tensors.get(FitRun.ORDER);
    if (orderExpected != (order != null)) {
      throw bad("tensors", (orderExpected ? "lacks " : "holds an unexpected ") + FitRun.ORDER
          + " (shuffle " + run.shuffle + ", position.epochStarted " + epochStarted + ")");
    }
    if (order != null && (order.type() != DataType.INT || order.shape().length != 1
        || order.shape()[0] != run.samples)) {
      throw bad("tensors[" + FitRun.ORDER + "]", "must be " + Npy.descr(DataType.INT) + "[" + run.samples + "]");
    }
    for (String name : tensors.keySet()) {
      if (!expected.containsKey(name) && !name.equals(FitRun.ORDER) && !listed(name)) {
        throw bad("tensors[" + name + "]", "is no tensor of this run's model, optimizer, data or callbacks");
      }
    }
  }

  private boolean listed(String name) {
    for (Map.Entry<String, CallbackEntry> e : callbacks.entrySet()) {
      for (String t : e.getValue().tensors()) {
        if (name.equals("callbacks/" + e.getKey() + "/" + t + ".npy")) {
          return true;
        }
      }
    }
    return false;
  }

  // ---- typed field access ----

  @SuppressWarnings("unchecked")
  private static Map<String, Object> object(URI uri, Object v, String path) throws CorruptCheckpointException {
    if (!(v instanceof Map)) {
      throw new CorruptCheckpointException(uri, TrainingSnapshot.MANIFEST, "field " + path + ": "
          + (v == null ? "missing" : "must be an object"));
    }
    return (Map<String, Object>) v;
  }

  private void onlyKeys(Map<String, Object> m, Set<String> allowed, String prefix)
      throws CorruptCheckpointException {
    for (String k : m.keySet()) {
      if (!allowed.contains(k)) {
        throw bad(prefix + abbreviate(k), "is not a field of " + FitRun.FORMAT + " manifests");
      }
    }
  }

  private String string(Map<String, Object> m, String key, String prefix) throws CorruptCheckpointException {
    Object v = m.get(key);
    if (!(v instanceof String)) {
      throw bad(prefix + key, v == null ? "missing" : "must be a string");
    }
    return (String) v;
  }

  private boolean bool(Map<String, Object> m, String key, String prefix) throws CorruptCheckpointException {
    Object v = m.get(key);
    if (!(v instanceof Boolean)) {
      throw bad(prefix + key, v == null ? "missing" : "must be true or false");
    }
    return (Boolean) v;
  }

  private long integer(Map<String, Object> m, String key, String prefix, long min, long max)
      throws CorruptCheckpointException {
    Object v = m.get(key);
    if (!(v instanceof Long) || (Long) v < min || (Long) v > max) {
      throw bad(prefix + key, v == null ? "missing" : abbreviate(String.valueOf(v))
          + " is not a whole number in [" + min + ", " + max + "]");
    }
    return (Long) v;
  }

  private double decimal(Map<String, Object> m, String key, String prefix, double min)
      throws CorruptCheckpointException {
    Object v = m.get(key);
    if (!(v instanceof Double || v instanceof Long) || !(((Number) v).doubleValue() >= min)) {
      throw bad(prefix + key, v == null ? "missing" : abbreviate(String.valueOf(v)) + " is not a number >= " + min);
    }
    return ((Number) v).doubleValue();
  }

  private CorruptCheckpointException bad(String field, String problem) {
    return new CorruptCheckpointException(uri, TrainingSnapshot.MANIFEST, "field " + field + ": " + problem);
  }

  private static String abbreviate(String s) {
    return s.length() <= 60 ? s : s.substring(0, 60) + "...";
  }
}
