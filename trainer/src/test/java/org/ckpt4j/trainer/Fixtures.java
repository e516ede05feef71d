package org.ckpt4j.trainer;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Shared test data and helpers. */
final class Fixtures {
  private static final AtomicLong NAMES = new AtomicLong();

  private Fixtures() {}

  /** A fresh in-memory backup dir name. */
  static String memDir(String prefix) {
    return "mem:" + prefix + "-" + NAMES.incrementAndGet() + "-" + System.nanoTime();
  }

  /** The Keras example: {@code np.arange(100).reshape(5, 20)}. */
  static INDArray seedX() {
    return Nd4j.arange(100).castTo(DataType.FLOAT).reshape(5, 20);
  }

  /** Zero targets for Dense(10). */
  static INDArray seedY() {
    return Nd4j.zeros(DataType.FLOAT, 5, 10);
  }

  /**
   * Dense(10), SGD, MSE. The learning rate is 1e-5: with Keras's default 0.01 this data (features up to 99)
   * makes plain SGD diverge in float32, the loss overflowing at epoch 2 (Keras carries on with inf/NaN weights,
   * which would compare equal trivially); {@link SeedExampleTest} checks that case separately.
   */
  static Sequential seedModel() {
    return seedModel(1e-5);
  }

  static Sequential seedModel(double learningRate) {
    return Sequential.builder(20).dense(10, Activation.LINEAR).optimizer(Optimizer.sgd(learningRate))
        .loss(Loss.MEAN_SQUARED_ERROR).seed(7).build();
  }

  /** Asserts bit-identical parameters (not merely equal within a tolerance). */
  static void assertBitIdentical(Sequential actual, Sequential expected) {
    assertBitIdentical(actual, expected, "");
  }

  static void assertBitIdentical(Sequential actual, Sequential expected, Object context) {
    List<INDArray> a = actual.weights();
    List<INDArray> e = expected.weights();
    assertThat(a).hasSameSizeAs(e);
    for (int k = 0; k < a.size(); k++) {
      assertThat(bits(a.get(k))).as("%s: parameter %d (raw float bits)", context, k).isEqualTo(bits(e.get(k)));
    }
    assertThat(actual.weightsSha256()).isEqualTo(expected.weightsSha256());
  }

  /** The raw bits of each float, so that NaN payloads and -0.0 count too. */
  static List<Integer> bits(INDArray a) {
    java.nio.FloatBuffer f = Npy.dataView(a.castTo(DataType.FLOAT).dup('c')).order(java.nio.ByteOrder.nativeOrder())
        .asFloatBuffer();
    List<Integer> bits = new java.util.ArrayList<>();
    while (f.hasRemaining()) {
      bits.add(Float.floatToRawIntBits(f.get()));
    }
    return bits;
  }

  /** Raises {@link Boom} at the start of one epoch. */
  static class RaiseAtEpoch implements Callback {
    private final int epoch;

    RaiseAtEpoch(int epoch) {
      this.epoch = epoch;
    }

    @Override
    public void onEpochBegin(int e) {
      if (e == epoch) {
        throw new Boom("interrupted at the start of epoch " + e);
      }
    }
  }

  /** The test's simulated crash. */
  static final class Boom extends RuntimeException {
    Boom(String message) {
      super(message);
    }
  }

  static Map<String, Double> noLogs() {
    return Map.of();
  }
}
