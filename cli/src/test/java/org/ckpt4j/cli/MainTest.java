package org.ckpt4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The fit command line, in process. */
class MainTest {
  private static final Pattern RESULT = Pattern.compile("(?m)^epochs_run=(\\d+) weights_sha256=([0-9a-f]{64})$");

  private static final class Run {
    final int code;
    final String out;
    final String err;

    Run(String... args) {
      ByteArrayOutputStream o = new ByteArrayOutputStream();
      ByteArrayOutputStream e = new ByteArrayOutputStream();
      code = Main.run(args, new PrintStream(o, true, StandardCharsets.UTF_8),
          new PrintStream(e, true, StandardCharsets.UTF_8));
      out = o.toString(StandardCharsets.UTF_8);
      err = e.toString(StandardCharsets.UTF_8);
    }

    Matcher result() {
      Matcher m = RESULT.matcher(out);
      assertThat(m.find()).as("result line in %s", out).isTrue();
      return m;
    }
  }

  private static String[] fit(String dir, String... more) {
    List<String> a = new ArrayList<>(List.of("fit", "--backup-dir", dir, "--epochs", "10", "--batch-size", "8",
        "--samples", "64", "--seed", "42"));
    a.addAll(Arrays.asList(more));
    return a.toArray(new String[0]);
  }

  @Test
  void seedScenario_interruptedRunExitsNonZeroAndSaysHowToResume_resumedRunMatchesUninterruptedHash() {
    String dir = Fixtures.memDir("cli");
    Run interrupted = new Run(fit(dir, "--interrupt-at-epoch", "4"));
    assertThat(interrupted.code).isEqualTo(Main.EXIT_INTERRUPTED);
    // mem: dies with the process: no command that would silently start over
    assertThat(interrupted.err).contains("gone with it").doesNotContain("fit --backup-dir");
    assertThat(RESULT.matcher(interrupted.out).find()).isFalse();

    Run resumed = new Run(fit(dir, "--quiet"));
    assertThat(resumed.code).as(resumed.err).isZero();
    assertThat(resumed.result().group(1)).isEqualTo("6");
    assertThat(resumed.out).contains("resumed from backup");

    Run uninterrupted = new Run(fit(Fixtures.memDir("cli-straight")));
    assertThat(uninterrupted.result().group(1)).isEqualTo("10");
    assertThat(uninterrupted.out).contains("Epoch 10/10");
    assertThat(resumed.result().group(2)).isEqualTo(uninterrupted.result().group(2));

    String mid = Fixtures.memDir("cli-mid");
    assertThat(new Run(fit(mid, "--save-freq", "3", "--interrupt-at-batch", "37", "--quiet")).code)
        .isEqualTo(Main.EXIT_INTERRUPTED);
    Run midResumed = new Run(fit(mid, "--save-freq", "3", "--quiet"));
    assertThat(midResumed.out).contains("at epoch 4, batch 4");
    assertThat(midResumed.result().group(2)).isEqualTo(uninterrupted.result().group(2));
  }

  @Test
  void export_writesTheBackupAsNpyFilesThatNd4jReads_andRefusesToOverwrite(@org.junit.jupiter.api.io.TempDir
      java.nio.file.Path tmp) throws Exception {
    String dir = Fixtures.memDir("cli-export");
    assertThat(new Run(fit(dir, "--interrupt-at-epoch", "3", "--quiet")).code).isEqualTo(Main.EXIT_INTERRUPTED);
    java.nio.file.Path to = tmp.resolve("out");
    Run export = new Run("export", "--backup-dir", dir, "--to", to.toString());
    assertThat(export.code).as(export.err).isZero();
    assertThat(export.out).contains("exported backup #").contains("(epoch 3, batch 0)");
    org.ckpt4j.spi.Checkpoint cp;
    try (org.ckpt4j.spi.CheckpointStore s = org.ckpt4j.spi.CheckpointStores.open(dir,
        org.ckpt4j.spi.StoreOptions.readOnly().build())) {
      cp = s.latest().orElseThrow();
      assertThat(cp.blobs()).contains(java.util.Map.entry("manifest.json", java.nio.file.Files.size(
          to.resolve("manifest.json"))));
      String tensor = cp.blobs().keySet().stream().filter(n -> n.endsWith(".npy")).findFirst().orElseThrow();
      java.io.File npy = to.resolve(tensor).toFile();
      assertThat(java.nio.file.Files.readAllBytes(npy.toPath())).isEqualTo(Fixtures.readBlob(cp,
          tensor));
      org.nd4j.linalg.api.ndarray.INDArray a = org.nd4j.linalg.factory.Nd4j.createFromNpyFile(npy);
      assertThat(a.length()).isPositive();
    }
    Run again = new Run("export", "--backup-dir", dir, "--to", to.toString());
    assertThat(again.code).isEqualTo(1);
    assertThat(again.err).contains("--to " + to).contains("exists");
    assertThat(new Run("export", "--backup-dir", Fixtures.memDir("cli-empty"), "--to", tmp.resolve("e")
        .toString()).err).contains("holds no backup");
    assertThat(new Run("export", "--to", "x").code).isEqualTo(Main.EXIT_USAGE);
  }

