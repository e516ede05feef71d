package org.ckpt4j.spark;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Real process deaths: the command line in another JVM, SIGKILLed as a whole (the driver, with its embedded
 * Spark and both workers) or losing one executor process of a {@code local-cluster} Spark; the run that follows
 * ends bit-identical to an uninterrupted 2-worker run.
 */
@Tag("process")
class ProcessKillTest {
  private static final List<String> ARGS = Subprocesses.ARGS;
  @TempDir
  static Path dir;
  private static String uninterrupted;

  @BeforeAll
  static void uninterruptedRun() throws Exception {
    uninterrupted = Subprocesses.uninterrupted(dir);
  }

  private static List<String> args(Path backup, String... more) {
    List<String> a = new ArrayList<>(List.of("--backup-dir", backup.toString()));
    a.addAll(ARGS);
    a.addAll(List.of(more));
    return a;
  }

  /** Starts the command, waits for a checkpoint past step 20, SIGKILLs {@code victim(process)}. */
  private static Process startAndAwaitCheckpoint(List<String> cmd, Path backup, Path log) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (Subprocesses.latestStep(backup) < 20) {
      assertThat(p.isAlive()).as("the run ended before its first backups: %s", Files.readString(log)).isTrue();
      assertThat(System.nanoTime()).as("no backup within 120 s").isLessThan(deadline);
      Thread.sleep(100);
    }
    return p;
  }

  private static String finish(Process p, Path log) throws Exception {
    assertThat(p.waitFor(240, TimeUnit.SECONDS)).as("the run did not end within 240 s").isTrue();
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    return out;
  }

  @Test
  void sigkillOfTheWholeDriver_thenTheSameCommand_endsBitIdentical() throws Exception {
    Path backup = dir.resolve("driver-kill");
    List<String> cmd = Subprocesses.fitCommand(args(backup));
    Process first = startAndAwaitCheckpoint(cmd, backup, dir.resolve("driver-1.log"));
    long step = Subprocesses.latestStep(backup);
    first.destroyForcibly(); // SIGKILL: no shutdown hook, no close, the claim is left to expire
    first.waitFor();
    System.out.println(java.time.LocalTime.now() + " SIGKILLed the driver at step " + step + " or later");
    Process second = new ProcessBuilder(cmd).redirectErrorStream(true)
        .redirectOutput(dir.resolve("driver-2.log").toFile()).start();
    String out = finish(second, dir.resolve("driver-2.log"));
    out.lines().forEach(System.out::println);
    assertThat(out).contains("resumed from backup #");
    assertThat(Subprocesses.sha(out)).as(out).isEqualTo(uninterrupted);
    assertThat(step).isPositive();
  }

  @Test
  void sigkillOfOneExecutorProcess_inALocalCluster_restartsTheGroup_andEndsBitIdentical() throws Exception {
    Path home = sparkHome();
    Path backup = dir.resolve("executor-kill");
    List<String> dirs = new ArrayList<>();
    for (String e : Subprocesses.classPath()) {
      if (!e.endsWith(".jar")) {
        dirs.add(e);
      }
    }
    String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
    List<String> cmd = Subprocesses.fitCommand(args(backup, "--master", "local-cluster[2,1,1024]",
        "--conf", "spark.home=" + home,
        "--conf", "spark.executor.extraClassPath=" + String.join(File.pathSeparator, dirs),
        "--conf", "spark.executor.extraJavaOptions=-Dorg.bytedeco.javacpp.cachedir=" + cache
            + " -Dorg.bytedeco.javacpp.maxbytes=1G -Dorg.bytedeco.javacpp.maxphysicalbytes=2G",
        "--conf", "spark.executorEnv.OMP_NUM_THREADS=1",
        "--conf", "spark.executorEnv.OPENBLAS_CORETYPE=Haswell",
        "--conf", "spark.executorEnv.SPARK_LOCAL_IP=127.0.0.1"));
    Path log = dir.resolve("executor.log");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile());
    pb.environment().put("SPARK_HOME", home.toString());
    pb.environment().put("SPARK_SCALA_VERSION", "2.13"); // else the launcher looks for Spark's build directories
    Process driver = pb.start();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
    while (Subprocesses.latestStep(backup) < 20) {
      assertThat(driver.isAlive()).as("the run ended before its first backups: %s", Files.readString(log)).isTrue();
      assertThat(System.nanoTime()).as("no backup within 180 s").isLessThan(deadline);
      Thread.sleep(100);
    }
    List<ProcessHandle> executors = driver.toHandle().descendants()
        .filter(h -> h.info().commandLine().orElse("").contains("CoarseGrainedExecutorBackend")).toList();
    assertThat(executors).as("executor processes of the local cluster").hasSize(2);
    executors.get(1).destroyForcibly(); // SIGKILL
    System.out.println(java.time.LocalTime.now() + " SIGKILLed executor " + executors.get(1).pid() + " at step "
        + Subprocesses.latestStep(backup) + " or later");
    String out = finish(driver, log);
    out.lines().filter(l -> !l.startsWith("\tat ") && !l.startsWith("\t...")).forEach(System.out::println);
    assertThat(out).contains("stage_attempts=");
    assertThat(out).doesNotContain("stage_attempts=1\n");
    assertThat(Subprocesses.sha(out)).as(out).isEqualTo(uninterrupted);
  }

  /** A SPARK_HOME layout for local-cluster's executor launcher: RELEASE and jars/ with the test's jars. */
  private static Path sparkHome() throws IOException {
    Path home = Path.of("target", "spark-home").toAbsolutePath();
    Path jars = home.resolve("jars");
    Files.createDirectories(jars);
    Files.writeString(home.resolve("RELEASE"), "Spark 4.2.0 (layout built by ckpt4j's ProcessKillTest)\n");
    for (String e : Subprocesses.classPath()) {
      Path jar = Path.of(e);
      if (e.endsWith(".jar") && !Files.exists(jars.resolve(jar.getFileName()))) {
        Files.createSymbolicLink(jars.resolve(jar.getFileName()), jar.toAbsolutePath());
      }
    }
    return home;
  }
}
