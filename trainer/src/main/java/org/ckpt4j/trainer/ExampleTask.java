package org.ckpt4j.trainer;

import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The example training task of the command lines (the single-process {@code ckpt4j fit} and the multi-worker
 * {@code MultiWorkerFit}): one definition, so that one worker and one process train the same bits and print the
 * same weights hash.
 */
public final class ExampleTask {
  /** Input features per sample. */
  public static final int FEATURES = 20;
  /** Classes of the labels. */
  public static final int CLASSES = 3;

  private ExampleTask() {}

  /**
   * The model: 20 &gt; 32 relu &gt; 16 tanh &gt; 3 softmax, Adam(1e-3), sparse categorical cross-entropy.
   *
   * @param seed the model's seed
   * @return a new model
   */
  public static Sequential model(long seed) {
    return Sequential.builder(FEATURES).dense(32, Activation.RELU).dense(16, Activation.TANH)
        .dense(CLASSES, Activation.SOFTMAX).optimizer(Optimizer.adam(1e-3))
        .loss(Loss.SPARSE_CATEGORICAL_CROSSENTROPY).seed(seed).build();
  }

  /**
   * A generated classification dataset: uniform features in [-1, 1), labels from the argmax of a fixed random
   * linear map (java.util randomness, identical in every JVM).
   *
   * @param samples how many samples
   * @param seed the data's seed
   * @return {x [samples, 20], y [samples] class indices}
   */
  public static INDArray[] dataset(int samples, long seed) {
    SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + 1);
    double[][] w = new double[FEATURES][CLASSES];
    for (double[] row : w) {
      for (int c = 0; c < CLASSES; c++) {
        row[c] = r.nextDouble(-1, 1);
      }
    }
    float[][] x = new float[samples][FEATURES];
    float[] y = new float[samples];
    for (int s = 0; s < samples; s++) {
      double[] score = new double[CLASSES];
      for (int f = 0; f < FEATURES; f++) {
        x[s][f] = (float) (r.nextDouble() * 2 - 1);
        for (int c = 0; c < CLASSES; c++) {
          score[c] += x[s][f] * w[f][c];
        }
      }
      int best = 0;
      for (int c = 1; c < CLASSES; c++) {
        best = score[c] > score[best] ? c : best;
      }
      y[s] = best;
    }
    return new INDArray[] {Nd4j.create(x).castTo(DataType.FLOAT), Nd4j.createFromArray(y)};
  }
}
