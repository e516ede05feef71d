package org.ckpt4j.trainer;

import java.util.Arrays;
import java.util.Objects;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The checks of a fit's inputs: x and y against the model (shapes, class indices), each refused with a message
 * naming the argument and what was expected; accepted inputs come back as dense float32 C-order arrays.
 */
final class FitInputs {
  private FitInputs() {}

  static INDArray features(Sequential model, INDArray x) {
    Objects.requireNonNull(x, "x");
    if (x.rank() != 2 || x.rows() == 0 || x.columns() != model.inputSize()) {
      throw new IllegalArgumentException("x must have shape [n >= 1, " + model.inputSize() + "], got "
          + Arrays.toString(x.shape()));
    }
    return dense(x);
  }

  static INDArray targets(Sequential model, INDArray y, long n) {
    Objects.requireNonNull(y, "y");
    if (y.rank() == 0 || y.rank() > 2 || y.size(0) != n) {
      throw new IllegalArgumentException("y must have " + n + " rows, one per row of x, got shape "
          + Arrays.toString(y.shape()));
    }
    int classes = model.outputSize();
    if (model.loss() != Loss.SPARSE_CATEGORICAL_CROSSENTROPY) {
      if (y.rank() != 2 || y.columns() != classes) {
        throw new IllegalArgumentException("y must have shape [" + n + ", " + classes + "] (the output size), got "
            + Arrays.toString(y.shape()));
      }
      return dense(y);
    }
    if (y.length() != n) {
      throw new IllegalArgumentException("y must hold one class index per sample for "
          + "SPARSE_CATEGORICAL_CROSSENTROPY, shape [" + n + "] or [" + n + ", 1], got " + Arrays.toString(y.shape()));
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
  static INDArray classIds(Sequential model, INDArray y, long n) {
    return model.loss() == Loss.SPARSE_CATEGORICAL_CROSSENTROPY ? y.reshape(n).castTo(DataType.INT).dup('c') : null;
  }

  private static INDArray dense(INDArray a) {
    if (a.dataType() == DataType.FLOAT && a.ordering() == 'c' && !a.isView() && a.data().length() == a.length()) {
      return a;
    }
    return a.castTo(DataType.FLOAT).dup('c');
  }
}
