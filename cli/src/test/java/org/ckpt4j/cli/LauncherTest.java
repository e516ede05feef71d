package org.ckpt4j.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The distribution through its launcher script, {@code bin/ckpt4j}, on the local store: fit, the printed resume
 * command, inspect, verify, export, --version, --quiet. Runs in the verify phase, after package built the
 * distribution ({@code -Dckpt4j.dist}, default {@code target/ckpt4j}).
 */
class LauncherTest {
  static final Path DIST = Path.of(System.getProperty("ckpt4j.dist", "target/ckpt4j")).toAbsolutePath();
  static final Pattern RESULT = Pattern.compile("(?m)^epochs_run=(\\d+) weights_sha256=([0-9a-f]{64})$");

  record Result(int code, String out, String err) {
    String hash() {
      Matcher m = RESULT.matcher(out);
      assertThat(m.find()).as("result line in %s / %s", out, err).isTrue();
      return m.group(2);
    }
  }

  static Result sh(Path tmp, String command) throws IOException, InterruptedException {
    return sh(tmp, Map.of(), command);
  }

  /** Runs a shell command with {@code env} added to this JVM's environment, as a user's shell would have it. */
  static Result sh(Path tmp, Map<String, String> env, String command) throws IOException, InterruptedException {
    ProcessBuilder pb = new ProcessBuilder("sh", "-c", command);
    String cache = System.getProperty("ckpt4j.javacpp.cachedir");
    if (cache != null) {
      pb.environment().put("CKPT4J_JAVACPP_CACHEDIR", cache);
    }
    pb.environment().remove("OMP_NUM_THREADS"); // the launcher's defaults, as a user gets them
    pb.environment().remove("OPENBLAS_CORETYPE");
    pb.environment().putAll(env);
    Path out = Files.createTempFile(tmp, "out", ".txt");
    Path err = Files.createTempFile(tmp, "err", ".txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertThat(p.waitFor(180, TimeUnit.SECONDS)).as("%s finished", command).isTrue();
    return new Result(p.exitValue(), Files.readString(out), Files.readString(err));
  }

  static Result ckpt4j(Path tmp, String... args) throws IOException, InterruptedException {
    return ckpt4j(tmp, Map.of(), args);
  }

  /** Runs {@code bin/ckpt4j args} (each shell-quoted) with {@code env} added. */
  static Result ckpt4j(Path tmp, Map<String, String> env, String... args) throws IOException, InterruptedException {
    List<String> words = new ArrayList<>();
    words.add(Main.shellQuote(DIST.resolve("bin").resolve("ckpt4j").toString()));
    for (String a : args) {
      words.add(Main.shellQuote(a));
    }
    return sh(tmp, env, String.join(" ", words));
  }

  @Test
  void fitResumeInspectVerifyExport_throughBinCkpt4j(@TempDir Path tmp) throws Exception {
    assertThat(DIST.resolve("bin/ckpt4j")).isExecutable();
    assertThat(ckpt4j(tmp, "--version").out.trim()).matches("ckpt4j \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");

    String backup = tmp.resolve("a backup").toString();
    String[] common = {"--epochs", "3", "--samples", "64", "--batch-size", "8", "--keep-previous"};
    Result interrupted = ckpt4j(tmp, concat(new String[] {"fit", "--backup-dir", backup, "--quiet",
        "--interrupt-at-epoch", "2"}, common));
    assertThat(interrupted.code).as(interrupted.err).isEqualTo(Main.EXIT_INTERRUPTED);
    String resume = interrupted.err.lines().filter(l -> l.startsWith("  ") && l.contains(" fit ")).findFirst()
        .orElseThrow(() -> new AssertionError(interrupted.err)).trim();
    assertThat(resume).startsWith(DIST.resolve("bin/ckpt4j").toString() + " fit ");

    Result inspect = ckpt4j(tmp, "inspect", "--backup-dir", backup);
    assertThat(inspect.code).as(inspect.err).isZero();
    assertThat(inspect.out).contains("latest: checkpoint #", "previous (kept): checkpoint #",
        "after epoch 2 (2 epochs done", "model/0/W.npy  <f4 [20, 32]  ", "batchSize: 8", "held by: nobody (free)");
    Result json = ckpt4j(tmp, "inspect", "--backup-dir", backup, "--json");
    assertThat(json.code).isZero();
    assertThat(json.out).contains("\"epochsDone\": 2", "\"epochsDone\": 1", "\"dtype\": \"<f4\"",
        "\"holder\": \"free\"");

    Result verify = ckpt4j(tmp, "verify", "--backup-dir", backup);
    assertThat(verify.code).as(verify.err).isZero();
    assertThat(verify.out).contains("verify: OK (2 checkpoints)");

    Result export = ckpt4j(tmp, "export", "--backup-dir", backup, "--to", tmp.resolve("out").toString());
    assertThat(export.code).as(export.err).isZero();
    assertThat(tmp.resolve("out/manifest.json")).isRegularFile();
    assertThat(tmp.resolve("out/model/0/W.npy")).isRegularFile();

    Result resumed = sh(tmp, resume); // pasted as printed
    assertThat(resumed.code).as(resumed.err).isZero();
    assertThat(RESULT.matcher(resumed.out).results().map(m -> m.group(1)).toList()).containsExactly("1");
    Result straight = ckpt4j(tmp, concat(new String[] {"fit", "--backup-dir", tmp.resolve("b").toString(),
        "--quiet"}, common));
    assertThat(straight.code).isZero();
    assertThat(resumed.hash()).isEqualTo(straight.hash());
    // --quiet: the last line only, no ND4J banner or INFO lines
    assertThat(straight.out.lines().toList()).hasSize(1);
    assertThat(straight.err).isEmpty();
    // a completed run leaves no empty backup dir
    assertThat(tmp.resolve("b")).doesNotExist();
  }

  @Test
  void verify_failsNamingTheCorruptBlob(@TempDir Path tmp) throws Exception {
    String backup = tmp.resolve("backup").toString();
    assertThat(ckpt4j(tmp, "fit", "--backup-dir", backup, "--epochs", "2", "--samples", "64", "--quiet",
        "--interrupt-at-epoch", "1").code).isEqualTo(Main.EXIT_INTERRUPTED);
    List<Path> packs;
    try (Stream<Path> s = Files.walk(tmp.resolve("backup").resolve("data"))) {
      packs = s.filter(Files::isRegularFile).toList();
    }
    assertThat(packs).isNotEmpty();
    for (Path p : packs) {
      byte[] b = Files.readAllBytes(p);
      b[b.length / 2] ^= 0x01;
      Files.write(p, b);
    }
    Result verify = ckpt4j(tmp, "verify", "--backup-dir", backup);
    assertThat(verify.code).isEqualTo(1);
    assertThat(verify.err).contains("latest: FAILED");
  }

  @Test
  void fitWorkers_withoutTheMultiWorkerPart_exits2NamingTheArchiveToUnpack(@TempDir Path tmp) throws Exception {
    // the base distribution alone (a copy of symlinks: the demo may have unpacked the part into target/ckpt4j)
    Path home = tmp.resolve("base");
    Files.createDirectories(home.resolve("bin"));
    Files.createDirectories(home.resolve("lib"));
    Files.copy(DIST.resolve("bin/ckpt4j"), home.resolve("bin/ckpt4j"));
    try (Stream<Path> jars = Files.list(DIST.resolve("lib"))) {
      for (Path jar : jars.filter(p -> p.toString().endsWith(".jar")).toList()) {
        Files.createSymbolicLink(home.resolve("lib").resolve(jar.getFileName()), jar);
      }
    }
    Result r = sh(tmp, Main.shellQuote(home.resolve("bin/ckpt4j").toString()) + " fit --workers 2 --backup-dir "
        + Main.shellQuote(tmp.resolve("mw").toString()));
    assertThat(r.code).as(r.out).isEqualTo(Main.EXIT_USAGE);
    assertThat(r.err).contains("fit --workers needs the multi-worker part", "tar -xzf ckpt4j-multiworker-",
        ".tar.gz -C " + home.toRealPath(), "lib/multiworker/");
    assertThat(tmp.resolve("mw")).doesNotExist();
  }

  static String[] concat(String[] a, String[] b) {
    String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, c, a.length, b.length);
    return c;
  }
}
