package org.ckpt4j.trainer;

import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.ReadableByteChannel;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.SplittableRandom;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CorruptCheckpointException;
import org.ckpt4j.spi.Redaction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One call of {@link Sequential#fit}: the training loop and everything that determines where it is (epoch,
 * batch, the epoch's shuffle order, running sums of the epoch's logs, the RNG), which is what a checkpoint
 * captures and a resume restores.
 */
final class FitRun {
  static final String FORMAT = "ckpt4j-trainer/1";
  /** The blob of an epoch's shuffle order, saved mid-epoch. */
  static final String ORDER = "data/order.npy";
  private static final Logger LOG = LoggerFactory.getLogger(FitRun.class);

  final Sequential model;
  final INDArray x;
  final INDArray y;
  /** Sparse targets as given (class ids), for the run's identity; null for dense targets. */
  private final INDArray classIds;
  final int epochs;
  final int batchSize;
  final boolean shuffle;
  final int samples;
  final int batchesPerEpoch;
  final List<Callback> others = new ArrayList<>();
  final List<StatefulCallback> stateful = new ArrayList<>();
  final BackupAndRestore backup;
  /** The data-parallel group this run is a replica of ({@link ReplicatedFit}); null for a single process. */
  Replicas replicas;
  private final ProgressBar progress;
  final History history = new History();
  private Fingerprint fingerprint;
  /** What every checkpoint of this fit records that cannot change during it, formatted once (a save's stall). */
  private String encodedFingerprint;
  private Map<String, Object> numericEnvironment;
  private String optimizerConfig;
  private final Map<String, TensorEntry> tensorEntries = new HashMap<>();
  private int[] orderTensorOf;
  private INDArray orderTensor;

  // the position: what a checkpoint captures
  int epoch;
  int batch;
  boolean epochStarted;
  long globalStep;
  int[] order;
  double lossSum;
  double correctSum;
  long seen;

  FitRun(Sequential model, INDArray x, INDArray y, int epochs, int batchSize, boolean shuffle,
      List<? extends Callback> callbacks, PrintStream out) {
    this.model = model;
    this.x = features(model, x);
    this.y = targets(model, y, this.x.rows());
    this.classIds = classIds(model, y, this.x.rows());
    if (epochs < 0) {
      throw new IllegalArgumentException("epochs (" + epochs + ") must not be negative");
    }
    if (batchSize < 1) {
      throw new IllegalArgumentException("batchSize (" + batchSize + ") must be at least 1");
    }
    this.epochs = epochs;
    this.batchSize = batchSize;
    this.shuffle = shuffle;
    this.samples = this.x.rows();
    this.batchesPerEpoch = (samples + batchSize - 1) / batchSize;
    BackupAndRestore found = null;
    Set<String> keys = new HashSet<>();
    for (Callback c : Objects.requireNonNull(callbacks, "callbacks")) {
      Objects.requireNonNull(c, "callbacks must not contain null");
      if (c instanceof BackupAndRestore) {
        if (found != null) {
          throw new IllegalArgumentException("callbacks: at most one BackupAndRestore per fit");
        }
        found = (BackupAndRestore) c;
        continue;
      }
      if (c instanceof StatefulCallback) {
        String key = ((StatefulCallback) c).stateKey();
        if (key == null || !CallbackState.validName(key) || !keys.add(key)) {
          throw new IllegalArgumentException("callbacks: stateKey \"" + key + "\" of " + c.getClass().getName()
              + " must be unique and match [A-Za-z0-9._-]{1,100}");
        }
        stateful.add((StatefulCallback) c);
      }
      others.add(c);
    }
    this.backup = found;
    this.progress = out == null ? null : new ProgressBar(out, epochs, batchesPerEpoch);
  }

  private static INDArray features(Sequential model, INDArray x) {
    Objects.requireNonNull(x, "x");
    if (x.rank() != 2 || x.rows() == 0 || x.columns() != model.inputSize()) {
      throw new IllegalArgumentException("x must have shape [n >= 1, " + model.inputSize() + "], got "
          + java.util.Arrays.toString(x.shape()));
    }
    return dense(x);
  }

