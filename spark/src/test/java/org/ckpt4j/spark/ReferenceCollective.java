package org.ckpt4j.spark;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;

/**
 * An in-memory group of {@code n} workers (threads) that computes what a {@link Collective} must return, the
 * obvious way: every worker's buffer is shared, and chunk {@code c = [c*L/n, (c+1)*L/n)} is summed in the order
 * the ring's contract fixes ({@code ((x_c + x_{c+1}) + ...) + x_{c-1}}).
 */
final class ReferenceCollective {
  private final int n;
  private final CyclicBarrier barrier;
  private final Object[] deposited;

  ReferenceCollective(int n) {
    this.n = n;
    this.barrier = new CyclicBarrier(n);
    this.deposited = new Object[n];
  }

  /** The reference sum of every worker's float buffer, computed by each worker (call from n threads). */
  float[] allReduce(int rank, float[] mine) throws Exception {
    deposited[rank] = mine.clone();
    await();
    int len = mine.length;
    float[] out = new float[len];
    for (int c = 0; c < n; c++) {
      int from = (int) ((long) c * len / n);
      int to = (int) ((long) (c + 1) * len / n);
      for (int i = from; i < to; i++) {
        float sum = ((float[]) deposited[c])[i];
        for (int k = 1; k < n; k++) {
          sum = sum + ((float[]) deposited[(c + k) % n])[i];
        }
        out[i] = sum;
      }
    }
    await();
    return out;
  }

  double[] allReduce(int rank, double[] mine) throws Exception {
    deposited[rank] = mine.clone();
    await();
    int len = mine.length;
    double[] out = new double[len];
    for (int c = 0; c < n; c++) {
      int from = (int) ((long) c * len / n);
      int to = (int) ((long) (c + 1) * len / n);
      for (int i = from; i < to; i++) {
        double sum = ((double[]) deposited[c])[i];
        for (int k = 1; k < n; k++) {
          sum = sum + ((double[]) deposited[(c + k) % n])[i];
        }
        out[i] = sum;
      }
    }
    await();
    return out;
  }

  List<byte[]> allGather(int rank, byte[] mine) throws Exception {
    deposited[rank] = mine.clone();
    await();
    List<byte[]> all = new ArrayList<>();
    for (Object o : deposited) {
      all.add((byte[]) o);
    }
    await();
    return all;
  }

  private void await() throws InterruptedException, BrokenBarrierException {
    barrier.await();
  }
}
