package org.ckpt4j.trainer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.ckpt4j.resume.BlobLayout;
import org.ckpt4j.resume.DType;
import org.ckpt4j.resume.OptimizerInfo;
import org.ckpt4j.resume.ReplicaGroup;
import org.ckpt4j.resume.ResumableRun;
import org.ckpt4j.resume.RunFingerprint;
import org.ckpt4j.resume.RunShape;
import org.ckpt4j.resume.StatefulState;
import org.ckpt4j.resume.Tensor;
import org.ckpt4j.resume.TrainingPosition;
import org.ckpt4j.resume.TrainingState;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A {@link FitRun} as {@code ckpt4j-resume} sees it: the model's parameters and optimizer slots as tensors that
 * view the ND4J arrays' memory (no copy), ND4J's RNG state ({@code root}, {@code node}), the optimizer's scalars,
 * the loop's position, and the stateful callbacks. On restore it reads straight into new arrays
 * ({@link #allocate}) and swaps them in.
 */
final class Nd4jRun implements ResumableRun {
  private final FitRun run;
  private RunFingerprint fingerprint;
  private Map<String, String> environment;
  private final List<StatefulState> stateful = new ArrayList<>();
  /** The tensor of each live array, by identity: a save reuses its view of the array's memory. */
  private final IdentityHashMap<INDArray, Tensor> views = new IdentityHashMap<>();
  /** Arrays allocated for a restore in progress, by blob name. */
  private final Map<String, INDArray> allocated = new HashMap<>();

  Nd4jRun(FitRun run) {
    this.run = run;
    for (StatefulCallback c : run.stateful) {
      stateful.add(new StatefulState() {
        @Override
        public String stateKey() {
          return c.stateKey();
        }

        @Override
        public org.ckpt4j.resume.CallbackState saveState() {
          CallbackState s = c.saveState();
          return s == null ? null : s.toNeutral();
        }

        @Override
        public void restoreState(org.ckpt4j.resume.CallbackState state) {
          c.restoreState(CallbackState.fromNeutral(state));
        }

        @Override
        public String toString() {
          return c.getClass().getName();
        }
      });
    }
  }
  @Override
  public void beforeSignalMessage() {
    run.endProgressLine();
  }


  /**
   * The run's identity, computed once per fit: it hashes all of x and y, which would otherwise cost every save
   * (and every async save's stall) a pass over the data set. x and y must not change during the fit anyway.
   */
  @Override
  public RunFingerprint fingerprint() {
    if (fingerprint == null) {
      fingerprint = Fingerprint.of(run.model, run.x, run.classIds != null ? run.classIds : run.y, run.batchSize,
          run.shuffle);
    }
    return fingerprint;
  }

  @Override
  public RunShape shape() {
    return new RunShape(run.samples, run.batchSize, run.shuffle, run.epochs);
  }

  @Override
  public Map<String, String> environment() {
    if (environment == null) {
      environment = Map.copyOf(NumericEnvironment.current());
    }
    return environment;
  }

  @Override
  public TrainingPosition position() {
    return run.position.copy();
  }

  @Override
  public int[] order() {
    return run.position.order;
  }

  @Override
  public Map<String, Long> rng() {
    Map<String, Long> r = new LinkedHashMap<>();
    r.put("root", Nd4j.getRandom().rootState());
    r.put("node", Nd4j.getRandom().nodeState());
    return r;
  }

  @Override
  public OptimizerInfo optimizer() {
    OptimizerState opt = run.model.optimizerState;
    return new OptimizerInfo(run.model.optimizer().toString(), opt.step, opt.learningRate);
  }

  /** Names of the parameters: {@code <layer>/W} and {@code <layer>/b}, in the order of {@code params()}. */
  private List<String> paramNames() {
    List<String> names = new ArrayList<>();
    for (int k = 0; k < run.model.layers.size(); k++) {
      names.add(k + "/W");
      names.add(k + "/b");
    }
    return names;
  }

  /** The live parameters and optimizer slots by blob name, in the order a checkpoint holds them. */
  Map<String, INDArray> arrays() {
    Map<String, INDArray> arrays = new LinkedHashMap<>();
    List<String> names = paramNames();
    List<INDArray> params = run.model.params();
    OptimizerState opt = run.model.optimizerState;
    String[] slotNames = opt.slotNames();
    for (int k = 0; k < names.size(); k++) {
      arrays.put(BlobLayout.model(names.get(k)), params.get(k));
      for (int s = 0; s < slotNames.length; s++) {
        arrays.put(BlobLayout.optimizer(names.get(k), slotNames[s]), opt.slots.get(k)[s]);
      }
    }
    return arrays;
  }

  @Override
  public List<Tensor> tensors() {
    List<Tensor> tensors = new ArrayList<>();
    IdentityHashMap<INDArray, Tensor> live = new IdentityHashMap<>();
    for (Map.Entry<String, INDArray> e : arrays().entrySet()) {
      Tensor t = views.get(e.getValue());
      if (t == null || !t.name().equals(e.getKey()) || !Npy.isDense(e.getValue())) {
        t = Npy.tensor(e.getKey(), e.getValue());
      }
      live.put(e.getValue(), t);
      tensors.add(t);
    }
    views.clear();
    views.putAll(live); // arrays replaced by a restore drop out
    return tensors;
  }

  @Override
  public List<StatefulState> stateful() {
    return stateful;
  }

  @Override
  public Tensor allocate(String name, DType dtype, long[] shape) {
    INDArray a = Nd4j.create(Npy.dataType(dtype), shape, 'c');
    allocated.put(name, a);
    return Npy.tensor(name, a);
  }

  /** Backups written when biases were stored as {@code [1, n]}: the same elements as today's {@code [n]}. */
  @Override
  public boolean acceptsStoredShape(String name, long[] stored, long[] expected) {
    return expected.length == 1 && Arrays.equals(stored, new long[] {1, expected[0]});
  }

  @Override
  public void restore(TrainingState state) {
    Sequential model = run.model;
    List<String> names = paramNames();
    OptimizerState opt = model.optimizerState;
    String[] slotNames = opt.slotNames();
    List<INDArray> params = model.params();
    for (int k = 0; k < names.size(); k++) {
      long[] shape = params.get(k).shape();
      INDArray p = shaped(allocated.get(BlobLayout.model(names.get(k))), shape);
      Dense layer = model.layers.get(k / 2);
      if (k % 2 == 0) {
        layer.weights = p;
      } else {
        layer.bias = p;
      }
      INDArray[] s = new INDArray[slotNames.length];
      for (int j = 0; j < slotNames.length; j++) {
        s[j] = shaped(allocated.get(BlobLayout.optimizer(names.get(k), slotNames[j])), shape);
      }
      opt.slots.set(k, s);
    }
    allocated.clear();
    opt.step = state.optimizer().step();
    opt.learningRate = state.optimizer().learningRate();
    run.position.restore(state.position(), state.order());
    Nd4j.getRandom().setStates(state.rng().get("root"), state.rng().get("node"));
  }

  private static INDArray shaped(INDArray a, long[] shape) {
    return Arrays.equals(a.shape(), shape) ? a : a.reshape('c', shape).dup('c');
  }

  @Override
  public ReplicaGroup replicas() {
    return run.replicas;
  }
}
