package org.ckpt4j.spark;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * {@link RingBench}'s time from a worker's failure to training again with the embedded Spark: the command line
 * in a child JVM with {@code --fail-worker R}, once for the chief and once for a non-chief, broken down by the
 * log lines of the child (Spark's scheduler at INFO, ckpt4j at DEBUG):
 * <ol>
 *   <li>detect: from the injected failure to Spark's marking the barrier stage failed;</li>
 *   <li>resubmit: to the tasks of the next stage attempt being submitted;</li>
 *   <li>rendezvous: to the last task's knowing every ring address (Spark's {@code allGather} polls every
 *       second; the embedded Spark's tasks meet in the JVM);</li>
 *   <li>ring + open: to the chief's claim of the backup dir (the ring is connected before);</li>
 *   <li>restore: to the chief's restore, after which it trains again.</li>
 * </ol>
 */
final class RecoveryBench {
  private static final Pattern TIME = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d) ");
  private static final String[] PHASES = {"detect", "resubmit", "rendezvous", "ring + open", "restore", "total"};
  /** Log lines that end each phase, in order (after the failure). */
  private static final String[] MARKS = {"as failed due to a barrier task failed", "Submitting 2 missing tasks",
      ": rendezvous in ", "claimed as #", "restored checkpoint"};

  private RecoveryBench() {}

  static void recovery(int runs) throws Exception {
    System.out.println("recovery with the embedded local[2] Spark (child JVM, global batch 8, save every 10 "
        + "batches; worker R fails before batch 100), median of " + runs + " run(s), ms:");
    System.out.printf("  %-9s | %s%n", "failed", String.join(" | ", PHASES));
    for (int worker : new int[] {0, 1}) {
      List<long[]> all = new ArrayList<>();
      for (int k = 0; k < runs; k++) {
        long[] phases = run(worker);
        if (phases != null) {
          all.add(phases);
        }
      }
      if (all.isEmpty()) {
        continue;
      }
      StringBuilder line = new StringBuilder();
      for (int p = 0; p < PHASES.length; p++) {
        double[] v = new double[all.size()];
        for (int k = 0; k < v.length; k++) {
          v[k] = all.get(k)[p];
        }
        line.append(p == 0 ? "" : " | ").append(String.format("%.0f", RingBench.median(v)));
      }
      System.out.printf("  %-9s | %s%n", worker == 0 ? "chief" : "worker 1", line);
    }
  }

  /** One run; the phases in ms, or null (printed) when the log lacks a line. */
  private static long[] run(int worker) throws Exception {
    Path tmp = Files.createTempDirectory("ckpt4j-recovery");
    try {
      Path log4j = tmp.resolve("log4j2.properties");
      Files.writeString(log4j, String.join("\n", "rootLogger.level = warn",
          "rootLogger.appenderRef.stderr.ref = console", "appender.console.type = Console",
          "appender.console.name = console", "appender.console.target = SYSTEM_ERR",
          "appender.console.layout.type = PatternLayout",
          "appender.console.layout.pattern = %d{HH:mm:ss.SSS} %p %c{1}: %m%n",
          "logger.ckpt4j.name = org.ckpt4j", "logger.ckpt4j.level = debug",
          "logger.dag.name = org.apache.spark.scheduler.DAGScheduler", "logger.dag.level = info",
          "logger.btc.name = org.apache.spark.BarrierTaskContext", "logger.btc.level = info",
          "logger.ex.name = org.apache.spark.executor.Executor", "logger.ex.level = off", ""));
      List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java")
          .toString(), "-Xmx1g", "-Dlog4j2.configurationFile=" + log4j));
      String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
      if (cache != null) {
        cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
      }
      cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), MultiWorkerFit.class.getName(), "fit",
          "--workers", "2", "--epochs", "4", "--batch-size", "8", "--save-freq", "10", "--backup-dir",
          tmp.resolve("b").toString(), "--fail-worker", Integer.toString(worker), "--fail-at-batch", "100",
          "--quiet"));
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      p.waitFor();
      long[] phases = phases(out);
      if (phases == null) {
        System.out.println("  could not find the failure and the restore in the child's log:\n" + out);
      }
      return phases;
    } finally {
      try (var s = Files.walk(tmp)) {
        s.sorted(Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
      }
    }
  }

  private static long[] phases(String out) {
    LocalTime failed = null;
    LocalTime[] at = new LocalTime[MARKS.length];
    int next = 0;
    for (String line : out.split("\n")) {
      Matcher m = TIME.matcher(line);
      if (!m.find()) {
        continue;
      }
      if (failed == null) {
        if (line.contains("injecting a failure")) {
          failed = LocalTime.parse(m.group(1));
        }
      } else if (next < MARKS.length && line.contains(MARKS[next])) {
        at[next++] = LocalTime.parse(m.group(1));
      } else if (next == 3 && line.contains(MARKS[2])) {
        at[2] = LocalTime.parse(m.group(1)); // the ring needs every task's address: the last one counts
      }
    }
    if (failed == null || next < MARKS.length) {
      return null;
    }
    long[] phases = new long[PHASES.length];
    LocalTime from = failed;
    for (int k = 0; k < MARKS.length; k++) {
      phases[k] = Duration.between(from, at[k]).toMillis();
      from = at[k];
    }
    phases[MARKS.length] = Duration.between(failed, at[MARKS.length - 1]).toMillis();
    return phases;
  }
}
