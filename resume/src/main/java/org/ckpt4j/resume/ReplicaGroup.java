package org.ckpt4j.resume;

import java.io.IOException;
import java.util.List;

/**
 * What {@link BackupAndRestore} needs of a data-parallel group of replicas: the chief (rank 0) writes the
 * backups, every replica restores the same one. Every replica calls the same operations in the same order;
 * any failure is thrown, never retried.
 */
public interface ReplicaGroup {
  /** This replica's index, {@code 0 .. size-1}; replica 0 is the chief, which writes the backups. */
  int rank();

  /** Returns once every replica has called it. */
  void barrier() throws IOException;

  /** Every replica's {@code mine}, indexed by rank. */
  List<byte[]> allGather(byte[] mine) throws IOException;
}
