package org.ckpt4j.cli;

import java.io.IOException;
import java.util.Optional;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.SupersededCheckpointException;

/**
 * How read-only tools (export, inspect, verify) read a backup while a run may be training into it: a commit can
 * remove the data of the checkpoint being read (contract rule R2.4, {@link SupersededCheckpointException}); the
 * read then starts over on the new latest, at most {@link #ATTEMPTS} times in all.
 */
final class Retry {
  /** Reads of one call at most: a run that commits faster than a whole read takes still fails, naming why. */
  static final int ATTEMPTS = 5;

  private Retry() {}

  /** A read of one checkpoint. */
  interface Read<T> {
    T apply(Checkpoint cp) throws IOException;
  }

  /**
   * Applies {@code read} to the latest checkpoint (or the kept previous one), again on the new one when a commit
   * superseded it meanwhile. Empty if there is none.
   *
   * @throws SupersededCheckpointException if every attempt lost the race
   */
  static <T> Optional<T> onLatest(CheckpointStore store, boolean previous, Read<T> read) throws IOException {
    for (int attempt = 1; ; attempt++) {
      try {
        Optional<Checkpoint> cp = previous ? store.previous() : store.latest();
        if (cp.isEmpty()) {
          return Optional.empty();
        }
        return Optional.of(read.apply(cp.get()));
      } catch (SupersededCheckpointException e) {
        if (attempt >= ATTEMPTS) {
          throw e;
        }
      }
    }
  }
}
