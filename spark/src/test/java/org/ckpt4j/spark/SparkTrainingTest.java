package org.ckpt4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;

import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Two workers on the shared embedded Spark: injected failures in the chief or a non-chief resume bit-identical to
 * an uninterrupted run; failures on every attempt fail the job. {@code -Dckpt4j.spark.examples=N} runs more
 * random examples (default 4).
 */
class SparkTrainingTest {
  private static final int EXAMPLES = Integer.getInteger("ckpt4j.spark.examples", 4);
  @TempDir
  static Path dir;
  private static String uninterrupted;

  private static TrainingJob job(String backup) {
    TrainingJob j = new TrainingJob();
    j.backupDir = dir.resolve(backup).toString();
    j.epochs = 2;
    j.batchSize = 10;
    j.samples = 64; // 7 global batches per epoch, 14 in all
    j.saveFreq = "3";
    j.readTimeoutMs = 60_000;
    j.leaseTimeoutMs = 2_000;
    return j;
  }

  @BeforeAll
  static void uninterruptedRun() throws Exception {
    SparkTraining.Outcome o = SparkTraining.run(SharedSpark.context(), job("uninterrupted"), 2);
    assertThat(o.attempts()).isEqualTo(1);
    assertThat(o.results()).hasSize(2);
    uninterrupted = o.results().get(0).weightsSha256();
    assertThat(o.results().get(1).weightsSha256()).isEqualTo(uninterrupted);
  }

  @Test
  void testJvm_isPinnedToLoopbackAndOneThread() {
    assertThat(System.getenv("SPARK_LOCAL_IP")).isEqualTo("127.0.0.1");
    assertThat(System.getenv("OMP_NUM_THREADS")).isEqualTo("1");
    assertThat(System.getenv("OPENBLAS_CORETYPE")).isEqualTo("Haswell");
    assertThat(SharedSpark.context().getConf().get("spark.driver.host")).isEqualTo("127.0.0.1");
  }

  @Test
  void sparkRun_matchesTheSameGroupRunOnThreads() throws Exception {
    assertThat(LocalGroup.run(job("threads"), 2, 0).get(0).weightsSha256()).isEqualTo(uninterrupted);
  }

  @Test
  void injectedFailure_inChiefOrNonChief_restartsTheGroup_andEndsBitIdentical() {
    int[] example = {0};
    qt().withExamples(EXAMPLES).withFixedSeed(20261206L)
        .forAll(integers().between(0, 1), integers().between(1, 13), integers().between(1, 5), booleans().all())
        .checkAssert((worker, batch, saveFreq, async) -> {
          TrainingJob j = job("failure-" + example[0]++);
          j.failWorker = worker;
          j.failAtBatch = batch;
          j.saveFreq = Integer.toString(saveFreq);
          j.asyncSave = async;
          SparkTraining.Outcome o = SparkTraining.run(SharedSpark.context(), j, 2);
          assertThat(o.attempts()).as("attempts").isEqualTo(2);
          assertThat(o.results()).extracting(TrainingJob.Result::weightsSha256)
              .as("worker %d fails before batch %d, saveFreq %d, async %s", worker, batch, saveFreq, async)
              .containsExactly(uninterrupted, uninterrupted);
          // the run resumed from the last backup before the failure (none if the failure came first)
          long expectedSaves = batch / saveFreq;
          assertThat(o.results().get(0).restoredSequence() >= 0).isEqualTo(expectedSaves > 0);
          assertThat(o.results().get(1).restoredSequence()).isEqualTo(o.results().get(0).restoredSequence());
        });
  }

  @Test
  void failureOnEveryAttempt_failsTheJobAfterTheConfiguredAttempts_withTheCause() throws Exception {
    TrainingJob j = job("always-failing");
    j.failWorker = 1;
    j.failAtBatch = 2;
    j.failEveryAttempt = true;
    assertThatThrownBy(() -> SparkTraining.run(SharedSpark.context(), j, 2))
        .isInstanceOfSatisfying(SparkException.class, e -> assertThat(e.getMessage())
            .contains(InjectedFailure.class.getName())
            .contains("(attempt " + (SharedSpark.MAX_ATTEMPTS - 1) + ",")
            .doesNotContain("(attempt " + SharedSpark.MAX_ATTEMPTS + ","));
  }

  @Test
  void memBackupDir_isRefused_beforeAnyTaskRuns() {
    TrainingJob j = job("x");
    j.backupDir = "mem://shared-nowhere";
    assertThatThrownBy(() -> SparkTraining.run(SharedSpark.context(), j, 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mem:");
    assertThat(Files.exists(dir.resolve("x"))).isFalse();
  }
}
