package org.ckpt4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The command line's arguments (refused before any Spark starts: no SparkContext in this JVM). */
class MultiWorkerFitTest {
  @Test
  void parse_takesTheTrainersFitArgumentsAndTheMultiWorkerOnes() {
    MultiWorkerFit.Options o = MultiWorkerFit.Options.parse(new String[] {"fit", "--backup-dir", "s3://b/run",
        "--epochs", "3", "--batch-size=16", "--save-freq", "5", "--seed", "7", "--samples", "100", "--async-save",
        "--keep-previous", "--no-delete", "--lease-timeout-ms", "2000", "--quiet", "--workers", "3", "--master",
        "spark://h:7077", "--fail-worker", "2", "--fail-at-batch", "9", "--conf", "spark.x=y=z"});
    assertThat(o.job.backupDir).isEqualTo("s3://b/run");
    assertThat(o.job.epochs).isEqualTo(3);
    assertThat(o.job.batchSize).isEqualTo(16);
    assertThat(o.job.saveFreq).isEqualTo("5");
    assertThat(o.job.seed).isEqualTo(7);
    assertThat(o.job.samples).isEqualTo(100);
    assertThat(o.job.asyncSave).isTrue();
    assertThat(o.job.keepPrevious).isTrue();
    assertThat(o.job.noDelete).isTrue();
    assertThat(o.job.leaseTimeoutMs).isEqualTo(2000);
    assertThat(o.workers).isEqualTo(3);
    assertThat(o.master).isEqualTo("spark://h:7077");
    assertThat(o.job.failWorker).isEqualTo(2);
    assertThat(o.job.failAtBatch).isEqualTo(9);
    assertThat(o.conf).singleElement().satisfies(kv -> assertThat(kv).containsExactly("spark.x", "y=z"));
  }

  @Test
  void parse_refusesHalfAFaultInjection_aWorkerOutOfRange_andTheSingleProcessCrashOptions() {
    assertThatThrownBy(() -> MultiWorkerFit.Options.parse(new String[] {"fit", "--fail-worker", "1"}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--fail-at-batch");
    assertThatThrownBy(() -> MultiWorkerFit.Options.parse(new String[] {"fit", "--workers", "2", "--fail-worker",
        "2", "--fail-at-batch", "3"})).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--workers");
    assertThatThrownBy(() -> MultiWorkerFit.Options.parse(new String[] {"fit", "--interrupt-at-batch", "3"}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--fail-worker");
    assertThatThrownBy(() -> MultiWorkerFit.Options.parse(new String[] {"fit", "--workers", "0"}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("--workers");
  }

  @Test
  void memBackupDir_exitsWithUsageError_beforeStartingSpark() {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = MultiWorkerFit.run(new String[] {"fit", "--backup-dir", "mem://x"}, new PrintStream(out),
        new PrintStream(err));
    assertThat(code).isEqualTo(MultiWorkerFit.EXIT_USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("mem:");
    assertThat(out.size()).isZero();
  }
}
