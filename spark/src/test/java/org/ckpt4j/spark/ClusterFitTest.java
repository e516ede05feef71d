package org.ckpt4j.spark;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manual TF_CONFIG-style launch: its configuration, and two processes, one SIGKILLed, both restarted. */
class ClusterFitTest {
  @TempDir
  Path dir;

  @Test
  void tfConfig_ranksTheChiefFirst_thenTheWorkers() {
    String cluster = "\"cluster\": {\"chief\": [\"127.0.0.1:7000\"], \"worker\": [\"127.0.0.1:7001\", "
        + "\"localhost:7002\"]}";
    ClusterConfig chief = ClusterConfig.parse("{" + cluster + ", \"task\": {\"type\": \"chief\", \"index\": 0}}");
    ClusterConfig w1 = ClusterConfig.parse("{" + cluster + ", \"task\": {\"type\": \"worker\", \"index\": 1}}");
    assertThat(chief.rank()).isZero();
    assertThat(w1.rank()).isEqualTo(2);
    assertThat(w1.addresses()).extracting(a -> a.getHostString() + ":" + a.getPort())
        .containsExactly("127.0.0.1:7000", "127.0.0.1:7001", "localhost:7002");
    ClusterConfig plain = ClusterConfig.parse("{\"cluster\": {\"worker\": [\"127.0.0.1:7001\"]}, "
        + "\"task\": {\"type\": \"worker\", \"index\": 0}}");
    assertThat(plain.rank()).isZero();
  }

