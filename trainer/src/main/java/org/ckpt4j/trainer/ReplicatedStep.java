package org.ckpt4j.trainer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * One optimizer step of a {@link ReplicatedFit} replica on its slice of a global batch. The arithmetic is
 * {@link Sequential#trainStep}'s with the batch size {@code n} replaced by the global batch's: the loss is the
 * all-reduced sum divided as {@link Loss#value} divides, and the gradient of each replica is scaled by
 * {@code 1/n} before the all-reduce, so that with one replica every operation, and so every bit, is the same as
 * in {@code trainStep}.
 */
final class ReplicatedStep {
  private ReplicatedStep() {}

  /** The rows of a global batch of {@code m} that replica {@code rank} of {@code size} trains on. */
  static int[] slice(int[] rows, int rank, int size) {
    long m = rows.length;
    int from = (int) (rank * m / size);
    int to = (int) ((rank + 1) * m / size);
    return Arrays.copyOfRange(rows, from, to);
  }

  /** Returns {loss, correct predictions} of the global batch, as {@link Sequential#trainStep} does. */
  static double[] step(FitRun run, int[] globalRows) throws IOException {
    Replicas replicas = run.replicas;
    Sequential model = run.model;
    Loss loss = model.loss();
    long n = globalRows.length;
    int[] rows = slice(globalRows, replicas.rank(), replicas.size());
    INDArray p = null;
    INDArray yb = null;
    double[] sums = new double[2];
    if (rows.length > 0) {
      INDArray xb = run.x.getRows(rows);
      yb = run.y.getRows(rows);
      p = model.predict(xb);
      sums[0] = lossSum(loss, p, yb);
      sums[1] = loss.isCategorical() ? correct(p, yb) : 0;
    }
    boolean alone = replicas.size() == 1; // nothing to sum: skip the copies (the sums would be the same bits)
    if (!alone) {
      replicas.allReduce(sums);
    }
    int columns = model.outputSize();
    double value = loss == Loss.MEAN_SQUARED_ERROR ? sums[0] / (n * columns) : -sums[0] / n;
    if (!Double.isFinite(value)) {
      return new double[] {value, 0};
    }
    List<INDArray> params = model.params();
    List<INDArray> grads = rows.length > 0 ? gradients(model, p, yb, n) : zeros(params);
    if (!alone) {
      float[] flat = Nd4j.toFlattened('c', grads).data().asFloat();
      replicas.allReduce(flat);
      grads = unflatten(flat, params);
    }
    model.optimizerState.apply(params, grads);
    return new double[] {value, sums[1]};
  }

  /** What {@link Loss#value} divides to get the batch mean (before its sign, for the cross-entropies). */
  private static double lossSum(Loss loss, INDArray p, INDArray y) {
    if (loss == Loss.MEAN_SQUARED_ERROR) {
      INDArray d = p.sub(y);
      return d.muli(d).sumNumber().doubleValue();
    }
    INDArray logs = Transforms.log(clip(p), false);
    return logs.muli(y).sumNumber().doubleValue();
  }

  /** {@link Sequential#trainStep}'s back-propagation with the loss gradient scaled by the global batch. */
  private static List<INDArray> gradients(Sequential model, INDArray p, INDArray y, long n) {
    Loss loss = model.loss();
    List<Dense> layers = model.layers;
    Dense last = layers.get(layers.size() - 1);
    boolean fused = loss.isCategorical() && last.activation == Activation.SOFTMAX;
    INDArray d;
    if (fused) {
      d = p.sub(y).muli(1.0 / n);
    } else if (loss == Loss.MEAN_SQUARED_ERROR) {
      d = p.sub(y).muli(2.0 / (n * p.columns()));
    } else {
      d = y.div(clip(p)).muli(-1.0 / n);
    }
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
    return grads;
  }

  private static INDArray clip(INDArray p) {
    return Transforms.min(Transforms.max(p, Loss.EPSILON, true), 1.0 - Loss.EPSILON, false);
  }

  private static List<INDArray> zeros(List<INDArray> params) {
    List<INDArray> z = new ArrayList<>();
    for (INDArray q : params) {
      z.add(Nd4j.zeros(DataType.FLOAT, q.shape()));
    }
    return z;
  }

  /** Views of one array holding {@code flat}, shaped like {@code like} (c order, as toFlattened wrote them). */
  private static List<INDArray> unflatten(float[] flat, List<INDArray> like) {
    INDArray all = Nd4j.createFromArray(flat);
    List<INDArray> out = new ArrayList<>();
    long at = 0;
    for (INDArray q : like) {
      long len = q.length();
      out.add(all.get(NDArrayIndex.interval(at, at + len)).reshape('c', q.shape()));
      at += len;
    }
    return out;
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
}
