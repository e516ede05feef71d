package org.ckpt4j.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/** The harness's command line and its table: what a reader of docs/benchmarks.md takes on trust. */
class BenchTest {

  @Test
  void defaults_runEverySection_withFiveRepeatsAndFiveSecondsOfWarmUp() {
    Bench.Options o = Bench.parse(new String[0]);
    assertThat(o.repeats()).isEqualTo(5);
    assertThat(o.warmup()).isEqualTo(5.0);
    assertThat(o.only()).containsExactly("local", "commit", "odirect", "python", "dl4j", "async", "s3", "gcs", "growth");
    assertThat(o.dir()).isEqualTo(Path.of("target", "bench-data"));
    assertThat(o.quick()).isFalse();
    assertThat(o.help()).isFalse();
  }

  @Test
  void everyFlag_isRead() {
    Bench.Options o = Bench.parse(new String[] {"--repeats", "3", "--warmup", "0.5", "--dir", "/tmp/b",
        "--only", "s3,local", "--quick"});
    assertThat(o.repeats()).isEqualTo(3);
    assertThat(o.warmup()).isEqualTo(0.5);
    assertThat(o.dir()).isEqualTo(Path.of("/tmp/b"));
    assertThat(o.only()).containsExactly("s3", "local");
    assertThat(o.quick()).isTrue();
    assertThat(Bench.parse(new String[] {"--warmup", "0"}).warmup()).isZero();
    assertThat(Bench.parse(new String[] {"-h"}).help()).isTrue();
  }

  @Test
  void badArguments_areRefused_namingTheFlagAndWhatItTakes() {
    assertRefused("--repeats (0) must be at least 1", "--repeats", "0");
    assertRefused("--repeats takes a whole number, 1 or more, not \"three\"", "--repeats", "three");
    assertRefused("--repeats takes a whole number, 1 or more, not \"2.5\"", "--repeats", "2.5");
    assertRefused("--warmup takes a number of seconds, 0 or more, not \"5s\"", "--warmup", "5s");
    assertRefused("--warmup (-1.0) must be a number of seconds, 0 or more", "--warmup", "-1");
    assertRefused("--warmup (NaN) must be", "--warmup", "NaN");
    assertRefused("--warmup (Infinity) must be", "--warmup", "Infinity");
    assertRefused("--only: unknown section \"locl\"; the sections are local,commit,odirect,python,dl4j,async,s3,gcs,growth", "--only",
        "locl");
    assertRefused("--only: unknown section \"\"", "--only", "local,");
    assertRefused("--dir needs a value; see --help", "--dir");
    assertRefused("unknown argument --fast; see --help", "--fast");
  }

  @Test
  void stats_giveMinMedianAndMax_ofOddAndEvenCounts() {
    Stats odd = stats(5, 1, 3);
    assertThat(List.of(odd.min(), odd.median(), odd.max())).containsExactly(1.0, 3.0, 5.0);
    Stats even = stats(4, 1, 10, 2);
    assertThat(even.median()).isEqualTo(3.0);
    assertThat(even.count()).isEqualTo(4);
  }

  @Test
  void table_showsTheRatioOfMedians_orientedSoThatAboveOneIsBetter_andTheVerdict() {
    Locale before = Locale.getDefault();
    Locale.setDefault(Locale.GERMANY); // the table must not depend on the machine's locale
    try {
      Report report = new Report();
      // throughput (higher is better): a median of 180 against 200 is 0.90x, meeting a 0.9x target
      report.compare("save", "MiB/s", stats(300, 160, 180), "raw write", stats(200, 200, 200), true, 0.9);
      // time (lower is better): 2 s against 1 s is 0.50x, not meeting 1.0x
      report.compare("restore", "s", stats(2, 2, 2), "peer", stats(1, 0.5, 9), false, 1.0);
      report.compare("info", "s", stats(1), "peer", stats(3), false, Double.NaN);
      report.note("a note");
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      report.print(new PrintStream(bytes, true, StandardCharsets.UTF_8));
      List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.isBlank()).toList();
      assertThat(lines.get(1)).startsWith("save ").contains("160 / 180 / 300 MiB/s", "200 / 200 / 200 MiB/s")
          .contains(" 0.90x ").endsWith(" 0.90x met");
      assertThat(lines.get(2)).startsWith("restore ").contains("2.00 / 2.00 / 2.00 s", "0.50 / 1.00 / 9.00 s")
          .contains(" 0.50x ").endsWith(" 1.00x NOT MET");
      assertThat(lines.get(3)).startsWith("info ").contains(" 3.00x ").endsWith(" - ");
      assertThat(lines.get(4)).isEqualTo("  a note");
    } finally {
      Locale.setDefault(before);
    }
  }

  private static Stats stats(double... values) {
    Stats s = new Stats();
    for (double v : values) {
      s.add(v);
    }
    return s;
  }

  private static void assertRefused(String message, String... args) {
    assertThatThrownBy(() -> Bench.parse(args)).as(String.join(" ", args))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(message);
  }
}