  private static INDArray targets(Sequential model, INDArray y, long n) {
    Objects.requireNonNull(y, "y");
    if (y.rank() == 0 || y.rank() > 2 || y.size(0) != n) {
      throw new IllegalArgumentException("y must have " + n + " rows, one per row of x, got shape "
          + java.util.Arrays.toString(y.shape()));
    }
    int classes = model.outputSize();
    if (model.loss() != Loss.SPARSE_CATEGORICAL_CROSSENTROPY) {
      if (y.rank() != 2 || y.columns() != classes) {
        throw new IllegalArgumentException("y must have shape [" + n + ", " + classes + "] (the output size), got "
            + java.util.Arrays.toString(y.shape()));
      }
      return dense(y);
    }
    if (y.length() != n) {
      throw new IllegalArgumentException("y must hold one class index per sample for "
          + "SPARSE_CATEGORICAL_CROSSENTROPY, shape [" + n + "] or [" + n + ", 1], got "
          + java.util.Arrays.toString(y.shape()));
    }
    double[] labels = y.castTo(DataType.DOUBLE).reshape(n).toDoubleVector();
    INDArray oneHot = Nd4j.zeros(DataType.FLOAT, n, classes);
    for (int r = 0; r < n; r++) {
      double c = labels[r];
      if (c != Math.rint(c) || c < 0 || c >= classes) {
        throw new IllegalArgumentException("y[" + r + "] = " + c + " is not a class index in [0, " + classes + ")");
      }
      oneHot.putScalar(r, (long) c, 1.0f);
    }
    return oneHot;
  }

  /** The class ids of sparse targets (already checked by {@link #targets}), as int32 [n]; null for dense ones. */
  private static INDArray classIds(Sequential model, INDArray y, long n) {
    return model.loss() == Loss.SPARSE_CATEGORICAL_CROSSENTROPY ? y.reshape(n).castTo(DataType.INT).dup('c') : null;
  }

  private static INDArray dense(INDArray a) {
    if (a.dataType() == DataType.FLOAT && a.ordering() == 'c' && !a.isView() && a.data().length() == a.length()) {
      return a;
    }
    return a.castTo(DataType.FLOAT).dup('c');
  }

  History run() throws IOException {
    try {
      Nd4j.getRandom().setSeed(Sequential.nativeSeed(model.seed(), 1));
      if (backup != null) {
        backup.begin(this);
      }
      for (Callback c : others) {
        c.onTrainBegin(model);
      }
      Map<String, Double> logs = Map.of();
      while (epoch < epochs) {
        logs = runEpoch();
      }
      for (Callback c : others) {
        c.onTrainEnd(logs);
      }
      if (backup != null) {
        backup.end(this);
      }
      return history;
    } catch (RuntimeException | IOException | Error e) {
      if (progress != null) {
        progress.interrupted();
      }
      throw e;
    } finally {
      if (backup != null) {
        backup.release();
      }
    }
  }

  /** Ends a progress bar drawn in place (a signal's message follows); any thread. */
  void endProgressLine() {
    if (progress != null) {
      progress.interrupted();
    }
  }

  private Map<String, Double> runEpoch() throws IOException {
    if (!epochStarted) {
      order = shuffle ? permutation() : null;
      lossSum = 0;
      correctSum = 0;
      seen = 0;
      for (Callback c : others) {
        c.onEpochBegin(epoch);
      }
      epochStarted = true;
    }
    if (progress != null) {
      progress.epochBegin(epoch, batch);
    }
    while (batch < batchesPerEpoch) {
      for (Callback c : others) {
        c.onBatchBegin(epoch, batch);
      }
      int[] rows = rows(batch);
      double[] r = replicas == null ? model.trainStep(x.getRows(rows), y.getRows(rows))
          : ReplicatedStep.step(this, rows);
      if (!Double.isFinite(r[0])) {
        throw new NonFiniteLossException(epoch, batch, r[0]);
      }
      lossSum += r[0] * rows.length;
      correctSum += r[1];
      seen += rows.length;
      batch++;
      globalStep++;
      Map<String, Double> logs = logs();
      for (Callback c : others) {
        c.onBatchEnd(epoch, batch - 1, logs);
      }
      if (progress != null) {
        progress.batchEnd(batch, logs);
      }
      if (backup != null) {
        int before = backup.savesWritten;
        backup.afterBatch(this);
        if (progress != null && backup.savesWritten != before) {
          progress.saved();
        }
        backup.checkPreemption(this);
      }
    }
    Map<String, Double> logs = logs();
    history.add(epoch, logs);
    for (Callback c : others) {
      c.onEpochEnd(epoch, logs);
    }
    epoch++;
    batch = 0;
    epochStarted = false;
    order = null;
    if (backup != null) {
      int before = backup.savesWritten;
      backup.afterEpoch(this);
      if (progress != null && backup.savesWritten != before) {
        progress.saved();
      }
    }
    if (progress != null) { // after the epoch's save, so that its line can say a backup was written
      progress.epochEnd(logs);
    }
    if (backup != null) {
      backup.checkPreemption(this);
    }
    return logs;
  }

