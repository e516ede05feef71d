package org.ckpt4j.bench;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * The benchmark harness: a plain main (multi-second I/O measurements need no JMH forks), printing progress to
 * stderr and the result table to stdout.
 *
 * <pre>
 * java -jar bench/target/ckpt4j-bench.jar [--repeats N] [--warmup SECONDS] [--dir DIR] [--only local,...] [--quick]
 * </pre>
 */
public final class Bench {
  private Bench() {}

  public static void main(String[] args) throws IOException {
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", System.getProperty(
        "org.slf4j.simpleLogger.defaultLogLevel", "warn"));
    int repeats = 5;
    double warmup = 5;
    Path dir = Path.of("target", "bench-data");
    Set<String> only = new LinkedHashSet<>(List.of("local", "dl4j", "async", "s3", "growth"));
    boolean quick = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--repeats" -> repeats = Integer.parseInt(value(args, ++i, "--repeats"));
        case "--warmup" -> warmup = Double.parseDouble(value(args, ++i, "--warmup"));
        case "--dir" -> dir = Path.of(value(args, ++i, "--dir"));
        case "--only" -> only = new LinkedHashSet<>(Arrays.asList(value(args, ++i, "--only").split(",")));
        case "--quick" -> quick = true;
        case "--help", "-h" -> {
          System.out.println("usage: ckpt4j-bench [--repeats N (default 5)] [--warmup SECONDS (default 5: local "
              + "shapes repeat their warm-up until then)] [--dir DIR (default target/bench-data)]"
              + " [--only local,dl4j,async,s3,growth] [--quick (small sizes only)]");
          return;
        }
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; see --help");
      }
    }
    if (repeats < 1) {
      throw new IllegalArgumentException("--repeats (" + repeats + ") must be at least 1");
    }
    if (!(warmup >= 0)) {
      throw new IllegalArgumentException("--warmup (" + warmup + ") must be a number of seconds, 0 or more");
    }
    dir = dir.toAbsolutePath(); // the aws CLI runs as a child process, and S3Proxy needs an absolute basedir
    System.err.printf(Locale.ROOT, "ckpt4j bench: %d repeats (+1 warm-up; local shapes: warm-ups for %.0f s), data "
        + "in %s, %d cores, java %s%n", repeats, warmup, dir.toAbsolutePath(),
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.version"));
    Report report = new Report();
    if (only.contains("local")) {
      List<LocalBench.Shape> shapes = new ArrayList<>(List.of(new LocalBench.Shape("16MiB", 1, 16L << 20)));
      if (!quick) {
        shapes.add(new LocalBench.Shape("256MiB", 1, 256L << 20));
        shapes.add(new LocalBench.Shape("1GiB", 4, 256L << 20));
      }
      shapes.add(new LocalBench.Shape("1000x64KiB", 1000, 64L << 10));
      for (LocalBench.Shape shape : shapes) {
        LocalBench.run(shape, repeats, warmup, dir, report);
      }
    }
    if (only.contains("dl4j")) {
      // ~64 M parameters: 4 dense layers of 4096 x 4096 (a quick run uses 1024 wide)
      Dl4jBench.run(dir, Math.min(repeats, 3), quick ? 1024 : 4096, 4, report);
    }
    if (only.contains("async")) {
      Path asyncDir = dir.resolve("async");
      AsyncBench.cleanup(asyncDir); // a killed earlier run leaves backups of another run shape: refused
      AsyncBench.run(asyncDir, repeats, quick ? 256 : 512, 20, quick ? 60 : 100, report, System.out);
      AsyncBench.cleanup(asyncDir);
    }
    if (only.contains("s3")) {
      try {
        S3Bench.run(dir, repeats, quick ? 1 : 4, quick ? 64L << 20 : 256L << 20, report, System.out);
        // many small tensors: ckpt4j packs them into one object; the CLI moves one object per file
        S3Bench.run(dir, repeats, quick ? 100 : 1000, 64L << 10, report, System.out);
      } catch (Exception e) {
        throw new IOException("S3 benchmark failed", e);
      }
    }
    report.print(System.out);
    if (only.contains("growth")) {
      GrowthBench.run(dir, repeats, quick, System.out);
    }
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new IllegalArgumentException(flag + " needs a value; see --help");
    }
    return args[i];
  }
}
