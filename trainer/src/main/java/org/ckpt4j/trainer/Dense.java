package org.ckpt4j.trainer;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * A fully connected layer {@code a = activation(x W + b)} with W of shape [inputs, units] and b of shape [units]
 * (Keras's shapes: a bias exports as the {@code (units,)} a numpy user expects).
 */
final class Dense {
  final int inputs;
  final int units;
  final Activation activation;
  INDArray weights;
  INDArray bias;
  // the last forward pass, kept for backward
  private INDArray in;
  private INDArray z;
  private INDArray a;

  Dense(int inputs, int units, Activation activation) {
    this.inputs = inputs;
    this.units = units;
    this.activation = activation;
  }

  /** Glorot-uniform weights from the thread's ND4J generator, zero bias (Keras's defaults). */
  void initialize() {
    double limit = Math.sqrt(6.0 / (inputs + units));
    weights = Nd4j.rand(DataType.FLOAT, inputs, units).muli(2 * limit).subi(limit);
    bias = Nd4j.zeros(DataType.FLOAT, units);
  }

  INDArray forward(INDArray x) {
    in = x;
    z = x.mmul(weights).addiRowVector(bias);
    a = activation.apply(z);
    return a;
  }

  /**
   * Back-propagates through the last forward pass.
   *
   * @param d the gradient with respect to the output, or with respect to the pre-activation if {@code preActivation}
   * @param grads receives [dW, db]
   * @return the gradient with respect to the layer's input
   */
  INDArray backward(INDArray d, boolean preActivation, INDArray[] grads) {
    INDArray dz = preActivation ? d : activation.backward(z, a, d);
    grads[0] = in.transpose().mmul(dz);
    grads[1] = dz.sum(0);
    return dz.mmul(weights.transpose());
  }

  String describe() {
    return "dense(" + units + "," + activation.id() + ")";
  }
}
