package org.ckpt4j.tck;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.ckpt4j.resume.BackupAndRestore;
import org.ckpt4j.resume.BlobLayout;
import org.ckpt4j.resume.CallbackState;
import org.ckpt4j.resume.OptimizerInfo;
import org.ckpt4j.resume.ResumableRun;
import org.ckpt4j.resume.RunFingerprint;
import org.ckpt4j.resume.RunShape;
import org.ckpt4j.resume.StatefulState;
import org.ckpt4j.resume.Tensor;
import org.ckpt4j.resume.TrainingPosition;
import org.ckpt4j.resume.TrainingState;

/**
 * The kit's reference training loop, in plain Java: a 6-8-3 MLP (tanh, softmax) on float arrays, trained with
 * Adam on a fixed 96-sample classification set, shuffled every epoch by a seeded RNG whose state is a single
 * {@code long}, with a stateful learning-rate schedule ({@link LrSchedule}). It hands its state to
 * {@code ckpt4j-resume}'s {@link BackupAndRestore} as a {@link ResumableRun}, the same code the ND4J trainer
 * goes through, so that the end-to-end resume rules need no native library. Deterministic: {@link StrictMath}
 * and float arithmetic give the same bits in every JVM.
 */
final class ReferenceTraining implements ResumableRun {
  static final int EPOCHS = 4;
  static final int BATCH = 8;
  static final int SAMPLES = 96;
  static final int BATCHES_PER_EPOCH = SAMPLES / BATCH;
  static final int BATCHES = EPOCHS * BATCHES_PER_EPOCH;
  static final long SEED = 7;
  private static final int IN = 6;
  private static final int HIDDEN = 8;
  private static final int OUT = 3;
  private static final String[] PARAMS = {"0/W", "0/b", "1/W", "1/b"};
  private static final long[][] SHAPES = {{IN, HIDDEN}, {HIDDEN}, {HIDDEN, OUT}, {OUT}};
  private static final String[] SLOTS = {"m", "v"};
  private static final double BETA1 = 0.9;
  private static final double BETA2 = 0.999;
  private static final double EPSILON = 1e-7;
  private static final float[][] X = new float[SAMPLES][IN];
  private static final int[] Y = new int[SAMPLES];

  static {
    SplittableRandom r = new SplittableRandom(SEED);
    for (int s = 0; s < SAMPLES; s++) {
      double score = 0;
      for (int f = 0; f < IN; f++) {
        X[s][f] = (float) r.nextDouble(-1, 1);
        score += X[s][f] * (f - 2.5);
      }
      Y[s] = score > 1 ? 2 : score > -1 ? 1 : 0;
    }
  }

  /** Hooks of the kit's rules: a failure at a chosen batch, a child's progress lines. */
  interface Hook {
    void beforeBatch(int epoch, int batch, BackupAndRestore backup);
  }

  /** A learning-rate schedule with state: a per-batch counter sets the learning rate of every step. */
  static final class LrSchedule implements StatefulState {
    long count;
    /** The count a resume restored, or -1. */
    long restoredCount = -1;

    @Override
    public String stateKey() {
      return "tck-lr-schedule";
    }

    @Override
    public CallbackState saveState() {
      return CallbackState.of(Map.of("count", count));
    }

    @Override
    public void restoreState(CallbackState state) {
      count = state.getLong("count");
      restoredCount = count;
    }

    double learningRate() {
      return 0.01 / (1 + 0.05 * count);
    }
  }

  private final float[][] params = new float[PARAMS.length][];
  private final float[][][] slots = new float[PARAMS.length][SLOTS.length][];
  private final LrSchedule schedule;
  private long rngState;
  private long step;
  private double learningRate = 0.01;
  private int epoch;
  private int batch;
  private boolean epochStarted;
  private long globalStep;
  private int[] order;
  private long seen;
  private double lossSum;
  private double correctSum;

  ReferenceTraining(LrSchedule schedule) {
    this.schedule = schedule;
    SplittableRandom init = new SplittableRandom(SEED ^ 0x5DEECE66DL);
    for (int p = 0; p < PARAMS.length; p++) {
      int n = (int) (SHAPES[p][0] * (SHAPES[p].length > 1 ? SHAPES[p][1] : 1));
      params[p] = new float[n];
      if (SHAPES[p].length > 1) {
        double scale = StrictMath.sqrt(2.0 / (SHAPES[p][0] + SHAPES[p][1]));
        for (int k = 0; k < n; k++) {
          params[p][k] = (float) (init.nextDouble(-1, 1) * scale);
        }
      }
      for (int s = 0; s < SLOTS.length; s++) {
        slots[p][s] = new float[n];
      }
    }
    rngState = SEED ^ 0x2545F4914F6CDD1DL; // the training RNG starts apart from the initializer's
  }