  private int[] permutation() {
    SplittableRandom random = new SplittableRandom(Nd4j.getRandom().nextLong());
    int[] p = new int[samples];
    for (int k = 0; k < samples; k++) {
      p[k] = k;
    }
    for (int k = samples - 1; k > 0; k--) {
      int j = random.nextInt(k + 1);
      int t = p[k];
      p[k] = p[j];
      p[j] = t;
    }
    return p;
  }

  private int[] rows(int b) {
    int from = b * batchSize;
    int to = Math.min(samples, from + batchSize);
    int[] rows = new int[to - from];
    for (int k = 0; k < rows.length; k++) {
      rows[k] = order == null ? from + k : order[from + k];
    }
    return rows;
  }

  private Map<String, Double> logs() {
    Map<String, Double> logs = new LinkedHashMap<>();
    logs.put("loss", seen == 0 ? 0.0 : lossSum / seen);
    if (model.loss().isCategorical()) {
      logs.put("accuracy", seen == 0 ? 0.0 : correctSum / seen);
    }
    return logs;
  }

  /**
   * The run's identity, computed once per fit: it hashes all of x and y, which would otherwise cost every save
   * (and every async save's stall) a pass over the data set. The store's owner identity is fixed when the fit
   * begins, so x and y must not change during it anyway.
   */
  Fingerprint fingerprint() {
    if (fingerprint == null) {
      fingerprint = Fingerprint.of(model, x, classIds != null ? classIds : y, batchSize, shuffle);
    }
    return fingerprint;
  }

  // ---- checkpoint content ----

  private List<String> paramNames() {
    List<String> names = new ArrayList<>();
    for (int k = 0; k < model.layers.size(); k++) {
      names.add(k + "/W");
      names.add(k + "/b");
    }
    return names;
  }

  /** The live parameters and optimizer slots by blob name, in the order a checkpoint holds them. */
  Map<String, INDArray> modelTensors() {
    Map<String, INDArray> tensors = new LinkedHashMap<>();
    List<String> names = paramNames();
    List<INDArray> params = model.params();
    OptimizerState opt = model.optimizerState;
    String[] slotNames = opt.slotNames();
    for (int k = 0; k < names.size(); k++) {
      tensors.put("model/" + names.get(k) + ".npy", params.get(k));
      for (int s = 0; s < slotNames.length; s++) {
        tensors.put("optimizer/" + names.get(k) + "." + slotNames[s] + ".npy", opt.slots.get(k)[s]);
      }
    }
    return tensors;
  }

  /**
   * Computes what every capture of this fit repeats: the encoded identity, the numeric environment, the
   * manifest entries of the model's tensors. Done by the first capture otherwise; an async save calls it when
   * the fit begins, so that its first save stalls training no longer than the others.
   */
  void prepareCapture() {
    if (encodedFingerprint == null) {
      encodedFingerprint = fingerprint().encoded();
      numericEnvironment = Collections.unmodifiableMap(NumericEnvironment.current());
      optimizerConfig = model.optimizer().toString();
    }
    for (Map.Entry<String, INDArray> e : modelTensors().entrySet()) {
      tensorEntry(e.getKey(), e.getValue());
    }
  }

