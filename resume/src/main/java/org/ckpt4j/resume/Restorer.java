package org.ckpt4j.resume;

import java.io.IOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CorruptCheckpointException;
import org.ckpt4j.spi.Redaction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Restores a run from a checkpoint: reads the manifest and checks it against the run, reads every tensor the run
 * needs (each verified) into tensors the run allocates, checks the epoch's order, and only if all of it was read
 * hands it over: the stateful callbacks first (they may refuse their state), then the run. A failure leaves the
 * run untouched.
 */
final class Restorer {
  private static final Logger LOG = LoggerFactory.getLogger(Restorer.class);
  private final ResumableRun run;
  private final List<StatefulState> stateful;
  private final Capture capture;

  Restorer(ResumableRun run, List<StatefulState> stateful, Capture capture) {
    this.run = run;
    this.stateful = stateful;
    this.capture = capture;
  }

  TrainingManifest restore(Checkpoint cp, URI uri) throws IOException {
    TrainingManifest m = TrainingManifest.read(cp, uri);
    Map<String, Npy.Header> expected = new LinkedHashMap<>();
    for (Tensor t : run.tensors()) {
      Npy.Header stored = m.tensors().get(t.name());
      boolean accepted = stored != null && stored.type() == t.dtype() && !Arrays.equals(stored.shape(), t.shape())
          && Tensor.elements(stored.shape()) == Tensor.elements(t.shape())
          && run.acceptsStoredShape(t.name(), stored.shape(), t.shape());
      expected.put(t.name(), accepted ? stored : new Npy.Header(t.dtype(), t.shape()));
    }
    RunShape shape = run.shape();
    m.check(capture.fingerprint(), shape, run.optimizer().config(), run.rng().keySet(), expected);
    Map<String, Npy.Header> wanted = new LinkedHashMap<>(expected);
    Npy.Header orderHeader = m.tensors().get(BlobLayout.ORDER);
    if (orderHeader != null) {
      wanted.put(BlobLayout.ORDER, orderHeader);
    }
    Map<StatefulState, TrainingManifest.CallbackEntry> entries = new LinkedHashMap<>();
    for (StatefulState c : stateful) {
      TrainingManifest.CallbackEntry entry = m.callbacks().get(c.stateKey());
      if (entry == null) {
        LOG.warn("{}: the checkpoint holds no state for callback \"{}\"; it starts fresh", Redaction.redact(uri),
            c.stateKey());
        continue;
      }
      for (String n : entry.tensors()) {
        String blob = BlobLayout.callback(c.stateKey(), n);
        wanted.put(blob, m.tensors().get(blob));
      }
      entries.put(c, entry);
    }
    Map<String, Tensor> read = readTensors(cp, uri, wanted, expected.keySet());
    int[] order = orderHeader == null ? null : read.remove(BlobLayout.ORDER).ints();
    if (order != null) {
      checkPermutation(order, shape.samples(), uri);
    }
    Map<StatefulState, CallbackState> states = new LinkedHashMap<>();
    for (Map.Entry<StatefulState, TrainingManifest.CallbackEntry> e : entries.entrySet()) {
      Map<String, Tensor> t = new LinkedHashMap<>();
      for (String n : e.getValue().tensors()) {
        t.put(n, read.remove(BlobLayout.callback(e.getKey().stateKey(), n)));
      }
      states.put(e.getKey(), CallbackState.restored(e.getValue().values(), t));
    }
    for (String key : m.callbacks().keySet()) {
      if (stateful.stream().noneMatch(c -> c.stateKey().equals(key))) {
        LOG.warn("{}: the checkpoint holds state of callback \"{}\", which this fit does not have",
            Redaction.redact(uri), key);
      }
    }
    List<String> envDiff = TrainingManifest.environmentDifferences(m.environment(), run.environment());
    if (!envDiff.isEmpty()) {
      LOG.warn("{}: resuming under a different numeric environment than the checkpoint was written in ({}); "
          + "results may differ in the last bits from an uninterrupted run. Set the same environment (e.g. the "
          + "same thread-count variables) for bit-exact resume", Redaction.redact(uri), envDiff);
    }
    // everything was read and verified: apply, the callbacks first (their own checks of their state may refuse)
    for (Map.Entry<StatefulState, CallbackState> e : states.entrySet()) {
      try {
        e.getKey().restoreState(e.getValue());
      } catch (RuntimeException x) {
        throw new CorruptCheckpointException(uri, BlobLayout.MANIFEST, "field callbacks["
            + e.getKey().stateKey() + "]: refused by " + e.getKey().getClass().getName() + ".restoreState: " + x, x);
      }
    }
    run.restore(new TrainingState(m.position(), order, m.rng(), m.optimizer(), read));
    return m;
  }

