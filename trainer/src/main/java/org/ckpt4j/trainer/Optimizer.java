package org.ckpt4j.trainer;

import java.util.Locale;

/**
 * An optimizer's configuration (immutable): {@link #sgd(double, double)} or {@link #adam(double)}. The state it
 * accumulates while training (momentum, Adam moments and step count) lives in the model and travels in every
 * checkpoint. Updates follow Keras:
 * <ul>
 *   <li>SGD: {@code v = momentum * v - lr * g; w += v} (without momentum: {@code w -= lr * g});</li>
 *   <li>Adam: {@code m = b1 m + (1 - b1) g; v = b2 v + (1 - b2) g^2;
 *       w -= lr * sqrt(1 - b2^t) / (1 - b1^t) * m / (sqrt(v) + eps)}.</li>
 * </ul>
 */
public final class Optimizer {
  enum Kind { SGD, ADAM }

  final Kind kind;
  final double learningRate;
  final double momentum;
  final double beta1;
  final double beta2;
  final double epsilon;

  private Optimizer(Kind kind, double learningRate, double momentum, double beta1, double beta2, double epsilon) {
    this.kind = kind;
    this.learningRate = positive("learningRate", learningRate);
    this.momentum = unit("momentum", momentum);
    this.beta1 = unit("beta1", beta1);
    this.beta2 = unit("beta2", beta2);
    this.epsilon = epsilon;
    if (!(epsilon > 0) || !Double.isFinite(epsilon)) {
      throw new IllegalArgumentException("epsilon (" + epsilon + ") must be positive and finite");
    }
  }

  /** Plain stochastic gradient descent. */
  public static Optimizer sgd(double learningRate) {
    return sgd(learningRate, 0.0);
  }

  /** Stochastic gradient descent with (heavy-ball) momentum in [0, 1). */
  public static Optimizer sgd(double learningRate, double momentum) {
    return new Optimizer(Kind.SGD, learningRate, momentum, 0.9, 0.999, 1e-7);
  }

  /** Adam with Keras's defaults: beta1 0.9, beta2 0.999, epsilon 1e-7. */
  public static Optimizer adam(double learningRate) {
    return adam(learningRate, 0.9, 0.999, 1e-7);
  }

  public static Optimizer adam(double learningRate, double beta1, double beta2, double epsilon) {
    return new Optimizer(Kind.ADAM, learningRate, 0.0, beta1, beta2, epsilon);
  }

  public double learningRate() {
    return learningRate;
  }

  /** A canonical description, part of the run fingerprint, e.g. {@code adam(lr=0.001,beta1=0.9,...)}. */
  @Override
  public String toString() {
    if (kind == Kind.SGD) {
      return "sgd(lr=" + learningRate + ",momentum=" + momentum + ")";
    }
    return "adam(lr=" + learningRate + ",beta1=" + beta1 + ",beta2=" + beta2 + ",epsilon=" + epsilon + ")";
  }

  String id() {
    return kind.name().toLowerCase(Locale.ROOT);
  }

  private static double positive(String name, double v) {
    if (!(v > 0) || !Double.isFinite(v)) {
      throw new IllegalArgumentException(name + " (" + v + ") must be positive and finite");
    }
    return v;
  }

  private static double unit(String name, double v) {
    if (!(v >= 0 && v < 1)) {
      throw new IllegalArgumentException(name + " (" + v + ") must be in [0, 1)");
    }
    return v;
  }
}
