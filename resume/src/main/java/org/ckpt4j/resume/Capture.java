package org.ckpt4j.resume;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Captures a run's state as a {@link Snapshot}: the tensors it hands over, the epoch's order, the stateful
 * callbacks' state and the manifest that lists them. What every capture of a fit repeats (the encoded identity,
 * the environment, each tensor's manifest entry) is formatted once, so that a save stalls training no longer
 * than it must. One per fit.
 */
final class Capture {
  private final ResumableRun run;
  private final List<StatefulState> stateful;
  private String fingerprint;
  private Map<String, String> environment;
  private final Map<String, TensorEntry> entries = new HashMap<>();
  private int[] orderOf;
  private Tensor orderTensor;

  Capture(ResumableRun run, List<StatefulState> stateful) {
    this.run = run;
    this.stateful = stateful;
  }

  /** Formats what every capture repeats; the first capture does it otherwise. */
  void prepare() {
    if (fingerprint == null) {
      fingerprint = run.fingerprint().encoded();
      environment = Map.copyOf(run.environment());
    }
    for (Tensor t : run.tensors()) {
      entry(t);
    }
  }

  String fingerprint() {
    prepare();
    return fingerprint;
  }

  Snapshot capture() {
    if (fingerprint == null) {
      prepare();
    }
    List<Tensor> tensors = new ArrayList<>(run.tensors());
    int[] order = run.order();
    if (order != null) {
      if (orderOf != order) { // an epoch's order never changes in place: one tensor per epoch
        orderTensor = Tensor.ofInts(BlobLayout.ORDER, order);
        orderOf = order;
      }
      tensors.add(orderTensor);
    }
    Map<String, Object> callbackStates = new LinkedHashMap<>();
    for (StatefulState c : stateful) {
      CallbackState st = Objects.requireNonNull(c.saveState(), () -> c.stateKey() + ".saveState() returned null");
      List<Object> names = new ArrayList<>();
      for (Map.Entry<String, Tensor> e : st.tensors().entrySet()) {
        tensors.add(e.getValue().named(BlobLayout.callback(c.stateKey(), e.getKey())));
        names.add(e.getKey());
      }
      Map<String, Object> entry = new LinkedHashMap<>();
      entry.put("values", st.values());
      entry.put("tensors", names);
      callbackStates.put(c.stateKey(), entry);
    }
    Map<String, Object> shapes = new LinkedHashMap<>();
    for (Tensor t : tensors) {
      shapes.put(t.name(), entry(t));
    }
    TrainingPosition p = run.position();
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("format", TrainingManifest.FORMAT);
    m.put("fingerprint", fingerprint);
    m.put("numericEnvironment", new LinkedHashMap<>(environment));
    m.put("position", position(p));
    m.put("rng", new LinkedHashMap<String, Object>(run.rng()));
    OptimizerInfo opt = run.optimizer();
    Map<String, Object> optimizer = new LinkedHashMap<>();
    optimizer.put("config", opt.config());
    optimizer.put("step", opt.step());
    optimizer.put("learningRate", opt.learningRate());
    m.put("optimizer", optimizer);
    m.put("tensors", shapes);
    m.put("callbacks", callbackStates);
    Map<String, String> metadata = new LinkedHashMap<>();
    metadata.put("format", TrainingManifest.FORMAT);
    metadata.put("epoch", Integer.toString(p.epoch()));
    metadata.put("batch", Integer.toString(p.batch()));
    metadata.put("globalStep", Long.toString(p.globalStep()));
    return new Snapshot(m, tensors, metadata);
  }

  private static Map<String, Object> position(TrainingPosition p) {
    Map<String, Object> position = new LinkedHashMap<>();
    position.put("epoch", (long) p.epoch());
    position.put("batch", (long) p.batch());
    position.put("epochStarted", p.epochStarted());
    position.put("globalStep", p.globalStep());
    position.put("batchesPerEpoch", (long) p.batchesPerEpoch());
    position.put("lossSum", p.lossSum());
    position.put("correctSum", p.correctSum());
    position.put("seen", p.seen());
    return position;
  }

  /** A tensor's manifest entry {@code {"dtype": ..., "shape": [...]}}, encoded once per type and shape. */
  private JsonCodec.Raw entry(Tensor t) {
    TensorEntry e = entries.get(t.name());
    long[] shape = t.shape();
    if (e == null || e.dtype != t.dtype() || !java.util.Arrays.equals(e.shape, shape)) {
      Map<String, Object> d = new LinkedHashMap<>();
      d.put("dtype", t.dtype().descr());
      List<Object> dims = new ArrayList<>();
      for (long s : shape) {
        dims.add(s);
      }
      d.put("shape", dims);
      e = new TensorEntry(t.dtype(), shape, new JsonCodec.Raw(d));
      entries.put(t.name(), e);
    }
    return e.json;
  }

  private record TensorEntry(DType dtype, long[] shape, JsonCodec.Raw json) {}
}
