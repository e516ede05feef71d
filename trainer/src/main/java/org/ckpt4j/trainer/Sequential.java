package org.ckpt4j.trainer;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A Keras-like sequential model of dense layers, trained on float32 ND4J arrays by {@link #fit}.
 *
 * <pre>{@code
 * Sequential model = Sequential.builder(20)
 *     .dense(32, Activation.RELU).dense(3, Activation.SOFTMAX)
 *     .optimizer(Optimizer.adam(1e-3)).loss(Loss.SPARSE_CATEGORICAL_CROSSENTROPY).seed(42)
 *     .build();
 * History h = model.fit(x, y, 10, 32, true, List.of(new BackupAndRestore("/tmp/backup")), true);
 * }</pre>
 *
 * <h2>Reproducibility</h2>
 * Weights are initialized from {@code seed} (Glorot uniform, zero bias) with ND4J's generator of the calling
 * thread; {@code fit} seeds that generator with {@code seed} too and draws each epoch's shuffle order from it.
 * Two runs with the same configuration, data and numeric environment ({@code OMP_NUM_THREADS},
 * {@code OPENBLAS_CORETYPE}) produce bit-identical weights, and a run resumed by {@link BackupAndRestore}
 * produces the same weights as one that was never interrupted. A model is not thread-safe: train it from one
 * thread.
 */
public final class Sequential {
  private final int inputSize;
  private final long seed;
  private final Loss loss;
  private final Optimizer optimizer;
  final List<Dense> layers;
  OptimizerState optimizerState;

  private Sequential(Builder b) {
    this.inputSize = b.inputSize;
    this.seed = b.seed;
    this.loss = b.loss;
    this.optimizer = b.optimizer;
    this.layers = List.copyOf(b.layers);
    Nd4j.getRandom().setSeed(nativeSeed(seed, 0));
    for (Dense d : layers) {
      d.initialize();
    }
    this.optimizerState = new OptimizerState(optimizer, params());
  }

  /** Starts a model taking rows of {@code inputSize} features. */
  public static Builder builder(int inputSize) {
    return new Builder(inputSize);
  }

  /**
   * Trains the model (Keras's {@code fit}).
   *
   * @param x inputs, {@code [n, inputSize]}
   * @param y targets: {@code [n, outputSize]}, or class indices {@code [n]} / {@code [n, 1]} for
   *     {@link Loss#SPARSE_CATEGORICAL_CROSSENTROPY}
   * @param epochs the epoch to stop before (0-based epochs {@code 0 .. epochs-1}); a resumed run continues from
   *     its checkpoint up to this epoch
   * @param batchSize samples per gradient step; the last batch of an epoch may be smaller
   * @param shuffle whether each epoch visits the samples in a fresh random order
   * @param callbacks hooks called in list order; at most one {@link BackupAndRestore}
   * @param verbose whether to print a progress bar on standard output
   * @return the loss (and accuracy, for categorical losses) of each epoch this call ran
   * @throws IOException from {@link BackupAndRestore}'s store (typed: see {@link org.ckpt4j.spi})
   * @throws NonFiniteLossException if a batch's loss is NaN or infinite (no update is applied and no backup
   *     is written for it)
   * @throws IllegalArgumentException naming the bad argument
   */
  public History fit(INDArray x, INDArray y, int epochs, int batchSize, boolean shuffle,
      List<? extends Callback> callbacks, boolean verbose) throws IOException {
    return fit(x, y, epochs, batchSize, shuffle, callbacks, verbose ? System.out : null);
  }

  /**
   * Trains the model (Keras's {@code fit}) as {@code options} say: epochs, batch size, shuffle, callbacks,
   * verbosity, with Keras's defaults. Storage failures are unchecked here.
   *
   * @param x inputs, {@code [n, inputSize]}
   * @param y targets: {@code [n, outputSize]}, or class indices {@code [n]} / {@code [n, 1]} for
   *     {@link Loss#SPARSE_CATEGORICAL_CROSSENTROPY}
   * @return the loss (and accuracy, for categorical losses) of each epoch this call ran
   * @throws BackupStorageException if {@link BackupAndRestore}'s store fails (the typed cause says how)
   * @throws NonFiniteLossException if a batch's loss is NaN or infinite
   * @throws org.ckpt4j.resume.PreemptedException if a {@code saveBeforePreemption} backup stopped the fit on a signal
   * @throws IllegalArgumentException naming the bad argument
   */
  public History fit(INDArray x, INDArray y, FitOptions options) {
    Objects.requireNonNull(options, "options");
    try {
      return fit(x, y, options.epochs, options.batchSize, options.shuffle, options.callbacks, options.progress);
    } catch (IOException e) {
      throw new BackupStorageException(e);
    }
  }

  /**
   * {@link #fit(INDArray, INDArray, int, int, boolean, List, boolean)} printing its progress bar to
   * {@code progress}, or nowhere if null.
   */
  public History fit(INDArray x, INDArray y, int epochs, int batchSize, boolean shuffle,
      List<? extends Callback> callbacks, java.io.PrintStream progress) throws IOException {
    return new FitRun(this, x, y, epochs, batchSize, shuffle, callbacks, progress).run();
  }

  /** The model's output for {@code x} ({@code [n, inputSize]}). */
  public INDArray predict(INDArray x) {
    INDArray a = x.castTo(DataType.FLOAT);
    for (Dense d : layers) {
      a = d.forward(a);
    }
    return a;
  }

  /** Copies of the parameters in layer order: W0, b0, W1, b1, ... (W of shape [inputs, units], b [units]). */
  public List<INDArray> weights() {
    List<INDArray> copies = new ArrayList<>();
    for (INDArray p : params()) {
      copies.add(p.dup());
    }
    return copies;
  }

  /**
   * SHA-256 (hex) over the raw little-endian float32 bytes of {@link #weights()} in order: equal digests mean
   * bit-identical weights.
   */
  public String weightsSha256() {
    try {
      MessageDigest md = MessageDigest.getInstance("SHA-256");
      for (INDArray p : params()) {
        ByteBuffer data = Npy.dataView(p);
        md.update(data);
      }
      return HexFormat.of().formatHex(md.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The learning rate the next step uses (a scheduler callback may change it with {@link #setLearningRate}). */
  public double learningRate() {
    return optimizerState.learningRate;
  }

  public void setLearningRate(double learningRate) {
    if (!(learningRate >= 0) || !Double.isFinite(learningRate)) {
      throw new IllegalArgumentException("learningRate (" + learningRate + ") must be finite and not negative");
    }
    optimizerState.learningRate = learningRate;
  }

  /** Optimizer steps taken so far (restored by {@link BackupAndRestore}). */
  public long optimizerSteps() {
    return optimizerState.step;
  }

  public int inputSize() {
    return inputSize;
  }

  public int outputSize() {
    return layers.get(layers.size() - 1).units;
  }

  public long seed() {
    return seed;
  }

  public Loss loss() {
    return loss;
  }

  public Optimizer optimizer() {
    return optimizer;
  }

  /** The architecture, e.g. {@code in(20)>dense(10,linear)}; part of the run fingerprint. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("in(" + inputSize + ")");
    for (Dense d : layers) {
      sb.append('>').append(d.describe());
    }
    return sb.toString();
  }

  /**
   * The seed given to ND4J's generator for a purpose (0: weights, 1: fit): never 0, which ND4J's native
   * generator does not reproduce (two models built with seed 0 got different weights).
   */
  static long nativeSeed(long seed, int purpose) {
    long z = seed + 0x9E3779B97F4A7C15L * (purpose + 1);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z ^= z >>> 31;
    return z == 0 ? 1 : z;
  }

  List<INDArray> params() {
    List<INDArray> p = new ArrayList<>();
    for (Dense d : layers) {
      p.add(d.weights);
      p.add(d.bias);
    }
    return p;
  }

  /** One gradient step on a batch; returns {loss, correct predictions}. No update if the loss is not finite. */
  double[] trainStep(INDArray xb, INDArray yb) {
    INDArray p = predict(xb);
    double value = loss.value(p, yb);
    if (!Double.isFinite(value)) {
      return new double[] {value, 0};
    }
    double correct = loss.isCategorical() ? correct(p, yb) : 0;
    Dense last = layers.get(layers.size() - 1);
    boolean fused = loss.isCategorical() && last.activation == Activation.SOFTMAX;
    INDArray d = fused ? loss.softmaxLogitGradient(p, yb) : loss.gradient(p, yb);
    List<INDArray> grads = new ArrayList<>();
    for (int k = 0; k < 2 * layers.size(); k++) {
      grads.add(null);
    }
    for (int k = layers.size() - 1; k >= 0; k--) {
      INDArray[] g = new INDArray[2];
      d = layers.get(k).backward(d, fused && k == layers.size() - 1, g);
      grads.set(2 * k, g[0]);
      grads.set(2 * k + 1, g[1]);
    }
    optimizerState.apply(params(), grads);
    return new double[] {value, correct};
  }

  private static double correct(INDArray p, INDArray y) {
    float[][] pv = p.toFloatMatrix();
    float[][] yv = y.toFloatMatrix();
    int c = 0;
    for (int r = 0; r < pv.length; r++) {
      c += argmax(pv[r]) == argmax(yv[r]) ? 1 : 0;
    }
    return c;
  }

  private static int argmax(float[] v) {
    int best = 0;
    for (int k = 1; k < v.length; k++) {
      if (v[k] > v[best]) {
        best = k;
      }
    }
    return best;
  }

  /** Builder of a {@link Sequential} model. */
  public static final class Builder {
    private final int inputSize;
    private final List<Dense> layers = new ArrayList<>();
    private long seed = 0;
    private Loss loss = Loss.MEAN_SQUARED_ERROR;
    private Optimizer optimizer = Optimizer.sgd(0.01);

    private Builder(int inputSize) {
      if (inputSize < 1) {
        throw new IllegalArgumentException("inputSize (" + inputSize + ") must be at least 1");
      }
      this.inputSize = inputSize;
    }

    /** Appends a dense layer of {@code units} outputs. */
    public Builder dense(int units, Activation activation) {
      if (units < 1) {
        throw new IllegalArgumentException("units (" + units + ") must be at least 1");
      }
      int in = layers.isEmpty() ? inputSize : layers.get(layers.size() - 1).units;
      layers.add(new Dense(in, units, Objects.requireNonNull(activation, "activation")));
      return this;
    }

    /** Seed of the weight initialization and of {@code fit}'s shuffling (default 0). */
    public Builder seed(long seed) {
      this.seed = seed;
      return this;
    }

    /** Default: mean squared error. */
    public Builder loss(Loss loss) {
      this.loss = Objects.requireNonNull(loss, "loss");
      return this;
    }

    /** Default: SGD with learning rate 0.01 (Keras's default). */
    public Builder optimizer(Optimizer optimizer) {
      this.optimizer = Objects.requireNonNull(optimizer, "optimizer");
      return this;
    }

    public Sequential build() {
      if (layers.isEmpty()) {
        throw new IllegalStateException("a model needs at least one dense layer");
      }
      return new Sequential(this);
    }
  }
}
