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

  /** Every section, in the order they run. */
  static final List<String> SECTIONS = List.of("local", "commit", "odirect", "python", "dl4j", "async", "s3", "gcs", "growth");

  /** The command line, checked. */
  record Options(int repeats, double warmup, Path dir, Set<String> only, boolean quick, boolean help) {}

  /** @throws IllegalArgumentException naming the argument and what it takes */
  static Options parse(String[] args) {
    int repeats = 5;
    double warmup = 5;
    Path dir = Path.of("target", "bench-data");
    Set<String> only = new LinkedHashSet<>(SECTIONS);
    boolean quick = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--repeats" -> repeats = (int) number(args, ++i, "--repeats", "a whole number, 1 or more", true);
        case "--warmup" -> warmup = number(args, ++i, "--warmup", "a number of seconds, 0 or more", false);
        case "--dir" -> dir = Path.of(value(args, ++i, "--dir"));
        case "--only" -> {
          only = new LinkedHashSet<>(Arrays.asList(value(args, ++i, "--only").split(",", -1)));
          for (String section : only) {
            if (!SECTIONS.contains(section)) {
              throw new IllegalArgumentException("--only: unknown section \"" + section + "\"; the sections are "
                  + String.join(",", SECTIONS));
            }
          }
        }
        case "--quick" -> quick = true;
        case "--help", "-h" -> {
          return new Options(repeats, warmup, dir, only, quick, true);
        }
        default -> throw new IllegalArgumentException("unknown argument " + args[i] + "; see --help");
      }
    }
    if (repeats < 1) {
      throw new IllegalArgumentException("--repeats (" + repeats + ") must be at least 1");
    }
    if (!(warmup >= 0) || Double.isInfinite(warmup)) {
      throw new IllegalArgumentException("--warmup (" + warmup + ") must be a number of seconds, 0 or more");
    }
    return new Options(repeats, warmup, dir, only, quick, false);
  }

  public static void main(String[] args) throws IOException {
    Locale.setDefault(Locale.ROOT); // figures as 1234.5 whatever the machine's locale: the table is compared
    System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", System.getProperty(
        "org.slf4j.simpleLogger.defaultLogLevel", "warn"));
    Options options;
    try {
      options = parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println("ckpt4j-bench: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (options.help()) {
      System.out.println("usage: ckpt4j-bench [--repeats N (default 5)] [--warmup SECONDS (default 5: local "
          + "shapes repeat their warm-up until then, and on while the JIT compiler is busy, up to 4 times as long)]"
          + " [--dir DIR (default target/bench-data)] [--only " + String.join(",", SECTIONS) + " (any of them)]"
          + " [--quick (small sizes only)]");
      return;
    }
    int repeats = options.repeats();
    double warmup = options.warmup();
    Set<String> only = options.only();
    boolean quick = options.quick();
    Path dir = options.dir().toAbsolutePath(); // the aws CLI runs as a child process; S3Proxy needs it absolute
    System.err.printf(Locale.ROOT, "ckpt4j bench: %d repeats (+1 warm-up; local shapes: warm-ups for %.0f s or "
        + "more), data in %s, %d cores, java %s%n", repeats, warmup, dir,
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
    if (only.contains("commit")) {
      CommitBench.run("4KiB", 4L << 10, repeats, dir, report);
      CommitBench.run("16MiB", 16L << 20, repeats, dir, report);
    }
    if (only.contains("odirect")) {
      DirectReadBench.run(dir, 256L << 20, "256MiB", repeats, report);
      if (!quick) {
        DirectReadBench.run(dir, 1L << 30, "1GiB", repeats, report);
      }
    }
    if (only.contains("python")) {
      List<PythonBench.Shape> shapes = new ArrayList<>();
      shapes.add(new PythonBench.Shape("16MiB", false, 1, 16L << 20));
      if (!quick) {
        shapes.add(new PythonBench.Shape("1GiB", false, 4, 256L << 20));
      }
      shapes.add(new PythonBench.Shape(quick ? "100x64KiB" : "1000x64KiB", false, quick ? 100 : 1000, 64L << 10));
      // the MLP of the dl4j rows (~67 M parameters) with Adam state: a real torch.optim.Adam on the torch side
      shapes.add(new PythonBench.Shape(quick ? "mlp1024x4+Adam" : "mlp4096x4+Adam", true, 4, quick ? 1024 : 4096));
      PythonBench.run(shapes, repeats, dir, report);
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
    if (only.contains("gcs")) {
      try {
        GcsBench.run(dir, repeats, quick ? 1 : 4, quick ? 64L << 20 : 256L << 20, report);
        GcsBench.run(dir, repeats, quick ? 100 : 1000, 64L << 10, report);
      } catch (Exception e) {
        throw new IOException("GCS benchmark failed", e);
      }
    }
    report.print(System.out);
    if (only.contains("growth")) {
      GrowthBench.run(dir, repeats, quick, System.out);
    }
  }

  private static double number(String[] args, int i, String flag, String what, boolean whole) {
    String text = value(args, i, flag);
    try {
      return whole ? Integer.parseInt(text) : Double.parseDouble(text);
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(flag + " takes " + what + ", not \"" + text + "\"");
    }
  }

  private static String value(String[] args, int i, String flag) {
    if (i >= args.length) {
      throw new IllegalArgumentException(flag + " needs a value; see --help");
    }
    return args[i];
  }
}
