package org.ckpt4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ckpt4j.spi.Checkpoint;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 21 item 3: SIGTERM and SIGINT sent to a training child JVM at a random moment. It finishes the batch,
 * saves it, releases the backup dir, prints the checkpoint and the resume command, and exits 143 / 130; the
 * backup holds the step it stopped at; an immediate rerun does not wait for the (30 s) lease and ends
 * bit-identical to an uninterrupted run. Seed: {@code -Dckpt4j.trainer.seed=S}.
 */
class SignalTest {
  private static final Pattern RESULT = Pattern.compile("(?m)^epochs_run=(\\d+) weights_sha256=([0-9a-f]{64})$");
  private static final Pattern STOPPED = Pattern.compile("stopped by SIG(TERM|INT) after step (\\d+)");
  private static final long SEED = Long.getLong("ckpt4j.trainer.seed", System.nanoTime());

  private static List<String> args(Path dir) {
    return List.of("fit", "--backup-dir", dir.toString(), "--epochs", "4", "--batch-size", "4", "--samples",
        "384", "--save-freq", "epoch", "--seed", "5", "--lease-timeout-ms", "30000");
  }

  @Test
  void sigtermAndSigint_saveTheBatchStoppedAt_exit143And130_andTheRerunEndsBitIdentical(@TempDir Path tmp)
      throws Exception {
    Random random = new Random(SEED);
    System.out.println("SignalTest seed=" + SEED);
    ByteArrayOutputStream reference = new ByteArrayOutputStream();
    long t0 = System.nanoTime();
    assertThat(Main.run(args(tmp.resolve("reference")).toArray(new String[0]),
        new PrintStream(reference, true, StandardCharsets.UTF_8), System.err)).isZero();
    long trainingMillis = Math.max(300, (System.nanoTime() - t0) / 1_000_000);
    Matcher expected = RESULT.matcher(reference.toString(StandardCharsets.UTF_8));
    assertThat(expected.find()).isTrue();

    for (String signal : new String[] {"TERM", "INT"}) {
      Path dir = tmp.resolve("run-" + signal);
      KilledProcessTest.Child child = KilledProcessTest.Child.start(args(dir), tmp.resolve(signal + ".err"));
      assertThat(child.trainingStarted.await(120, TimeUnit.SECONDS)).isTrue();
      Thread.sleep((long) (trainingMillis * 0.6 * random.nextDouble()));
      assertThat(child.process.isAlive()).as("still training when signalled").isTrue();
      long sent = System.nanoTime();
      if (signal.equals("TERM")) {
        child.process.destroy(); // SIGTERM
      } else {
        assertThat(new ProcessBuilder("kill", "-INT", Long.toString(child.process.pid())).start().waitFor())
            .isZero();
      }
      assertThat(child.process.waitFor(60, TimeUnit.SECONDS)).isTrue();
      long stopMillis = (System.nanoTime() - sent) / 1_000_000;
      String err = Files.readString(tmp.resolve(signal + ".err"));
      assertThat(child.process.exitValue()).as(err).isEqualTo(signal.equals("TERM") ? 143 : 130);
      Matcher stopped = STOPPED.matcher(err);
      assertThat(stopped.find()).as(err).isTrue();
      assertThat(stopped.group(1)).isEqualTo(signal);
      assertThat(err).contains("Resume from it with the same command:").contains(" fit --backup-dir ");
      try (CheckpointStore s = CheckpointStores.open(dir.toString(), StoreOptions.readOnly().build())) {
        Checkpoint latest = s.latest().orElseThrow();
        assertThat(latest.metadata()).containsEntry("globalStep", stopped.group(2));
      }
      System.out.println("SIG" + signal + ": stopped after step " + stopped.group(2) + " in " + stopMillis + " ms");

      long rerunStart = System.nanoTime();
      KilledProcessTest.Child rerun = KilledProcessTest.Child.start(args(dir), tmp.resolve(signal + "-rerun.err"));
      assertThat(rerun.process.waitFor(120, TimeUnit.SECONDS)).isTrue();
      rerun.reader.join(10_000);
      long rerunMillis = (System.nanoTime() - rerunStart) / 1_000_000;
      assertThat(rerun.process.exitValue()).as(Files.readString(tmp.resolve(signal + "-rerun.err"))).isZero();
      Matcher actual = RESULT.matcher(rerun.output());
      assertThat(actual.find()).as(rerun.output()).isTrue();
      assertThat(actual.group(2)).isEqualTo(expected.group(2));
      assertThat(rerun.output()).contains("resumed from backup");
      // released: the rerun did not wait out the 30 s lease of the stopped run
      assertThat(rerunMillis).as("rerun duration").isLessThan(25_000);
    }
  }
}
