package org.ckpt4j.trainer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/** The activation of a dense layer. */
public enum Activation {
  /** The identity, {@code a = z} (Keras's {@code "linear"}): for regression outputs. */
  LINEAR,
  /** {@code max(0, z)}, element-wise. */
  RELU,
  /** The logistic function {@code 1 / (1 + exp(-z))}, element-wise. */
  SIGMOID,
  /** The hyperbolic tangent, element-wise. */
  TANH,
  /** Softmax over each row; with a cross-entropy loss its gradient is computed from the logits directly. */
  SOFTMAX;

  /** The activation of {@code z} as a new array. */
  INDArray apply(INDArray z) {
    switch (this) {
      case LINEAR: return z.dup();
      case RELU: return Transforms.relu(z, true);
      case SIGMOID: return Transforms.sigmoid(z, true);
      case TANH: return Transforms.tanh(z, true);
      case SOFTMAX: return Transforms.softmax(z, true);
      default: throw new AssertionError(this);
    }
  }

  /** The gradient with respect to the pre-activation {@code z}, given {@code a = apply(z)} and {@code dA}. */
  INDArray backward(INDArray z, INDArray a, INDArray dA) {
    switch (this) {
      case LINEAR: return dA;
      case RELU: return dA.mul(z.gt(0).castTo(DataType.FLOAT));
      case SIGMOID: return dA.mul(a.mul(a.rsub(1.0)));
      case TANH: return dA.mul(a.mul(a).rsubi(1.0));
      case SOFTMAX: {
        INDArray dot = dA.mul(a).sum(true, 1);
        return a.mul(dA.subColumnVector(dot));
      }
      default: throw new AssertionError(this);
    }
  }

  String id() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }
}
