package org.ckpt4j.trainer;

import java.io.IOException;

/**
 * The group of replicas a data-parallel {@link ReplicatedFit} runs in: every replica trains the same model on its
 * slice of each global batch, and these collective operations keep them identical. Implementations (e.g.
 * {@code ckpt4j-spark}'s TCP ring) must give every replica the same bits from {@link #allReduce}, in an order
 * that depends only on {@link #size()}, so that a run is reproducible. Every replica calls the same operations in
 * the same order. Any failure is thrown, never retried: the group restarts together and restores from the backup.
 */
public interface Replicas extends org.ckpt4j.resume.ReplicaGroup {
  /** The number of replicas. */
  int size();

  /** Replaces {@code buffer} in place by the element-wise sum of every replica's buffer (all the same length). */
  void allReduce(float[] buffer) throws IOException;

  /** Replaces {@code buffer} in place by the element-wise sum of every replica's buffer (all the same length). */
  void allReduce(double[] buffer) throws IOException;

}