  /** An epoch's order must visit every sample once: anything else would index outside the data. */
  private static void checkPermutation(int[] p, int samples, URI uri) throws CorruptCheckpointException {
    boolean[] hit = new boolean[samples];
    for (int v : p) {
      if (v < 0 || v >= samples || hit[v]) {
        throw new CorruptCheckpointException(uri, BlobLayout.ORDER, "is not a permutation of the " + samples
            + " samples (holds " + v + ")");
      }
      hit[v] = true;
    }
  }

  /**
   * Reads the wanted tensors: of those whose blob has the size this code writes, each header into a buffer of
   * its own and the elements straight into the tensor the run allocated, all at once (Checkpoint.readInto); the
   * rest (and any blob of another size, whose reading then says what is wrong) one by one, header first.
   */
  private Map<String, Tensor> readTensors(Checkpoint cp, URI uri, Map<String, Npy.Header> wanted,
      java.util.Set<String> runs) throws IOException {
    Map<String, Long> sizes = cp.blobs();
    for (String name : wanted.keySet()) {
      if (!sizes.containsKey(name)) {
        throw new CorruptCheckpointException(uri, name, "missing from checkpoint #" + cp.sequence());
      }
    }
    Map<String, Tensor> read = new HashMap<>();
    Map<String, List<ByteBuffer>> targets = new LinkedHashMap<>();
    List<String> rest = new ArrayList<>();
    for (Map.Entry<String, Npy.Header> e : wanted.entrySet()) {
      // the shapes are the run's or the manifest's, which TrainingManifest checked against the blob sizes
      Npy.Header spec = e.getValue();
      Tensor t = allocate(e.getKey(), spec, runs.contains(e.getKey()));
      read.put(e.getKey(), t);
      int header = Npy.headerLength(spec.type(), spec.shape());
      long bytes = t.data().remaining();
      if (bytes > 0 && sizes.get(e.getKey()) == header + bytes) {
        targets.put(e.getKey(), List.of(ByteBuffer.allocate(header), t.data().duplicate()));
      } else {
        rest.add(e.getKey());
      }
    }
    cp.readInto(targets);
    for (Map.Entry<String, List<ByteBuffer>> t : targets.entrySet()) {
      Npy.Header spec = wanted.get(t.getKey());
      Npy.checkHeader(t.getValue().get(0), uri, t.getKey(), spec.type(), spec.shape());
    }
    cp.readBlobs(rest, (name, ch) -> Npy.readInto(ch, uri, read.get(name)));
    return read;
  }

  /** Model and optimizer tensors go where the run wants them; the order and callbacks' tensors on the heap. */
  private Tensor allocate(String name, Npy.Header spec, boolean runs) {
    Tensor t = runs ? run.allocate(name, spec.type(), spec.shape()) : Tensor.allocate(name, spec.type(),
        spec.shape());
    if (!t.name().equals(name) || t.dtype() != spec.type() || !Arrays.equals(t.shape(), spec.shape())) {
      throw new IllegalStateException("allocate(" + name + ") returned " + t);
    }
    return t;
  }
}
