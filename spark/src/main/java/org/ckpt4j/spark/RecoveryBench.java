package org.ckpt4j.spark;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** {@link RingBench}'s time from a worker's failure to training again, with the embedded Spark. */
final class RecoveryBench {
  private static final Pattern TIME = Pattern.compile("^(\\d\\d:\\d\\d:\\d\\d\\.\\d\\d\\d) ");

  private RecoveryBench() {}

  static void recovery(int runs) throws Exception {
    System.out.println("recovery with the embedded Spark (child JVM, worker 1 fails before batch 100):");
    for (int k = 0; k < runs; k++) {
      recovery();
    }
  }

  private static void recovery() throws Exception {
    Path tmp = Files.createTempDirectory("ckpt4j-recovery");
    List<String> cmd = new ArrayList<>(List.of(Paths.get(System.getProperty("java.home"), "bin", "java").toString(),
        "-Xmx1g"));
    String cache = System.getProperty("org.bytedeco.javacpp.cachedir");
    if (cache != null) {
      cmd.add("-Dorg.bytedeco.javacpp.cachedir=" + cache);
    }
    cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), MultiWorkerFit.class.getName(), "fit",
        "--workers", "2", "--epochs", "10", "--batch-size", "8", "--save-freq", "10", "--backup-dir",
        tmp.resolve("b").toString(), "--fail-worker", "1", "--fail-at-batch", "100", "--quiet"));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    LocalTime failed = null;
    LocalTime restored = null;
    for (String line : out.split("\n")) {
      Matcher m = TIME.matcher(line);
      if (!m.find()) {
        continue;
      }
      if (failed == null && line.contains("failed: org.ckpt4j.spark.InjectedFailure")) {
        failed = LocalTime.parse(m.group(1));
      } else if (failed != null && restored == null && line.contains("restored checkpoint")) {
        restored = LocalTime.parse(m.group(1));
      }
    }
    if (failed == null || restored == null) {
      System.out.println("  could not find the failure and the restore in the child's log:\n" + out);
    } else {
      System.out.printf("  failure logged %s, chief restored %s: %d ms from the failure to training again%n",
          failed, restored, Duration.between(failed, restored).toMillis());
    }
    for (String line : out.split("\n")) {
      if (line.startsWith("stage_attempts=") || line.startsWith("epochs_run=")) {
        System.out.println("  " + line);
      }
    }
    try (var s = Files.walk(tmp)) {
      s.sorted(java.util.Comparator.reverseOrder()).forEach(x -> x.toFile().delete());
    }
  }
}
