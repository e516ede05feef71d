package org.ckpt4j.trainer;

import org.junit.jupiter.api.Test;

/**
 * Exact resume as a property ({@link ExactResume}) on the in-memory store; {@code ckpt4j-cli}'s tests run the
 * same property on the local disk, Jimfs, S3 and GCS backends.
 *
 * <p>Examples: {@code -Dckpt4j.trainer.examples=N} (default 60); seed: {@code -Dckpt4j.trainer.seed=S}.
 */
class ExactResumeProperties {
  static final int EXAMPLES = Integer.getInteger("ckpt4j.trainer.examples", 60);
  static final long SEED = Long.getLong("ckpt4j.trainer.seed", System.nanoTime());

  @Test
  void interruptedAndResumedRunsEndBitIdenticalToUninterruptedRuns() {
    ExactResume.check("mem", () -> Fixtures.memDir("prop"), EXAMPLES, SEED);
  }
}
