package org.ckpt4j.resume;

import java.net.URI;
import java.util.List;
import org.ckpt4j.spi.CheckpointStoreException;

/**
 * The replicas of a data-parallel fit (the ND4J trainer's {@code ReplicatedFit}) did not restore the same
 * checkpoint from the backup dir (a writer committed between their reads, or they read different dirs). Nothing was trained; the attempt fails, and a
 * restarted group reads the backup again.
 */
public final class ReplicaMismatchException extends CheckpointStoreException {
  private final List<String> restored;

  ReplicaMismatchException(URI uri, List<String> restored) {
    super(uri, "the replicas restored different checkpoints (by rank: " + restored + "); restart the group");
    this.restored = List.copyOf(restored);
  }

  /** What each replica restored, by rank: {@code #<sequence>:<id>}, or {@code none}. */
  public List<String> restored() {
    return restored;
  }
}
