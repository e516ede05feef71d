package org.ckpt4j.trainer;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * The loss a {@link Sequential} model minimizes, averaged over the samples of a batch (Keras semantics).
 * Targets: for {@link #MEAN_SQUARED_ERROR} and {@link #CATEGORICAL_CROSSENTROPY} one row per sample of the
 * output's width; for {@link #SPARSE_CATEGORICAL_CROSSENTROPY} one class index per sample (shape {@code [n]} or
 * {@code [n, 1]}).
 */
public enum Loss {
  /** The mean over samples and outputs of {@code (prediction - target)^2} (Keras's {@code "mse"}). */
  MEAN_SQUARED_ERROR,
  /**
   * {@code -sum(target * log(prediction))} per sample, averaged over the batch, for one-hot (or probability) targets
   * of the output's width; predictions are clipped to {@code [1e-7, 1 - 1e-7]} first, as in Keras.
   */
  CATEGORICAL_CROSSENTROPY,
  /**
   * {@link #CATEGORICAL_CROSSENTROPY} for targets given as class indices {@code 0 .. outputs-1} (shape {@code [n]}
   * or {@code [n, 1]}, any numeric type holding whole numbers); a run's identity records them as given.
   */
  SPARSE_CATEGORICAL_CROSSENTROPY;

  /** Predictions are clipped to [EPSILON, 1 - EPSILON] before the logarithm, as in Keras. */
  static final double EPSILON = 1e-7;

  String id() {
    switch (this) {
      case MEAN_SQUARED_ERROR: return "mse";
      case CATEGORICAL_CROSSENTROPY: return "categorical_crossentropy";
      default: return "sparse_categorical_crossentropy";
    }
  }

  boolean isCategorical() {
    return this != MEAN_SQUARED_ERROR;
  }

  /** The mean loss of a batch of predictions {@code p} against dense targets {@code y} (one-hot if categorical). */
  double value(INDArray p, INDArray y) {
    long n = p.rows();
    if (this == MEAN_SQUARED_ERROR) {
      INDArray d = p.sub(y);
      return d.muli(d).sumNumber().doubleValue() / (n * p.columns());
    }
    INDArray logs = Transforms.log(clip(p), false);
    return -logs.muli(y).sumNumber().doubleValue() / n;
  }

  /** The gradient of {@link #value} with respect to the predictions {@code p}. */
  INDArray gradient(INDArray p, INDArray y) {
    long n = p.rows();
    if (this == MEAN_SQUARED_ERROR) {
      return p.sub(y).muli(2.0 / (n * p.columns()));
    }
    return y.div(clip(p)).muli(-1.0 / n);
  }

  /**
   * The gradient with respect to the logits of a softmax output layer: {@code (p - y) / n}, exact and stable,
   * used instead of chaining {@link #gradient} through the softmax.
   */
  INDArray softmaxLogitGradient(INDArray p, INDArray y) {
    return p.sub(y).muli(1.0 / p.rows());
  }

  private static INDArray clip(INDArray p) {
    return Transforms.min(Transforms.max(p, EPSILON, true), 1.0 - EPSILON, false);
  }
}