  @Test
  void tfConfig_thatIsMalformedOrOutOfRange_isRefusedWithTheReason() {
    assertThatThrownBy(() -> ClusterConfig.parse("{\"cluster\": {\"worker\": [\"h:1\"]}, \"task\": {\"type\": "
        + "\"worker\", \"index\": 1}}")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("index");
    assertThatThrownBy(() -> ClusterConfig.parse("{\"cluster\": {\"worker\": [\"nocolon\"]}, \"task\": {\"type\": "
        + "\"worker\", \"index\": 0}}")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("host:port");
    assertThatThrownBy(() -> ClusterConfig.parse("{\"cluster\": ")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("JSON");
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    assertThat(ClusterFit.run(new String[] {"fit"}, null, new PrintStream(new ByteArrayOutputStream()),
        new PrintStream(err))).isEqualTo(MultiWorkerFit.EXIT_USAGE);
    assertThat(err.toString(StandardCharsets.UTF_8)).contains("TF_CONFIG");
  }

  private static int freePort() throws Exception {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private Process start(List<String> cmd, String tfConfig, String log) throws Exception {
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(dir.resolve(log).toFile());
    pb.environment().put("TF_CONFIG", tfConfig);
    return pb.start();
  }

  @Test
  @Tag("process")
  void twoProcesses_chiefSigkilled_theOtherFails_bothRestarted_endBitIdentical() throws Exception {
    String expected = Subprocesses.uninterrupted(dir);
    Path backup = dir.resolve("backup");
    List<String> args = new ArrayList<>(List.of("--backup-dir", backup.toString(), "--read-timeout-ms", "20000"));
    args.addAll(Subprocesses.ARGS);
    List<String> cmd = Subprocesses.command(ClusterFit.class, args);
    String cluster = "{\"cluster\": {\"worker\": [\"127.0.0.1:" + freePort() + "\", \"127.0.0.1:" + freePort()
        + "\"]}, \"task\": {\"type\": \"worker\", \"index\": ";
    Process chief = start(cmd, cluster + "0}}", "w0.log");
    Process other = start(cmd, cluster + "1}}", "w1.log");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
    while (Subprocesses.latestStep(backup) < 20) {
      assertThat(chief.isAlive()).as("the chief ended before its first backups: %s",
          Files.readString(dir.resolve("w0.log"))).isTrue();
      assertThat(System.nanoTime()).as("no backup within 120 s").isLessThan(deadline);
      Thread.sleep(100);
    }
    chief.destroyForcibly(); // SIGKILL
    long killed = System.nanoTime();
    assertThat(other.waitFor(30, TimeUnit.SECONDS)).as("the other worker did not fail").isTrue();
    System.out.println("the surviving worker exited " + (System.nanoTime() - killed) / 1_000_000 + " ms after the "
        + "chief's SIGKILL");
    assertThat(other.exitValue()).isEqualTo(1);
    assertThat(Files.readString(dir.resolve("w1.log"))).contains("CollectiveException");
    chief.waitFor();
    // the user brings the group back
    Process chief2 = start(cmd, cluster + "0}}", "w0b.log");
    Process other2 = start(cmd, cluster + "1}}", "w1b.log");
    for (Process p : List.of(chief2, other2)) {
      assertThat(p.waitFor(240, TimeUnit.SECONDS)).as("the restarted worker did not finish").isTrue();
    }
    String out0 = Files.readString(dir.resolve("w0b.log"));
    String out1 = Files.readString(dir.resolve("w1b.log"));
    System.out.println(out0);
    assertThat(chief2.exitValue()).as(out0).isZero();
    assertThat(other2.exitValue()).as(out1).isZero();
    assertThat(out0).contains("resumed from backup #");
    assertThat(out1).contains("resumed from backup #");
    assertThat(Subprocesses.sha(out0)).as(out0).isEqualTo(expected);
    assertThat(Subprocesses.sha(out1)).as(out1).isEqualTo(expected);
  }

  private static void signal(Process p, String sig) throws Exception {
    assertThat(new ProcessBuilder("kill", "-" + sig, Long.toString(p.pid())).start().waitFor()).isZero();
  }

  /**
   * A zombie chief: the chief's JVM is paused (SIGSTOP) while it saves every batch asynchronously; the other
   * worker fails at its read deadline; the user starts a new group (on other ports), whose chief takes the backup
   * dir over after the paused one's lease expired and trains to the end, keeping its last backup. Then the
   * zombie resumes (SIGCONT): its in-flight commit is fenced (R6.4) and the new group's backup stays latest.
   */
  @Test
  @Tag("process")
  void pausedChief_isAZombie_whoseLateCommitIsFenced() throws Exception {
    String expected = Subprocesses.uninterrupted(dir);
    Path backup = dir.resolve("zombie");
    List<String> common = new ArrayList<>(List.of("--backup-dir", backup.toString(), "--read-timeout-ms", "3000",
        "--no-delete"));
    common.addAll(Subprocesses.ARGS);
    List<String> zombieArgs = new ArrayList<>(common);
    zombieArgs.addAll(List.of("--save-freq", "1", "--async-save")); // the last --save-freq wins
    String first = "{\"cluster\": {\"worker\": [\"127.0.0.1:" + freePort() + "\", \"127.0.0.1:" + freePort()
        + "\"]}, \"task\": {\"type\": \"worker\", \"index\": ";
    Process zombie = start(Subprocesses.command(ClusterFit.class, zombieArgs), first + "0}}", "z0.log");
    Process other = start(Subprocesses.command(ClusterFit.class, zombieArgs), first + "1}}", "z1.log");
    try {
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
      while (Subprocesses.latestStep(backup) < 20) {
        assertThat(zombie.isAlive()).as("the chief ended early: %s", Files.readString(dir.resolve("z0.log")))
            .isTrue();
        assertThat(System.nanoTime()).as("no backup within 120 s").isLessThan(deadline);
        Thread.sleep(20);
      }
      signal(zombie, "STOP");
      long paused = System.nanoTime();
      assertThat(other.waitFor(60, TimeUnit.SECONDS)).as("the other worker did not give up on the silent chief")
          .isTrue();
      System.out.println("the other worker exited " + (System.nanoTime() - paused) / 1_000_000 + " ms after the "
          + "chief was paused (read deadline 3000 ms)");
      assertThat(other.exitValue()).isEqualTo(1);
      assertThat(Files.readString(dir.resolve("z1.log"))).contains("read deadline");
      String second = "{\"cluster\": {\"worker\": [\"127.0.0.1:" + freePort() + "\", \"127.0.0.1:" + freePort()
          + "\"]}, \"task\": {\"type\": \"worker\", \"index\": ";
      List<String> cmd = Subprocesses.command(ClusterFit.class, common);
      Process chief2 = start(cmd, second + "0}}", "n0.log");
      Process other2 = start(cmd, second + "1}}", "n1.log");
      for (Process p : List.of(chief2, other2)) {
        assertThat(p.waitFor(240, TimeUnit.SECONDS)).as("the new group did not finish").isTrue();
      }
      String out0 = Files.readString(dir.resolve("n0.log"));
      assertThat(chief2.exitValue()).as(out0).isZero();
      assertThat(Subprocesses.sha(out0)).as(out0).isEqualTo(expected);
      long finalStep = Subprocesses.latestStep(backup);
      assertThat(finalStep).isEqualTo(4 * 1024 / 8);
      signal(zombie, "CONT");
      assertThat(zombie.waitFor(60, TimeUnit.SECONDS)).as("the zombie did not end").isTrue();
      String z = Files.readString(dir.resolve("z0.log"));
      System.out.println(z);
      assertThat(zombie.exitValue()).as(z).isEqualTo(1);
      // Fenced: the zombie's async save fails with FencedWriterException, whose message the store also logs.
      // Which error the zombie's worker exits with is a race: the save's, or its ring's (its peer is gone).
      assertThat(z).as("the zombie's in-flight save was fenced").containsAnyOf("FencedWriterException",
          "another store took over this backup dir");
      assertThat(Subprocesses.latestStep(backup)).as("the new group's last backup stays latest").isEqualTo(finalStep);
    } finally {
      if (zombie.isAlive()) {
        signal(zombie, "CONT");
        zombie.destroyForcibly();
      }
      other.destroyForcibly();
    }
  }
}