  /** Captures the current position and state, referencing the live arrays (valid until training continues). */
  TrainingSnapshot capture() {
    if (encodedFingerprint == null) {
      prepareCapture();
    }
    Map<String, INDArray> tensors = new LinkedHashMap<>();
    Map<String, Object> shapes = new LinkedHashMap<>();
    OptimizerState opt = model.optimizerState;
    for (Map.Entry<String, INDArray> e : modelTensors().entrySet()) {
      put(tensors, shapes, e.getKey(), e.getValue());
    }
    if (order != null) {
      if (orderTensorOf != order) { // the epoch's order never changes in place: one array per epoch
        orderTensor = Nd4j.createFromArray(order);
        orderTensorOf = order;
      }
      put(tensors, shapes, ORDER, orderTensor);
    }
    Map<String, Object> callbackStates = new LinkedHashMap<>();
    for (StatefulCallback c : stateful) {
      CallbackState st = Objects.requireNonNull(c.saveState(), () -> c.stateKey() + ".saveState() returned null");
      List<Object> tensorNames = new ArrayList<>();
      for (Map.Entry<String, INDArray> e : st.tensors().entrySet()) {
        put(tensors, shapes, "callbacks/" + c.stateKey() + "/" + e.getKey() + ".npy", e.getValue());
        tensorNames.add(e.getKey());
      }
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("values", st.values());
      entry.put("tensors", tensorNames);
      callbackStates.put(c.stateKey(), entry);
    }
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", FORMAT);
    m.put("fingerprint", encodedFingerprint);
    m.put("numericEnvironment", numericEnvironment);
    Map<String, Object> position = new LinkedHashMap<>();
    position.put("epoch", (long) epoch);
    position.put("batch", (long) batch);
    position.put("epochStarted", epochStarted);
    position.put("globalStep", globalStep);
    position.put("batchesPerEpoch", (long) batchesPerEpoch);
    position.put("lossSum", lossSum);
    position.put("correctSum", correctSum);
    position.put("seen", seen);
    m.put("position", position);
    Map<String, Object> rng = new LinkedHashMap<>();
    rng.put("root", Nd4j.getRandom().rootState());
    rng.put("node", Nd4j.getRandom().nodeState());
    m.put("rng", rng);
    Map<String, Object> optimizer = new LinkedHashMap<>();
    optimizer.put("config", optimizerConfig);
    optimizer.put("step", opt.step);
    optimizer.put("learningRate", opt.learningRate);
    m.put("optimizer", optimizer);
    m.put("tensors", shapes);
    m.put("callbacks", callbackStates);
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("format", FORMAT);
    metadata.put("epoch", Integer.toString(epoch));
    metadata.put("batch", Integer.toString(batch));
    metadata.put("globalStep", Long.toString(globalStep));
    return new TrainingSnapshot(m, tensors, metadata);
  }

  private void put(Map<String, INDArray> tensors, Map<String, Object> shapes, String name, INDArray a) {
    tensors.put(name, a);
    shapes.put(name, tensorEntry(name, a));
  }

  private JsonCodec.Raw tensorEntry(String name, INDArray a) {
    TensorEntry entry = tensorEntries.get(name);
    if (entry == null || entry.array != a) { // an array keeps its type and shape: its entry is encoded once
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("dtype", Npy.descr(a.dataType()));
      List<Object> shape = new ArrayList<>();
      for (long s : a.shape()) {
        shape.add(s);
      }
      d.put("shape", shape);
      entry = new TensorEntry(a, new JsonCodec.Raw(d));
      tensorEntries.put(name, entry);
    }
    return entry.json;
  }

  /** A tensor's manifest entry {@code {"dtype": ..., "shape": [...]}}, as JSON, for the array it describes. */
  private static final class TensorEntry {
    final INDArray array;
    final JsonCodec.Raw json;

    TensorEntry(INDArray array, JsonCodec.Raw json) {
      this.array = array;
      this.json = json;
    }
  }

