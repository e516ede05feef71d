package org.ckpt4j.trainer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Exact resume as a property: for random small models, datasets, optimizers, losses, save frequencies and
 * interruption points (callback exceptions at epoch/batch begin/end, storage failures in the middle of a save),
 * a run interrupted any number of times and resumed each time ends with weights bit-identical to an
 * uninterrupted run, and the completing fit's history equals the uninterrupted history for the epochs it ran.
 *
 * <p>Examples: {@code -Dckpt4j.trainer.examples=N} (default 60); seed: {@code -Dckpt4j.trainer.seed=S}.
 */
class ExactResumeProperties {
  static final int EXAMPLES = Integer.getInteger("ckpt4j.trainer.examples", 60);
  static final long SEED = Long.getLong("ckpt4j.trainer.seed", System.nanoTime());

  private static final java.util.concurrent.atomic.AtomicInteger INTERRUPTIONS = new java.util.concurrent.atomic.AtomicInteger();
  private static final java.util.concurrent.atomic.AtomicInteger RESUMES = new java.util.concurrent.atomic.AtomicInteger();

  @Test
  void interruptedAndResumedRunsEndBitIdenticalToUninterruptedRuns() {
    System.out.println("ExactResumeProperties seed=" + SEED + " examples=" + EXAMPLES
        + " (rerun with -Dckpt4j.trainer.seed=" + SEED + ")");
    qt().withExamples(EXAMPLES).withFixedSeed(SEED)
        .forAll(longs().between(0, 1_000_000_000L), longs().between(0, 1_000_000_000L), integers().between(1, 4))
        .checkAssert((configSeed, interruptSeed, count) -> {
          try {
            check(new Scenario(configSeed, interruptSeed, count));
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        });
    System.out.println("ExactResumeProperties: " + INTERRUPTIONS + " interrupted fits, " + RESUMES
        + " fits resumed from a backup");
    // a property whose interruptions never fire, or whose runs never resume, would prove nothing
    assertThat(INTERRUPTIONS.get()).isGreaterThanOrEqualTo(EXAMPLES / 3);
    assertThat(RESUMES.get()).isGreaterThanOrEqualTo(EXAMPLES / 5);
  }

  private static void check(Scenario s) throws IOException {
    Sequential reference = s.model();
    History full = reference.fit(s.x(), s.y(), s.epochs, s.batchSize, s.shuffle, s.callbacks(null, null), false);

    String dir = "faulty:" + Fixtures.memDir("prop").substring(4);
    History last = null;
    Sequential model = null;
    for (Scenario.Interruption i : s.interruptions) {
      model = s.model(); // a fresh process
      BackupAndRestore backup = s.backup(dir);
      last = s.attempt(model, backup, i);
      if (backup.restoredCheckpoint().isPresent()) {
        RESUMES.incrementAndGet();
      }
      if (last != null) {
        break; // the interruption point was already behind the resumed position: the fit completed
      }
      INTERRUPTIONS.incrementAndGet();
    }
    if (last == null) {
      model = s.model();
      BackupAndRestore backup = s.backup(dir);
      last = model.fit(s.x(), s.y(), s.epochs, s.batchSize, s.shuffle, s.callbacks(backup, null), false);
      if (backup.restoredCheckpoint().isPresent()) {
        RESUMES.incrementAndGet();
      }
    }
    Fixtures.assertBitIdentical(model, reference, s);
    List<Integer> ran = last.epochs();
    if (!ran.isEmpty()) {
      assertThat(ran).as("%s: epochs run", s).isEqualTo(full.epochs().subList(ran.get(0), s.epochs));
      assertThat(last.loss()).as("%s: loss history", s).isEqualTo(full.loss().subList(ran.get(0), s.epochs));
      assertThat(last.asMap()).as("%s: metrics", s).containsOnlyKeys(full.asMap().keySet());
    }
  }
}
