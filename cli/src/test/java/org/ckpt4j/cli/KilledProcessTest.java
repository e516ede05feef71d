package org.ckpt4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.ckpt4j.spi.CheckpointStore;
import org.ckpt4j.spi.CheckpointStores;
import org.ckpt4j.spi.StoreOptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The fit command in a child JVM, killed with SIGKILL ({@link Process#destroyForcibly()}) at random moments and
 * restarted until it completes, on a local backup dir: the final weights are bit-identical to an uninterrupted
 * run's. Kills: {@code -Dckpt4j.trainer.kills=N} (default 2); seed: {@code -Dckpt4j.trainer.seed=S}.
 */
class KilledProcessTest {
  private static final Pattern RESULT = Pattern.compile("^epochs_run=(\\d+) weights_sha256=([0-9a-f]{64})$",
      Pattern.MULTILINE);
  private static final int KILLS = Integer.getInteger("ckpt4j.trainer.kills", 2);
  private static final long SEED = Long.getLong("ckpt4j.trainer.seed", System.nanoTime());

  private static List<String> args(Path dir) {
    return List.of("fit", "--backup-dir", dir.toString(), "--epochs", "6", "--batch-size", "4", "--samples", "384",
        "--save-freq", "16", "--seed", "5", "--lease-timeout-ms", "500");
  }

  @Test
  void aChildKilledAtRandomMomentsAndRestartedUntilDone_endsBitIdenticalToAnUninterruptedRun(@TempDir Path tmp)
      throws Exception {
    Random random = new Random(SEED);
    System.out.println("KilledProcessTest seed=" + SEED + " kills=" + KILLS);

    ByteArrayOutputStream reference = new ByteArrayOutputStream();
    long t0 = System.nanoTime();
    int rc = Main.run(args(tmp.resolve("reference")).toArray(new String[0]),
        new PrintStream(reference, true, StandardCharsets.UTF_8), System.err);
    long trainingMillis = Math.max(200, (System.nanoTime() - t0) / 1_000_000);
    assertThat(rc).isZero();
    Matcher expected = RESULT.matcher(reference.toString(StandardCharsets.UTF_8));
    assertThat(expected.find()).as("reference output %s", reference).isTrue();

    // Kill at a random moment within the training time measured here (adapts to the machine's load); a kill
    // that lands before the first backup proves little, so only kills after which a backup exists count.
    Path dir = tmp.resolve("killed");
    int effectiveKills = 0;
    int resumed = 0;
    String last = null;
    for (int attempt = 0; attempt <= 3 * KILLS + 2 && last == null; attempt++) {
      boolean kill = effectiveKills < KILLS;
      Child child = Child.start(args(dir), tmp.resolve("child-" + attempt + ".err"));
      boolean killed = false;
      if (kill) {
        boolean training = child.trainingStarted.await(120, TimeUnit.SECONDS);
        Thread.sleep((long) (trainingMillis * (0.1 + 0.8 * random.nextDouble())));
        if (training && child.process.isAlive()) {
          child.process.destroyForcibly();
          killed = true;
        }
      }
      assertThat(child.process.waitFor(300, TimeUnit.SECONDS)).as("child %d finished", attempt).isTrue();
      child.reader.join(10_000);
      String out = child.output();
      resumed += out.contains("resumed from backup") ? 1 : 0;
      boolean backedUp = killed && hasBackup(dir);
      effectiveKills += backedUp ? 1 : 0;
      System.out.println("attempt " + attempt + (killed ? " (killed" + (backedUp ? ", a backup exists)" : ")") : "")
          + ": exit " + child.process.exitValue() + "\n" + out);
      if (child.process.exitValue() == 0) {
        last = out;
      } else {
        assertThat(killed).as("attempt %d exited %d unexpectedly; stderr: %s", attempt, child.process.exitValue(),
            Files.readString(tmp.resolve("child-" + attempt + ".err"))).isTrue();
      }
    }
    assertThat(last).as("a run completed").isNotNull();
    Matcher actual = RESULT.matcher(last);
    assertThat(actual.find()).isTrue();
    assertThat(actual.group(2)).as("weights after %d kills", effectiveKills).isEqualTo(expected.group(2));
    assertThat(effectiveKills).as("kills after which a backup existed").isGreaterThanOrEqualTo(Math.min(1, KILLS));
    assertThat(resumed).as("restarts that resumed from a backup").isGreaterThanOrEqualTo(Math.min(1, KILLS));
  }

  private static boolean hasBackup(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return false;
    }
    try (CheckpointStore s = CheckpointStores.open(dir.toString(), StoreOptions.readOnly().build())) {
      return s.latest().isPresent();
    }
  }

  /** A child JVM running {@link Main} with this JVM's class path, environment and javacpp cache. */
  private static final class Child {
    final Process process;
    final Thread reader;
    final CountDownLatch trainingStarted = new CountDownLatch(1);
    private final StringBuffer out = new StringBuffer();

    private Child(Process process) {
      this.process = process;
      this.reader = new Thread(this::read, "child-stdout");
      reader.setDaemon(true);
      reader.start();
    }

    static Child start(List<String> args, Path stderr) throws IOException {
      List<String> cmd = new ArrayList<>();
      cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      cmd.add("-Xmx512m");
      String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
      if (cache != null) {
        cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
      }
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add(Main.class.getName());
      cmd.addAll(args);
      return new Child(new ProcessBuilder(cmd).redirectError(stderr.toFile()).start());
    }

    private void read() {
      try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        String line;
        while ((line = r.readLine()) != null) {
          out.append(line).append('\n');
          if (line.startsWith("Epoch ")) {
            trainingStarted.countDown();
          }
        }
      } catch (IOException e) {
        // the child was killed
      } finally {
        trainingStarted.countDown();
      }
    }

    String output() {
      return out.toString();
    }
  }
}