  /** Trains (resuming from {@code backup}'s dir) to completion; returns the weights' SHA-256. */
  static String fit(BackupAndRestore backup, Hook hook, LrSchedule schedule) throws IOException {
    ReferenceTraining run = new ReferenceTraining(schedule);
    try {
      backup.begin(run);
      while (run.epoch < EPOCHS) {
        run.runEpoch(backup, hook);
      }
      backup.end(run);
      return run.weightsSha256();
    } finally {
      backup.release();
    }
  }

  private void runEpoch(BackupAndRestore backup, Hook hook) throws IOException {
    if (!epochStarted) {
      order = permutation();
      seen = 0;
      lossSum = 0;
      correctSum = 0;
      epochStarted = true;
    }
    while (batch < BATCHES_PER_EPOCH) {
      if (hook != null) {
        hook.beforeBatch(epoch, batch, backup);
      }
      learningRate = schedule.learningRate();
      trainStep(batch);
      batch++;
      globalStep++;
      schedule.count++;
      backup.afterBatch(this);
      backup.checkPreemption(this);
    }
    epoch++;
    batch = 0;
    epochStarted = false;
    order = null;
    backup.afterEpoch(this);
    backup.checkPreemption(this);
  }

  /** SplitMix64: the whole state is one long, which a checkpoint carries. */
  private long nextLong() {
    long z = (rngState += 0x9E3779B97F4A7C15L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }

  private int[] permutation() {
    int[] p = new int[SAMPLES];
    for (int k = 0; k < SAMPLES; k++) {
      p[k] = k;
    }
    for (int k = SAMPLES - 1; k > 0; k--) {
      int j = (int) Long.remainderUnsigned(nextLong(), k + 1);
      int t = p[k];
      p[k] = p[j];
      p[j] = t;
    }
    return p;
  }

  /** One Adam step on the mean cross-entropy of batch {@code b} of the epoch's order. */
  private void trainStep(int b) {
    float[] w1 = params[0];
    float[] b1 = params[1];
    float[] w2 = params[2];
    float[] b2 = params[3];
    float[][] grads = new float[PARAMS.length][];
    for (int p = 0; p < PARAMS.length; p++) {
      grads[p] = new float[params[p].length];
    }
    for (int k = 0; k < BATCH; k++) {
      int s = order[b * BATCH + k];
      float[] h = new float[HIDDEN];
      for (int j = 0; j < HIDDEN; j++) {
        float a = b1[j];
        for (int i = 0; i < IN; i++) {
          a += X[s][i] * w1[i * HIDDEN + j];
        }
        h[j] = (float) StrictMath.tanh(a);
      }
      float[] logits = new float[OUT];
      float max = Float.NEGATIVE_INFINITY;
      for (int o = 0; o < OUT; o++) {
        float a = b2[o];
        for (int j = 0; j < HIDDEN; j++) {
          a += h[j] * w2[j * OUT + o];
        }
        logits[o] = a;
        max = Math.max(max, a);
      }
      float sum = 0;
      float[] prob = new float[OUT];
      for (int o = 0; o < OUT; o++) {
        prob[o] = (float) StrictMath.exp(logits[o] - max);
        sum += prob[o];
      }
      int argmax = 0;
      for (int o = 0; o < OUT; o++) {
        prob[o] /= sum;
        argmax = prob[o] > prob[argmax] ? o : argmax;
      }
      lossSum += -StrictMath.log(Math.max(prob[Y[s]], 1e-12f));
      correctSum += argmax == Y[s] ? 1 : 0;
      seen++;
      float[] dh = new float[HIDDEN];
      for (int o = 0; o < OUT; o++) {
        float d = (prob[o] - (o == Y[s] ? 1 : 0)) / BATCH;
        grads[3][o] += d;
        for (int j = 0; j < HIDDEN; j++) {
          grads[2][j * OUT + o] += h[j] * d;
          dh[j] += w2[j * OUT + o] * d;
        }
      }
      for (int j = 0; j < HIDDEN; j++) {
        float dz = dh[j] * (1 - h[j] * h[j]);
        grads[1][j] += dz;
        for (int i = 0; i < IN; i++) {
          grads[0][i * HIDDEN + j] += X[s][i] * dz;
        }
      }
    }
    step++;
    double t = (double) step;
    double lrT = learningRate * StrictMath.sqrt(1 - StrictMath.pow(BETA2, t)) / (1 - StrictMath.pow(BETA1, t));
    for (int p = 0; p < PARAMS.length; p++) {
      float[] m = slots[p][0];
      float[] v = slots[p][1];
      for (int k = 0; k < params[p].length; k++) {
        float g = grads[p][k];
        m[k] = (float) (BETA1 * m[k] + (1 - BETA1) * g);
        v[k] = (float) (BETA2 * v[k] + (1 - BETA2) * g * g);
        params[p][k] -= (float) (lrT * m[k] / (StrictMath.sqrt(v[k]) + EPSILON));
      }
    }
  }

  String weightsSha256() {
    List<byte[]> parts = new ArrayList<>();
    for (float[] p : params) {
      ByteBuffer b = ByteBuffer.allocate(4 * p.length).order(ByteOrder.LITTLE_ENDIAN);
      b.asFloatBuffer().put(p);
      parts.add(b.array());
    }
    return RunFingerprint.sha256(parts.toArray(new byte[0][]));
  }

  // ---- ResumableRun ----

  @Override
  public RunFingerprint fingerprint() {
    Map<String, String> f = new LinkedHashMap<>();
    f.put("model", "mlp(6>8tanh>3softmax)");
    f.put("optimizer", "adam(b1=" + BETA1 + ",b2=" + BETA2 + ",eps=" + EPSILON + ")");
    f.put("loss", "sparse_categorical_crossentropy");
    f.put("seed", Long.toString(SEED));
    f.put("batchSize", Integer.toString(BATCH));
    f.put("shuffle", "true");
    ByteBuffer data = ByteBuffer.allocate(SAMPLES * (IN * 4 + 4));
    for (int s = 0; s < SAMPLES; s++) {
      for (float x : X[s]) {
        data.putFloat(x);
      }
      data.putInt(Y[s]);
    }
    f.put("data", "sha256=" + RunFingerprint.sha256(data.array()));
    return RunFingerprint.of("ckpt4j-tck-reference/1", f);
  }

  @Override
  public RunShape shape() {
    return new RunShape(SAMPLES, BATCH, true, EPOCHS);
  }

  @Override
  public TrainingPosition position() {
    return new TrainingPosition(epoch, batch, epochStarted, globalStep, BATCHES_PER_EPOCH, seen, lossSum,
        correctSum);
  }

  @Override
  public int[] order() {
    return order;
  }

  @Override
  public Map<String, Long> rng() {
    return Map.of("state", rngState);
  }

  @Override
  public OptimizerInfo optimizer() {
    return new OptimizerInfo("adam", step, learningRate);
  }

  @Override
  public List<Tensor> tensors() {
    List<Tensor> tensors = new ArrayList<>();
    for (int p = 0; p < PARAMS.length; p++) {
      tensors.add(Tensor.ofFloats(BlobLayout.model(PARAMS[p]), SHAPES[p], params[p]));
      for (int s = 0; s < SLOTS.length; s++) {
        tensors.add(Tensor.ofFloats(BlobLayout.optimizer(PARAMS[p], SLOTS[s]), SHAPES[p], slots[p][s]));
      }
    }
    return tensors;
  }

  @Override
  public List<StatefulState> stateful() {
    return List.of(schedule);
  }

  @Override
  public void restore(TrainingState state) {
    for (int p = 0; p < PARAMS.length; p++) {
      params[p] = state.tensors().get(BlobLayout.model(PARAMS[p])).floats();
      for (int s = 0; s < SLOTS.length; s++) {
        slots[p][s] = state.tensors().get(BlobLayout.optimizer(PARAMS[p], SLOTS[s])).floats();
      }
    }
    TrainingPosition p = state.position();
    epoch = p.epoch();
    batch = p.batch();
    epochStarted = p.epochStarted();
    globalStep = p.globalStep();
    seen = p.seen();
    lossSum = p.lossSum();
    correctSum = p.correctSum();
    order = state.order();
    rngState = state.rng().get("state");
    step = state.optimizer().step();
    learningRate = state.optimizer().learningRate();
  }
}