  /**
   * Reads a checkpoint completely (every blob verified) into new arrays, then, only if all of it was read,
   * makes it the current state. A failure leaves the model and this run untouched.
   */
  TrainingCheckpoint restore(Checkpoint cp, URI uri) throws IOException {
    Map<String, Long> sizes = cp.blobs();
    Manifest m = Manifest.parse(readAll(cp, TrainingSnapshot.MANIFEST, uri), uri, sizes);
    List<String> names = paramNames();
    List<INDArray> params = model.params();
    OptimizerState opt = model.optimizerState;
    String[] slotNames = opt.slotNames();
    // Every tensor this run needs, read in one pass (Checkpoint.readInto, each verified).
    Map<String, Npy.Header> expected = new LinkedHashMap<>();
    for (int k = 0; k < names.size(); k++) {
      expected.put("model/" + names.get(k) + ".npy", new Npy.Header(DataType.FLOAT, params.get(k).shape()));
      for (String slot : slotNames) {
        expected.put("optimizer/" + names.get(k) + "." + slot + ".npy", new Npy.Header(DataType.FLOAT,
            params.get(k).shape()));
      }
    }
    if (encodedFingerprint == null) {
      prepareCapture();
    }
    Map<String, long[]> reshape = m.acceptLegacyBiasShapes(expected);
    m.check(this, encodedFingerprint, optimizerConfig, expected);
    Map<String, Npy.Header> wanted = new LinkedHashMap<>(expected);
    if (m.tensors.containsKey(ORDER)) {
      wanted.put(ORDER, m.tensors.get(ORDER));
    }
    Map<StatefulCallback, Manifest.CallbackEntry> callbackEntries = new LinkedHashMap<>();
    for (StatefulCallback c : stateful) {
      Manifest.CallbackEntry entry = m.callbacks.get(c.stateKey());
      if (entry == null) {
        LOG.warn("{}: the checkpoint holds no state for callback \"{}\"; it starts fresh", Redaction.redact(uri),
            c.stateKey());
        continue;
      }
      for (String n : entry.tensors()) {
        String blob = "callbacks/" + c.stateKey() + "/" + n + ".npy";
        wanted.put(blob, m.tensors.get(blob));
      }
      callbackEntries.put(c, entry);
    }
    Map<String, INDArray> read = readTensors(cp, uri, wanted);
    reshape.forEach((name, shape) -> read.put(name, read.get(name).reshape('c', shape).dup('c')));
    List<INDArray> newParams = new ArrayList<>();
    List<INDArray[]> newSlots = new ArrayList<>();
    for (int k = 0; k < names.size(); k++) {
      newParams.add(read.get("model/" + names.get(k) + ".npy"));
      INDArray[] s = new INDArray[slotNames.length];
      for (int j = 0; j < slotNames.length; j++) {
        s[j] = read.get("optimizer/" + names.get(k) + "." + slotNames[j] + ".npy");
      }
      newSlots.add(s);
    }
    int[] newOrder = wanted.containsKey(ORDER) ? read.get(ORDER).toIntVector() : null;
    if (newOrder != null) {
      checkPermutation(newOrder, uri);
    }
    Map<StatefulCallback, CallbackState> states = new LinkedHashMap<>();
    for (Map.Entry<StatefulCallback, Manifest.CallbackEntry> e : callbackEntries.entrySet()) {
      StatefulCallback c = e.getKey();
      Map<String, INDArray> t = new LinkedHashMap<>();
      for (String n : e.getValue().tensors()) {
        t.put(n, read.get("callbacks/" + c.stateKey() + "/" + n + ".npy"));
      }
      states.put(c, CallbackState.restored(e.getValue().values(), t));
    }
    for (String key : m.callbacks.keySet()) {
      if (stateful.stream().noneMatch(c -> c.stateKey().equals(key))) {
        LOG.warn("{}: the checkpoint holds state of callback \"{}\", which this fit does not have",
            Redaction.redact(uri), key);
      }
    }
    List<String> envDiff = NumericEnvironment.differences(m.numericEnvironment, NumericEnvironment.current());
    if (!envDiff.isEmpty()) {
      LOG.warn("{}: resuming under a different numeric environment than the checkpoint was written in ({}); "
          + "results may differ in the last bits from an uninterrupted run. Set the same environment variables "
          + "(e.g. OMP_NUM_THREADS=1 OPENBLAS_CORETYPE=Haswell) for bit-exact resume", Redaction.redact(uri), envDiff);
    }
    // everything was read and verified: apply, the callbacks first (their own checks of their state may refuse)
    for (Map.Entry<StatefulCallback, CallbackState> e : states.entrySet()) {
      try {
        e.getKey().restoreState(e.getValue());
      } catch (RuntimeException x) {
        throw new CorruptCheckpointException(uri, TrainingSnapshot.MANIFEST, "field callbacks["
            + e.getKey().stateKey() + "]: refused by " + e.getKey().getClass().getName() + ".restoreState: " + x, x);
      }
    }
    for (int k = 0; k < model.layers.size(); k++) {
      model.layers.get(k).weights = newParams.get(2 * k);
      model.layers.get(k).bias = newParams.get(2 * k + 1);
    }
    for (int k = 0; k < newSlots.size(); k++) {
      opt.slots.set(k, newSlots.get(k));
    }
    opt.step = m.optimizerStep;
    opt.learningRate = m.learningRate;
    epoch = m.epoch;
    batch = m.batch;
    epochStarted = m.epochStarted;
    globalStep = m.globalStep;
    lossSum = m.lossSum;
    correctSum = m.correctSum;
    seen = m.seen;
    order = newOrder;
    Nd4j.getRandom().setStates(m.rngRoot, m.rngNode);
    return new TrainingCheckpoint(m, sizes);
  }