  @Test
  void resumeHint_isAShellQuotedCommandThatPastesBackToTheSameArguments(@org.junit.jupiter.api.io.TempDir
      java.nio.file.Path tmp) throws Exception {
    java.nio.file.Path dir = tmp.resolve("my backups & 'runs'").resolve("run 1");
    Run interrupted = new Run("fit", "--backup-dir", dir.toString(), "--epochs", "3", "--samples", "32",
        "--interrupt-at-epoch", "2", "--quiet");
    assertThat(interrupted.code).isEqualTo(Main.EXIT_INTERRUPTED);
    assertThat(interrupted.err).contains("holds checkpoint #").contains("2 epochs and 0 batches done");
    String line = interrupted.err.lines().filter(l -> l.startsWith("  ") && l.contains(" fit ")).findFirst()
        .orElseThrow(() -> new AssertionError(interrupted.err));
    String args = line.substring(line.indexOf(" fit ") + 1);
    Process sh = new ProcessBuilder("sh", "-c", "printf '%s\\n' " + args).redirectErrorStream(true).start();
    List<String> words = new String(sh.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
    assertThat(sh.waitFor()).isZero();
    assertThat(words).containsExactly("fit", "--backup-dir", dir.toAbsolutePath().toString(), "--epochs", "3",
        "--samples", "32", "--quiet");
    // relative paths become absolute, so the command works from any directory
    assertThat(Main.Options.parse(new String[] {"fit", "--backup-dir", "rel dir", "--interrupt-at-epoch", "1"})
        .withoutInterrupt(true)).containsExactly("fit", "--backup-dir", java.nio.file.Path.of("rel dir")
            .toAbsolutePath().toString());
    assertThat(Main.shellQuote("s3://b/p?x=1&y=2")).isEqualTo("'s3://b/p?x=1&y=2'");
    assertThat(Main.Options.parse(new String[] {"fit", "--backup-dir=~/b"}).backupDir)
        .isEqualTo(System.getProperty("user.home") + "/b");
  }

  @Test
  void numericFlags_outsideTheirDocumentedRanges_exit2NamingTheFlag_beforeAnyWork() {
    for (String[] bad : new String[][] {{"--samples", "1000001"}, {"--samples", "99999999999"},
        {"--lease-timeout-ms", "3600001"}, {"--lease-timeout-ms", "99"}, {"--epochs", "-1"},
        {"--batch-size", "1000001"}, {"--interrupt-at-epoch", "1000001"}, {"--save-freq", "2147483648"}}) {
      Run r = new Run("fit", "--backup-dir", Fixtures.memDir("ranges"), bad[0], bad[1]);
      assertThat(r.code).as("%s %s", bad[0], bad[1]).isEqualTo(Main.EXIT_USAGE);
      assertThat(r.err).as("%s %s", bad[0], bad[1]).startsWith("error: " + bad[0]);
      assertThat(r.out).isEmpty();
    }
    Run help = new Run("--help");
    for (String flag : Main.RANGES.keySet()) {
      long[] range = Main.RANGES.get(flag);
      assertThat(help.out).as(flag).containsPattern(java.util.regex.Pattern.quote(flag) + " .*\\(" + range[0]
          + "\\.\\." + range[1]);
    }
    Run malformed = new Run("fit", "--backup-dir", "s3://bucket/a b^c");
    assertThat(malformed.code).isEqualTo(Main.EXIT_USAGE);
    assertThat(malformed.err).startsWith("error: --backup-dir");
  }

  @Test
  void credentialsInTheBackupDir_areNeverPrinted(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp) {
    // a secret with '/' (half of AWS secret keys) through a scheme without a backend; the s3 backend's own
    // handling of such a secret is storage-s3's (its tests); here one without '/'
    String slashed = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYSECRET";
    String secret = "wJalrXUtnFEMIK7MDENGbPxRfiCYSECRET";
    List<String[]> runs = List.of(
        fit("s3://AKIAKEYID:" + secret + "@bucket/p", "--epochs", "1", "--quiet"),
        fit("s3://AKIAKEYID:" + slashed + "@bad bucket/p"), // malformed
        fit("nosuch://AKIAKEYID:" + slashed + "@bucket/p?token=" + slashed, "--quiet"),
        new String[] {"export", "--backup-dir", "s3://AKIAKEYID:" + secret + "@bucket/p", "--to",
            tmp.resolve("out").toString()},
        fit("s3://AKIAKEYID:" + secret + "@bucket/p", "--samples", "0"));
    for (String[] args : runs) {
      Run r = new Run(args);
      assertThat(r.code).as(String.join(" ", args)).isNotZero();
      assertThat(r.out + r.err).as(String.join(" ", args)).doesNotContain("SECRET").doesNotContain("AKIAKEYID");
    }
  }

  @Test
  void epochsAtOrBelowTheBackups_keepTheBackupAndSaySo() throws Exception {
    String dir = Fixtures.memDir("cli-typo");
    assertThat(new Run(fit(dir, "--interrupt-at-epoch", "4", "--quiet")).code).isEqualTo(Main.EXIT_INTERRUPTED);
    Run typo = new Run(fit(dir, "--epochs", "3", "--quiet"));
    assertThat(typo.code).isZero();
    assertThat(typo.out).contains("nothing trained").contains("kept");
    assertThat(typo.result().group(1)).isEqualTo("0");
    try (org.ckpt4j.spi.CheckpointStore s = org.ckpt4j.spi.CheckpointStores.open(dir,
        org.ckpt4j.spi.StoreOptions.readOnly().build())) {
      assertThat(s.latest()).isPresent();
    }
    assertThat(new Run(fit(dir, "--quiet")).result().group(1)).isEqualTo("6");
  }

  @Test
  void badArguments_exitWithUsageErrorsNamingTheArgument() {
    assertThat(new Run("fit", "--epochs", "ten")).satisfies(r -> {
      assertThat(r.code).isEqualTo(Main.EXIT_USAGE);
      assertThat(r.err).contains("--epochs \"ten\"");
    });
    assertThat(new Run("fit", "--save-freq", "0").err).contains("--save-freq \"0\"");
    assertThat(new Run("fit", "--batch-size", "0").err).contains("--batch-size \"0\"");
    assertThat(new Run("fit", "--bogus", "1").err).contains("unknown option --bogus");
    assertThat(new Run("fit", "--epochs").err).contains("--epochs needs a value");
    assertThat(new Run("train").err).contains("unknown command \"train\"");
    assertThat(new Run().code).isEqualTo(Main.EXIT_USAGE);
    Run help = new Run("--help");
    assertThat(help.code).isZero();
    assertThat(help.out).contains("--backup-dir", "--interrupt-at-epoch", "--save-freq", "OMP_NUM_THREADS");
  }

  @Test
  void storeErrors_nameTheBackupDirArgument() {
    Run r = new Run(fit("nosuch://bucket/x", "--epochs", "1", "--quiet"));
    assertThat(r.code).isEqualTo(1);
    assertThat(r.err).contains("--backup-dir nosuch://bucket/x").contains("UnsupportedSchemeException");

    String dir = Fixtures.memDir("cli-mismatch");
    assertThat(new Run(fit(dir, "--interrupt-at-epoch", "1", "--quiet")).code).isEqualTo(Main.EXIT_INTERRUPTED);
    Run other = new Run(fit(dir, "--batch-size", "16", "--quiet"));
    assertThat(other.code).isEqualTo(1);
    assertThat(other.err).contains("--backup-dir " + dir).contains("[batchSize]");
  }
}