  /** An epoch's order must visit every sample once: anything else would index outside the data. */
  private void checkPermutation(int[] p, URI uri) throws CorruptCheckpointException {
    boolean[] hit = new boolean[samples];
    for (int v : p) {
      if (v < 0 || v >= samples || hit[v]) {
        throw new CorruptCheckpointException(uri, ORDER, "is not a permutation of the " + samples + " samples "
            + "(holds " + v + ")");
      }
      hit[v] = true;
    }
  }

  private static Map<String, INDArray> readTensors(Checkpoint cp, URI uri, Map<String, Npy.Header> wanted)
      throws IOException {
    Map<String, Long> sizes = cp.blobs();
    for (String name : wanted.keySet()) {
      if (!sizes.containsKey(name)) {
        throw new CorruptCheckpointException(uri, name, "missing from checkpoint #" + cp.sequence());
      }
    }
    Map<String, INDArray> read = new java.util.HashMap<>();
    // Tensors of known type and shape whose size is what this code writes: each header into a buffer of its
    // own and the elements straight into a new array, all read at once (Checkpoint.readInto); the rest (and any
    // blob of another size, whose reading then says what is wrong) one by one, header first.
    Map<String, List<ByteBuffer>> targets = new LinkedHashMap<>();
    Map<String, INDArray> arrays = new java.util.HashMap<>();
    List<String> rest = new ArrayList<>();
    for (Map.Entry<String, Npy.Header> e : wanted.entrySet()) {
      // the shapes are the model's or the manifest's, which Manifest checked against the blob sizes
      Npy.Header spec = e.getValue();
      int header = Npy.headerLength(spec.type(), spec.shape());
      long elements = java.util.Arrays.stream(spec.shape()).reduce(1, Math::multiplyExact);
      long bytes = elements * spec.type().width();
      if (bytes > 0 && sizes.get(e.getKey()) == header + bytes) {
        INDArray arr = Nd4j.create(spec.type(), spec.shape(), 'c');
        arrays.put(e.getKey(), arr);
        targets.put(e.getKey(), List.of(ByteBuffer.allocate(header), Npy.dataView(arr)));
      } else {
        rest.add(e.getKey());
      }
    }
    cp.readInto(targets);
    for (Map.Entry<String, List<ByteBuffer>> t : targets.entrySet()) {
      Npy.Header spec = wanted.get(t.getKey());
      Npy.checkHeader(t.getValue().get(0), uri, t.getKey(), spec.type(), spec.shape());
      read.put(t.getKey(), arrays.get(t.getKey()));
    }
    cp.readBlobs(rest, (name, ch) -> {
      Npy.Header spec = wanted.get(name);
      read.put(name, Npy.read(ch, uri, name, spec.type(), spec.shape()));
    });
    return read;
  }

  private static byte[] readAll(Checkpoint cp, String name, URI uri) throws IOException {
    Long size = cp.blobs().get(name);
    if (size == null) {
      throw new CorruptCheckpointException(uri, name, "missing from checkpoint #" + cp.sequence());
    }
    if (size > 64L << 20) {
      throw new CorruptCheckpointException(uri, name, "implausibly large manifest (" + size + " bytes)");
    }
    ByteBuffer b = ByteBuffer.allocate((int) size.longValue());
    try (ReadableByteChannel ch = cp.openBlob(name)) {
      Npy.readFully(ch, b, uri, name);
      if (ch.read(ByteBuffer.allocate(1)) != -1) {
        throw new CorruptCheckpointException(uri, name, "longer than recorded");
      }
    }
    return b.array();
  }
}
